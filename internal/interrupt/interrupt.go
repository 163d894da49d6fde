// Package interrupt turns SIGTERM and SIGINT into the cancellation of an
// agent run's context, from the moment the run first starts an external
// command (Arm).
//
// Until then the signals keep their default action: the process ends at
// once, as fence_scsi's Python process does, and a PR command already
// handed to the kernel completes there all the same (an SG_IO or NVMe
// passthrough ioctl is not interrupted by a signal; the process exits
// after it). Once armed, a signal cancels the context with "interrupted by
// signal SIGTERM" (or SIGINT) as its cause: the external command, which runs
// in a process group of its own and would not get the signal, is killed
// with its group, and the run ends with that message and exit 1.
//
// Arming late is on purpose: os/signal's delivery starts two threads and a
// goroutine locked to one of them, which every fence call would otherwise
// pay for nothing when it starts no command (the usual case: key and
// devices given).
package interrupt

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

type stateKey struct{}

type state struct {
	mu      sync.Mutex
	cancel  context.CancelCauseFunc
	ch      chan os.Signal
	stopped bool
}

// Context returns a child of parent that Arm can make cancellable by
// SIGTERM and SIGINT, and the function that ends it (and the signal
// handling, if armed).
func Context(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	s := &state{cancel: cancel}
	return context.WithValue(ctx, stateKey{}, s), func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.ch != nil && !s.stopped {
			signal.Stop(s.ch)
		}
		s.stopped = true
		cancel(nil)
	}
}

// Arm makes SIGTERM and SIGINT cancel the Context that ctx derives from,
// from now on; a second call does nothing, and so does a call on a context
// that derives from none (tests, the helper program).
func Arm(ctx context.Context) {
	s, _ := ctx.Value(stateKey{}).(*state)
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil || s.stopped {
		return
	}
	s.ch = make(chan os.Signal, 1)
	signal.Notify(s.ch, syscall.SIGTERM, syscall.SIGINT)
	go func(ch <-chan os.Signal) {
		if sig, ok := <-ch; ok {
			s.cancel(fmt.Errorf("interrupted by signal %s", Name(sig)))
		}
	}(s.ch)
}

// Name is the signal's C name (SIGTERM, SIGINT), as the agent's messages
// spell it.
func Name(sig os.Signal) string {
	switch sig {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	}
	return sig.String()
}
