// Command fence_scsi_go_tools runs the subcommands of fence_scsi_go that are
// not the fence agent: the storage readiness check (check-storage,
// internal/storagecheck) and the storage arbitration mode (acquire, defend,
// release; internal/arbcli). fence_scsi_go executes this program, with the
// same arguments, when its first argument is one of those; users and
// cluster managers keep calling fence_scsi_go.
//
// The split keeps the fence agent's binary to what a fence call runs: these
// modes bring urfave/cli and their own packages, whose loading and package
// initialisation every fence and unfence call would otherwise pay
// (docs/benchmarks.md, "The agent's start").
package main

import (
	"fmt"
	"os"

	"github.com/fence-scsi-go/fence_scsi_go/internal/arbcli"
)

func main() {
	os.Exit(run(os.Args))
}

func run(args []string) int {
	if len(args) > 1 && args[1] == "check-storage" {
		return runCheckStorage(args[2:], os.Stdout, os.Stderr)
	}
	if len(args) > 1 && arbcli.Commands[args[1]] {
		return arbcli.Run(args, os.Stderr)
	}
	first := ""
	if len(args) > 1 {
		first = args[1]
	}
	fmt.Fprintf(os.Stderr, "fence_scsi_go_tools: the first argument must be check-storage, acquire, defend or release, not %q (run them as fence_scsi_go SUBCOMMAND)\n", first)
	return 1
}
