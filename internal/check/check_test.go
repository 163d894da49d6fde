package check

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr/scsipr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
	"github.com/fence-scsi-go/fence_scsi_go/internal/state"
)

const (
	node1 scsi.Key = 0x6c9d0000
	node2 scsi.Key = 0x6c9d0001
)

// rig is two LUNs seen by node1 (the checking node) and node2.
type rig struct {
	t        *testing.T
	luns     map[string]*sim.LU
	store    state.Store
	conf     string
	stderr   bytes.Buffer
	sleeps   []time.Duration
	rebooted int
}

func newRig(t *testing.T) *rig {
	dir := t.TempDir()
	r := &rig{t: t, luns: map[string]*sim.LU{"/dev/sdb": sim.NewLU(sim.WithSerial("sdb")), "/dev/sdc": sim.NewLU(sim.WithSerial("sdc"))},
		store: state.Store{KeyFile: filepath.Join(dir, "cluster.key"), DevFile: filepath.Join(dir, "cluster.dev")},
		conf:  filepath.Join(dir, "stonith")}
	return r
}

func (r *rig) dev(path, nexus string) scsi.Device { return r.luns[path].Device(nexus) }

// unfence registers key through nexus on path and writes the state files
// as "on" would.
func (r *rig) register(path, nexus string, key scsi.Key) {
	r.t.Helper()
	if err := r.dev(path, nexus).RegisterAndIgnore(context.Background(), key, scsi.RegisterOptions{}); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) writeState(key scsi.Key, devs ...string) {
	r.t.Helper()
	if err := r.store.WriteKey(key); err != nil {
		r.t.Fatal(err)
	}
	if err := r.store.AddDevices(devs...); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) run(args ...string) int {
	r.stderr.Reset()
	return Run(Env{
		Args: append([]string{"fence_scsi_check"}, args...), Stderr: &r.stderr,
		ConfigFile: r.conf, Store: r.store,
		Open: func(path string) (pr.Device, error) {
			lu, ok := r.luns[path]
			if !ok {
				return nil, os.ErrNotExist
			}
			return scsipr.New(lu.Device("node1")), nil
		},
		Sleep:      func(_ context.Context, d time.Duration) error { r.sleeps = append(r.sleeps, d); return nil },
		Reboot:     func() error { r.rebooted++; return nil },
		HardReboot: false,
	})
}

func TestCheckKeyOnAnyDevice(t *testing.T) {
	r := newRig(t)
	r.writeState(node1, "/dev/sdb", "/dev/sdc")
	r.register("/dev/sdc", "node1", node1) // only on the second device
	if rc := r.run("test"); rc != ExitOK {
		t.Fatalf("rc = %d, want 0; stderr: %s", rc, r.stderr.String())
	}
}

func TestCheckFencedNodeFails(t *testing.T) {
	r := newRig(t)
	r.writeState(node1, "/dev/sdb")
	r.register("/dev/sdb", "node1", node1)
	r.register("/dev/sdb", "node2", node2)
	if rc := r.run(); rc != ExitOK {
		t.Fatalf("before fencing: rc = %d, want 0", rc)
	}
	// node2 fences node1.
	if err := r.dev("/dev/sdb", "node2").PreemptAndAbort(context.Background(), node2, node1, scsi.TypeWriteExclusiveRegistrantsOnly); err != nil {
		t.Fatal(err)
	}
	if rc := r.run(); rc != ExitNotFound {
		t.Fatalf("after fencing: rc = %d, want 2; stderr: %s", rc, r.stderr.String())
	}
}

