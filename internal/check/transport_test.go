package check

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	nvmesim "github.com/fence-scsi-go/fence_scsi_go/internal/nvme/sim"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/state"
	"github.com/fence-scsi-go/fence_scsi_go/internal/testutil/prsim"
)

// TestCheckNVMe: the watchdog check on an NVMe namespace through the same
// pr.Device: 0 while this host is registered, 2 once another host preempted
// it. A dev file may list SCSI and NVMe devices; here it lists a missing
// SCSI path first, which the check skips as unreadable.
func TestCheckNVMe(t *testing.T) {
	dir := t.TempDir()
	ns := nvmesim.NewNamespace()
	open := func(host string) pr.Device { return prsim.NVMe("/dev/nvme0n1", ns, host, prsim.Options{}) }
	store := state.Store{KeyFile: filepath.Join(dir, "cluster.key"), DevFile: filepath.Join(dir, "cluster.dev")}
	if err := store.WriteKey(node1); err != nil {
		t.Fatal(err)
	}
	if err := store.AddDevices("/dev/sdx", "/dev/nvme0n1"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for h, k := range map[string]pr.Key{"node1": node1, "node2": node2} {
		if err := open(h).RegisterAndIgnore(ctx, k, pr.RegisterOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var stderr bytes.Buffer
	run := func() int {
		stderr.Reset()
		return Run(Env{Args: []string{"fence_scsi_check"}, Stderr: &stderr, ConfigFile: filepath.Join(dir, "stonith"),
			Store: store,
			Open: func(path string) (pr.Device, error) {
				if path != "/dev/nvme0n1" {
					return nil, os.ErrNotExist
				}
				return open("node1"), nil
			},
			Sleep: func(context.Context, time.Duration) error { return nil },
		})
	}
	if rc := run(); rc != ExitOK {
		t.Fatalf("registered: rc = %d, want 0; stderr: %s", rc, stderr.String())
	}
	if err := open("node2").PreemptAndAbort(ctx, node2, node1, pr.WERO); err != nil {
		t.Fatal(err)
	}
	if rc := run(); rc != ExitNotFound {
		t.Fatalf("after node2 fenced this host: rc = %d, want 2; stderr: %s", rc, stderr.String())
	}
}
