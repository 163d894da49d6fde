package fence

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/logging"
	nvmesim "github.com/fence-scsi-go/fence_scsi_go/internal/nvme/sim"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
	"github.com/fence-scsi-go/fence_scsi_go/internal/state"
	"github.com/fence-scsi-go/fence_scsi_go/internal/testutil"
	"github.com/fence-scsi-go/fence_scsi_go/internal/testutil/prsim"
)

// storage is shared storage of one transport: devices by path, each node
// reaching each through its own path (SCSI nexus, NVMe controller of the
// node's host).
type storage interface {
	paths() []string
	open(node, path string) pr.Device
	mayWrite(node, path string) bool
}

type scsiStorage map[string]*sim.LU

func (s scsiStorage) paths() []string { return sortedKeys(s) }
func (s scsiStorage) open(node, path string) pr.Device {
	return prsim.SCSI(path, s[path], node+":"+path, prsim.Options{})
}
func (s scsiStorage) mayWrite(node, path string) bool { return s[path].MayWrite(node + ":" + path) }

type nvmeStorage map[string]*nvmesim.Namespace

func (s nvmeStorage) paths() []string { return sortedKeys(s) }
func (s nvmeStorage) open(node, path string) pr.Device {
	return prsim.NVMe(path, s[path], node, prsim.Options{})
}
func (s nvmeStorage) mayWrite(node, path string) bool { return prsim.NVMeWrites(s[path], node) }

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// transports is the table the tests below run on: the same fence actions on
// the SCSI simulator and on the NVMe simulator, through pr.Device.
var transports = []struct {
	name string
	make func(opts ...nvmesim.Option) storage
}{
	{"scsi", func(...nvmesim.Option) storage {
		return scsiStorage{"/dev/sdb": sim.NewLU(sim.WithSerial("lu-b")), "/dev/sdc": sim.NewLU(sim.WithSerial("lu-c"))}
	}},
	{"nvme", func(opts ...nvmesim.Option) storage {
		return nvmeStorage{
			"/dev/nvme0n1": nvmesim.NewNamespace(append(opts, nvmesim.WithNSID(1))...),
			"/dev/nvme0n2": nvmesim.NewNamespace(append(opts, nvmesim.WithNSID(2))...),
		}
	}},
}

// nodeOptions are the Options of an agent on node with its own state files.
func nodeOptions(t *testing.T, st storage, node string) Options {
	dir := t.TempDir()
	return Options{
		Open:      func(path string, _ bool) (pr.Device, error) { return st.open(node, path), nil },
		Stat:      func(p string) (fs.FileInfo, error) { return testutil.Info(p, fs.ModeDevice|0o660), nil },
		Realpath:  func(p string) (string, error) { return p, nil },
		SysfsRoot: filepath.Join(dir, "sys"),
		Store:     state.Store{KeyFile: filepath.Join(dir, "cluster.key"), DevFile: filepath.Join(dir, "cluster.dev")},
		Log: logging.Func(func(level slog.Level, msg string) {
			t.Logf("%s %s: %s", node, level, strings.TrimSuffix(msg, "\n"))
		}),
	}
}

// forTransports runs f on the storage of each transport with the agents
// of nodes n1 and n2 (o1, o2) and the storage's paths.
func forTransports(t *testing.T, f func(t *testing.T, st storage, devs []string, o1, o2 Options)) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			st := tr.make()
			f(t, st, st.paths(), nodeOptions(t, st, "n1"), nodeOptions(t, st, "n2"))
		})
	}
}

