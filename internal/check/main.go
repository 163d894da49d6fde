package check

import (
	"io"
	"path/filepath"

	"github.com/fence-scsi-go/fence_scsi_go/internal/clock"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr/prdev"
	"github.com/fence-scsi-go/fence_scsi_go/internal/state"
)

// The names the watchdog daemon runs the check under (fence_scsi.py chooses
// its mode by them): the second reboots at once when the key is gone.
const (
	Name           = "fence_scsi_check"
	HardRebootName = "fence_scsi_check_hardreboot"
)

// IsHardReboot reports whether argv0 names the hardreboot variant.
func IsHardReboot(argv0 string) bool { return filepath.Base(argv0) == HardRebootName }

// Main runs one check on this machine, as the watchdog daemon starts it:
// args is argv ("repair N" is the repair call), fence_scsi's state files
// and config file, devices opened read-only with the transport they are.
func Main(args []string, stderr io.Writer, hardReboot bool) int {
	return Run(Env{
		Args:       args,
		Stderr:     stderr,
		ConfigFile: ConfigFile,
		Store:      state.Default,
		Open: func(path string) (pr.Device, error) {
			return prdev.Open(path, prdev.Options{ReadOnly: true, Timeout: CommandTimeout})
		},
		Sleep:      clock.Sleep,
		Reboot:     RebootNow,
		HardReboot: hardReboot,
	})
}
