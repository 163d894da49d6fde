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
	"os"
	"path/filepath"

	"github.com/fence-scsi-go/fence_scsi_go/internal/agent"
	"github.com/fence-scsi-go/fence_scsi_go/internal/check"
	"github.com/fence-scsi-go/fence_scsi_go/internal/fenceproto"
	"github.com/fence-scsi-go/fence_scsi_go/internal/interrupt"
)

func main() {
	switch filepath.Base(os.Args[0]) {
	case check.Name, check.HardRebootName:
		os.Exit(check.Main(os.Args, os.Stderr, check.IsHardReboot(os.Args[0])))
	}
	if len(os.Args) > 1 && toolCommands[os.Args[1]] {
		os.Exit(execTools(os.Args, os.Stderr))
	}
	// SIGTERM and SIGINT end the run through its context once it starts an
	// external command (interrupt.Arm); before that they end the process.
	ctx, stop := interrupt.Context(context.Background())
	code := fenceproto.Main(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr, os.Getenv, agent.New())
	stop()
	os.Exit(code)
}