// observe reads keys and reservation of path through a node that never registers.
func observe(t *testing.T, st storage, path string) ([]pr.Key, *pr.Reservation) {
	t.Helper()
	d := st.open("observer", path)
	kl, err := d.ReadKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.ReadReservation(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(kl.Keys)
	return kl.Keys, res
}

// TestTransportOnOffStatus: unfence two nodes, fence one, status, fence
// again (already off), unfence it again, on SCSI and NVMe alike.
func TestTransportOnOffStatus(t *testing.T) {
	forTransports(t, func(t *testing.T, st storage, devs []string, o1, o2 Options) {
		ctx := context.Background()
		for _, n := range []struct {
			o   Options
			key pr.Key
		}{{o1, key1}, {o2, key2}} {
			if err := On(ctx, n.o, devs, n.key); err != nil {
				t.Fatalf("On(%v) = %v", n.key, err)
			}
		}
		for _, d := range devs {
			keys, res := observe(t, st, d)
			if !slices.Equal(keys, []pr.Key{key1, key2}) || !res.Present || res.Type != pr.WERO || res.Key != key1 {
				t.Fatalf("%s after on: keys %v, reservation %+v", d, keys, res)
			}
			if !st.mayWrite("n2", d) || st.mayWrite("n3", d) {
				t.Errorf("%s: a registrant must write, another host not", d)
			}
		}
		if on, err := Status(ctx, o1, devs, key2); err != nil || !on {
			t.Fatalf("Status(key2) = %v, %v; want on", on, err)
		}
		if res, err := Off(ctx, o1, devs, key2); err != nil || res != PoweredOff {
			t.Fatalf("Off(key2) = %v, %v; want powered off", res, err)
		}
		for _, d := range devs {
			keys, res := observe(t, st, d)
			if !slices.Equal(keys, []pr.Key{key1}) || !res.Present || res.Type != pr.WERO {
				t.Errorf("%s after off: keys %v, reservation %+v", d, keys, res)
			}
			if st.mayWrite("n2", d) || !st.mayWrite("n1", d) {
				t.Errorf("%s: the fenced node writes, or the fencer does not", d)
			}
		}
		if on, err := Status(ctx, o1, devs, key2); err != nil || on {
			t.Errorf("Status(key2) after off = %v, %v; want off", on, err)
		}
		if res, err := Off(ctx, o1, devs, key2); err != nil || res != AlreadyOff {
			t.Errorf("second Off(key2) = %v, %v; want already off", res, err)
		}
		if err := On(ctx, o2, devs, key2); err != nil {
			t.Fatalf("unfence again: %v", err)
		}
		if on, err := Status(ctx, o1, devs, key2); err != nil || !on {
			t.Errorf("Status(key2) after unfencing again = %v, %v", on, err)
		}
	})
}

// TestTransportOffByNonHolder: the node that does not hold the reservation
// fences the holder: it preempts the holder's key and takes the reservation.
func TestTransportOffByNonHolder(t *testing.T) {
	forTransports(t, func(t *testing.T, st storage, devs []string, o1, o2 Options) {
		ctx := context.Background()
		mustOn(t, o1, devs, key1)
		mustOn(t, o2, devs, key2)
		if res, err := Off(ctx, o2, devs, key1); err != nil || res != PoweredOff {
			t.Fatalf("Off(key1) by n2 = %v, %v", res, err)
		}
		for _, d := range devs {
			keys, res := observe(t, st, d)
			if !slices.Equal(keys, []pr.Key{key2}) || res.Key != key2 || st.mayWrite("n1", d) {
				t.Errorf("%s: keys %v, reservation %+v, n1 writes %v", d, keys, res, st.mayWrite("n1", d))
			}
		}
		if _, err := Off(ctx, o1, devs, key2); !isLost(err) {
			t.Errorf("the fenced node fencing back = %v; want lost", err)
		}
	})
}

func mustOn(t *testing.T, o Options, devs []string, key pr.Key) {
	t.Helper()
	if err := On(context.Background(), o, devs, key); err != nil {
		t.Fatalf("On(%v) = %v", key, err)
	}
}

func isLost(err error) bool {
	var lost *LostError
	return errors.As(err, &lost)
}

// TestOffLinuxTargetHolder: on the Linux NVMe target a preempt by the holder
// of a WE-RO reservation only changes the reservation type (docs/nvme.md).
// Off run by the holder probes it (the victim still registered after its
// preempt and abort) and preempts again under WE-AR: the victim's key goes,
// its writes are refused, the holder keeps writing, and the namespace is left
// WE-AR with the holder's registration. On a conforming namespace the first
// preempt is enough and the type stays WE-RO.
func TestOffLinuxTargetHolder(t *testing.T) {
	for _, c := range []struct {
		name string
		opts []nvmesim.Option
		want pr.Type
	}{{"linux", []nvmesim.Option{nvmesim.LinuxTarget()}, pr.WEAR}, {"conforming", nil, pr.WERO}} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			st := transports[1].make(c.opts...)
			devs := st.paths()
			o1, o2 := nodeOptions(t, st, "n1"), nodeOptions(t, st, "n2")
			mustOn(t, o1, devs, key1) // n1 holds the reservation
			mustOn(t, o2, devs, key2)
			if res, err := Off(ctx, o1, devs, key2); err != nil || res != PoweredOff {
				t.Fatalf("Off by the holder = %v, %v; want PoweredOff", res, err)
			}
			for _, d := range devs {
				keys, res := observe(t, st, d)
				if !slices.Equal(keys, []pr.Key{key1}) || !res.Present || res.Type != c.want {
					t.Errorf("%s: keys %v, reservation %+v; want only %v, a %v reservation", d, keys, res, key1, c.want)
				}
				if st.mayWrite("n2", d) || !st.mayWrite("n1", d) {
					t.Errorf("%s: n2 may write %v, n1 may write %v; want false, true", d, st.mayWrite("n2", d), st.mayWrite("n1", d))
				}
			}
		})
	}
}
