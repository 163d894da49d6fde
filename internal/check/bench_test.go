package check

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr/scsipr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
	"github.com/fence-scsi-go/fence_scsi_go/internal/state"
)

// BenchmarkRun is the in-process cost of one watchdog check on each of its paths, with the
// real state files (in a temporary directory) and the SCSI simulator: what a run costs above
// starting the process, which tests/bench/check_cpu.sh measures as a whole. The paths with
// PR storage (key found, key gone) cannot be run as a process on a host without it; these
// numbers show how little they differ from the device-error path.
func BenchmarkRun(b *testing.B) {
	ctx := context.Background()
	lu := sim.NewLU(sim.WithSerial("sdb"))
	if err := lu.Device("other").RegisterAndIgnore(ctx, node2, scsi.RegisterOptions{}); err != nil {
		b.Fatal(err)
	}
	simOpen := func(string) (pr.Device, error) { return scsipr.New(lu.Device("node1")), nil }
	missing := func(string) (pr.Device, error) { return nil, os.ErrNotExist }
	cases := []struct {
		name   string
		key    scsi.Key // 0: no state files
		open   func(string) (pr.Device, error)
		setup  func()
		wantRC int
	}{
		{"not-configured", 0, missing, nil, ExitOK},
		{"device-error", node1, missing, nil, ExitNotFound},
		{"key-gone", node1, simOpen, nil, ExitNotFound},
		{"key-found", node1, simOpen, func() {
			if err := lu.Device("node1").RegisterAndIgnore(ctx, node1, scsi.RegisterOptions{}); err != nil {
				b.Fatal(err)
			}
		}, ExitOK},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			dir := b.TempDir()
			store := state.Store{KeyFile: filepath.Join(dir, "cluster.key"), DevFile: filepath.Join(dir, "cluster.dev")}
			if c.key != 0 {
				if err := store.WriteKey(c.key); err != nil {
					b.Fatal(err)
				}
				if err := store.AddDevices("/dev/sdb"); err != nil {
					b.Fatal(err)
				}
			}
			if c.setup != nil {
				c.setup()
			}
			env := Env{Args: []string{"fence_scsi_check"}, Stderr: io.Discard, ConfigFile: filepath.Join(dir, "stonith"),
				Store: store, Open: c.open, Sleep: func(context.Context, time.Duration) error { return nil }}
			for b.Loop() {
				if rc := Run(env); rc != c.wantRC {
					b.Fatalf("rc = %d, want %d", rc, c.wantRC)
				}
			}
		})
	}
}
