package fence

import (
	"context"
	"log/slog"
	"strings"

	"github.com/fence-scsi-go/fence_scsi_go/internal/keys/nodekey"
	"github.com/fence-scsi-go/fence_scsi_go/internal/logging"
)

// DefaultVgsPath is the vgs binary when none is given: the agent's vgs_path
// default (docs/differences.md; Debian's fence_scsi build says /sbin/vgs).
const DefaultVgsPath = "/usr/sbin/vgs"

// vgsArgs is fence_scsi HEAD's vgs command line, as an argument vector.
var vgsArgs = []string{
	"--noheadings",
	"--separator", ":",
	"--sort", "pv_uuid",
	"--options", "vg_attr,pv_name",
	"--config", `global { locking_type = 0 } devices { preferred_names = [ "^/dev/dm" ] }`,
}

// DiscoverDevices finds the physical volumes of shared volume groups when
// no devices are configured (fence_scsi HEAD's get_shared_devices): a PV is
// kept when the 6th vg_attr character is 'c' (clvmd) or 's' (lvmlockd).
// log may be nil.
func DiscoverDevices(ctx context.Context, vgsPath string, log *slog.Logger) ([]string, error) {
	if vgsPath == "" {
		vgsPath = DefaultVgsPath
	}
	res, err := nodekey.RunCommand(ctx, log, vgsPath, vgsArgs...)
	if err != nil {
		return nil, err
	}
	if res.ExitCode != 0 {
		return nil, ErrSharedDevices
	}
	devs := sharedPVs(res.Stdout, log)
	if len(devs) == 0 {
		return nil, ErrNoDevices
	}
	return devs, nil
}

// sharedPVs picks the physical volumes of shared volume groups out of the
// output of vgsArgs: one "vg_attr:pv_name" line per PV, kept when the 6th
// attribute character is 'c' (clvmd) or 's' (lvmlockd). fence_scsi raises
// an exception on a line that is not "attr:pv"; such a line is skipped
// (and logged at debug level) instead.
func sharedPVs(stdout string, log *slog.Logger) []string {
	var devs []string
	for _, line := range strings.Split(stdout, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		a, pv, ok := strings.Cut(line, ":")
		attr := []rune(a) // fence_scsi indexes a Python str: characters, not bytes
		if !ok || strings.Contains(pv, ":") || len(attr) < 6 || pv == "" {
			logging.Debugf(log, "vgs: ignoring line %q\n", line)
			continue
		}
		if attr[5] == 'c' || attr[5] == 's' {
			devs = append(devs, pv)
		}
	}
	return devs
}
