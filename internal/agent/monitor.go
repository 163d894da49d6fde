package agent

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/fence-scsi-go/fence_scsi_go/internal/fence"
	"github.com/fence-scsi-go/fence_scsi_go/internal/fenceproto"
	"github.com/fence-scsi-go/fence_scsi_go/internal/keys/nodekey"
)

// Monitor is fence_scsi HEAD's monitor (fence_scsi.py's monitor action) without the sg_persist
// and sg_turs checks, since this agent runs no external SCSI tools: vgs must
// run when no devices are configured, the key and dev files must be
// readable, and every device this node unfenced must be in the SCSI state
// "live" or "running".
func (b *Backend) Monitor(ctx context.Context, o *fenceproto.Options) error {
	if len(fence.ParseDevices(o.Devices)) == 0 {
		res, err := nodekey.RunCommand(commandLimit(ctx, o), o.Log, o.VgsPath, "--version")
		if err != nil {
			return compatError(err)
		}
		if res.ExitCode != 0 {
			return &fenceproto.Error{Msg: "Unable to run " + fenceproto.Clean(o.VgsPath)}
		}
	}
	if _, err := b.store.ReadKey(); err != nil {
		return compatError(err)
	}
	devs, err := b.store.ReadDevices()
	if err != nil {
		return compatError(err)
	}
	for _, dev := range devs {
		if st, ok := b.deviceState(dev); ok && st != "live" && st != "running" {
			return &fenceproto.Error{Msg: "Failed: Unable to access " + dev}
		}
	}
	return nil
}

// deviceState reads /sys/block/<dev>/device/state for a device path (after
// resolving symlinks); ok is false when there is no such file (dm nodes),
// which fence_scsi ignores.
func (b *Backend) deviceState(dev string) (state string, ok bool) {
	real, err := filepath.EvalSymlinks(dev)
	if err != nil {
		real = dev
	}
	data, err := os.ReadFile(filepath.Join(b.sysfs, "block", filepath.Base(real), "device", "state"))
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(data)), true
}
