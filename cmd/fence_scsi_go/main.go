// Command fence_scsi_go is a fence_scsi-compatible I/O fencing agent that
// drives SCSI-3 Persistent Reservations through a hand-written SG_IO layer.
//
// main only wires the parts together: argv[0] chooses the mode (the agent,
// or fence_scsi's watchdog check under the names fence_scsi_check and
// fence_scsi_check_hardreboot); a first argument check-storage, acquire,
// defend or release is run by the helper program fence_scsi_go_tools
// (executed with the same arguments, tools.go); everything else is the
// fence-agent front end (internal/fenceproto), which parses input and prints
// what callers depend on, over internal/agent, which adapts it to the PR
// logic (internal/fence).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/fence-scsi-go/fence_scsi_go/internal/agent"
	"github.com/fence-scsi-go/fence_scsi_go/internal/check"
	"github.com/fence-scsi-go/fence_scsi_go/internal/fenceproto"
)

func main() {
	switch filepath.Base(os.Args[0]) {
	case check.Name, check.HardRebootName:
		os.Exit(check.Main(os.Args, os.Stderr, check.IsHardReboot(os.Args[0])))
	}
	if len(os.Args) > 1 && toolCommands[os.Args[1]] {
		os.Exit(execTools(os.Args, os.Stderr))
	}
	ctx, stop := signalContext()
	code := fenceproto.Main(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr, os.Getenv, agent.New())
	stop()
	os.Exit(code)
}

// signalContext is cancelled by SIGTERM or SIGINT, with the signal as the
// cause: the run kills its external commands (their process groups) and
// exits 1 instead of dying with its children still running.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	names := map[os.Signal]string{syscall.SIGTERM: "SIGTERM", syscall.SIGINT: "SIGINT"}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		if s, ok := <-ch; ok {
			cancel(fmt.Errorf("interrupted by signal %s", names[s]))
		}
	}()
	return ctx, func() { signal.Stop(ch); cancel(nil) }
}