func TestCheckNotConfigured(t *testing.T) {
	r := newRig(t)
	if rc := r.run(); rc != ExitOK {
		t.Fatalf("rc = %d, want 0", rc)
	}
	want := "ERROR:root:Failed: Cannot open file \"" + r.store.DevFile + "\"\n\nERROR:root:No devices found\n"
	if got := r.stderr.String(); got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
	// --suppress-errors in the config silences both lines.
	os.WriteFile(r.conf, []byte("--suppress-errors=1\n"), 0o644)
	if rc := r.run(); rc != ExitOK || r.stderr.Len() != 0 {
		t.Errorf("suppressed: rc = %d, stderr %q", rc, r.stderr.String())
	}
	// Devices but no key file.
	r.store.AddDevices("/dev/sdb")
	if rc := r.run(); rc != ExitOK || !strings.Contains(r.stderr.String(), "ERROR:root:Key not found") {
		t.Errorf("no key: rc = %d, stderr %q", rc, r.stderr.String())
	}
}

func TestCheckRetryAndHardReboot(t *testing.T) {
	r := newRig(t)
	r.writeState(node1, "/dev/sdb", "/dev/sdc")
	os.WriteFile(r.conf, []byte("retry=2\nretry-sleep=0.5\nverbose=yes\n"), 0o644)
	if rc := r.run(); rc != ExitNotFound {
		t.Fatalf("rc = %d, want 2", rc)
	}
	// 3 attempts per device, sleeping between attempts of one device only.
	if len(r.sleeps) != 4 || r.sleeps[0] != 500*time.Millisecond {
		t.Errorf("sleeps = %v, want 4 x 500ms", r.sleeps)
	}
	if !strings.Contains(r.stderr.String(), "DEBUG:root:retry: 2 of 2") {
		t.Errorf("verbose log missing retries: %s", r.stderr.String())
	}
	if r.rebooted != 0 {
		t.Fatal("plain check rebooted")
	}
	env := Env{Args: []string{"fence_scsi_check_hardreboot"}, Stderr: &r.stderr, ConfigFile: r.conf, Store: r.store,
		Open:  func(path string) (pr.Device, error) { return scsipr.New(r.luns[path].Device("node1")), nil },
		Sleep: func(context.Context, time.Duration) error { return nil }, Reboot: func() error { r.rebooted++; return nil }, HardReboot: true}
	if rc := Run(env); rc != ExitNotFound || r.rebooted != 1 {
		t.Errorf("hardreboot: rc = %d, rebooted %d times, want 2 and 1", rc, r.rebooted)
	}
	r.register("/dev/sdb", "node1", node1)
	if rc := Run(env); rc != ExitOK || r.rebooted != 1 {
		t.Errorf("registered: rc = %d, rebooted %d times", rc, r.rebooted)
	}
}

func TestCheckReadFailureCountsAsNoKeys(t *testing.T) {
	r := newRig(t)
	r.writeState(node1, "/dev/sdb", "/dev/sdc")
	r.register("/dev/sdc", "node1", node1)
	r.luns["/dev/sdb"].Inject("node1", sim.Fault{Kind: sim.FaultPRUnsupported, Count: -1, Opcodes: []byte{0x5E}})
	if rc := r.run(); rc != ExitOK {
		t.Fatalf("rc = %d, want 0 (key on the second device)", rc)
	}
	if !strings.Contains(r.stderr.String(), `Cannot get registration keys on device "/dev/sdb"`) {
		t.Errorf("stderr: %s", r.stderr.String())
	}
	// A timeout with retry=0 ends the check with 1, as fence_scsi's timeout handler does.
	r.luns["/dev/sdb"].ClearFaults("node1")
	r.luns["/dev/sdb"].Inject("node1", sim.Fault{Kind: sim.FaultTimeoutBefore, Count: -1})
	if rc := r.run(); rc != ExitError {
		t.Fatalf("timeout: rc = %d, want 1; stderr %s", rc, r.stderr.String())
	}
}

func TestRepair(t *testing.T) {
	r := newRig(t)
	if rc := r.run("repair", "2"); rc != 2 {
		t.Errorf("repair 2: rc = %d", rc)
	}
	if rc := r.run("repair", "x"); rc != ExitError {
		t.Errorf("repair x: rc = %d", rc)
	}
}

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
