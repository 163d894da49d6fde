// Command fence_scsi_check is fence_scsi's watchdog check on its own, the
// program the watchdog daemon starts every few seconds on every node: it
// exits 0 while this node's key is registered on one of the devices it
// unfenced, and 2 when the key is gone (installed or linked as
// fence_scsi_check_hardreboot, it reboots the machine at once instead).
// fence_scsi_go does the same under these names; this binary links only the
// check (internal/check), so each start costs little more than an empty Go
// program (docs/benchmarks.md, "Watchdog check: CPU per run").
package main

import (
	"os"

	"github.com/fence-scsi-go/fence_scsi_go/internal/check"
)

func main() {
	os.Exit(check.Main(os.Args, os.Stderr, check.IsHardReboot(os.Args[0])))
}
