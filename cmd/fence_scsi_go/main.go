// Command fence_scsi_go is a fence_scsi-compatible I/O fencing agent that
// drives SCSI-3 Persistent Reservations through a hand-written SG_IO layer.
//
// main only wires the parts together: argv[0] chooses the mode, the
// fence-agent front end (internal/fenceproto) parses input and prints what
// callers depend on, and backend adapts it to the PR logic (internal/fence).
package main

import (
	"os"

	"github.com/fence-scsi-go/fence_scsi_go/internal/fenceproto"
)

func main() {
	os.Exit(fenceproto.Main(os.Args, os.Stdin, os.Stdout, os.Stderr, os.Getenv, newBackend()))
}
