package prsim

import (
	"context"
	"slices"
	"testing"

	nvmesim "github.com/fence-scsi-go/fence_scsi_go/internal/nvme/sim"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

// TestDevices: a device of each transport registers and reserves through
// pr.Device, under its own name and transport; NVMeWrites follows the
// reservation and HostID pads the name.
func TestDevices(t *testing.T) {
	ctx := context.Background()
	lu, ns := sim.NewLU(), nvmesim.NewNamespace()
	devs := []pr.Device{SCSI("/dev/sdb", lu, "a", Quick), NVMe("/dev/nvme0n1", ns, "a", Options{})}
	for i, d := range devs {
		if d.Name() != []string{"/dev/sdb", "/dev/nvme0n1"}[i] || d.Transport() != []pr.Transport{pr.SCSI, pr.NVMe}[i] {
			t.Errorf("device %d: %s on %v", i, d.Name(), d.Transport())
		}
		if err := d.Register(ctx, 0, 0xa, pr.RegisterOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := d.Reserve(ctx, 0xa, pr.WERO); err != nil {
			t.Fatal(err)
		}
		if kl, err := d.ReadKeys(ctx); err != nil || !slices.Equal(kl.Keys, []pr.Key{0xa}) {
			t.Errorf("%s: keys %v, %v", d.Name(), kl, err)
		}
	}
	if !lu.MayWrite("a") || lu.MayWrite("b") || !NVMeWrites(ns, "a") || NVMeWrites(ns, "b") {
		t.Error("only the registered host may write")
	}
	if h := HostID("ab"); h[0] != 'a' || h[1] != 'b' || h[2] != 0 || HostID("a") == HostID("b") {
		t.Errorf("HostID(ab) = %v", h)
	}
}
