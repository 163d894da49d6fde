package nvme

import (
	"context"
	"sync"
	"time"
)

// sent is one command a fakeTransport received (copied).
type sent struct {
	cmd  Command
	data []byte
}

// fakeTransport records every command and answers with respond(i, cmd);
// a nil respond answers success with the buffer untouched.
type fakeTransport struct {
	mu      sync.Mutex
	nsid    uint32
	calls   []sent
	respond func(i int, cmd *Command) (Completion, error)
	closed  bool
}

func (f *fakeTransport) NSID() uint32 { return f.nsid }

func (f *fakeTransport) Execute(_ context.Context, cmd *Command) (Completion, error) {
	f.mu.Lock()
	i := len(f.calls)
	f.calls = append(f.calls, sent{cmd: *cmd, data: append([]byte(nil), cmd.Data...)})
	f.mu.Unlock()
	if f.respond == nil {
		return Completion{}, nil
	}
	return f.respond(i, cmd)
}

func (f *fakeTransport) Close() error { f.closed = true; return nil }

func (f *fakeTransport) n() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// noSleep records retry waits instead of sleeping.
type noSleep struct{ waits []time.Duration }

func (s *noSleep) sleep(ctx context.Context, d time.Duration) error {
	s.waits = append(s.waits, d)
	return ctx.Err()
}

// newFake returns a Device on a fakeTransport for namespace 1 that never sleeps.
func newFake(respond func(i int, cmd *Command) (Completion, error)) (Device, *fakeTransport, *noSleep) {
	f := &fakeTransport{nsid: 1, respond: respond}
	s := &noSleep{}
	return NewDevice("/dev/nvme0n1", f, DeviceOptions{Sleep: s.sleep}), f, s
}
