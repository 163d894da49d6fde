package fence

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

// fakeSysfs creates block/<dm>/slaves/<entry> for each "dm:entry" item.
func fakeSysfs(t *testing.T, root string, items ...string) {
	t.Helper()
	for _, it := range items {
		dm, slave, _ := strings.Cut(it, ":")
		dir := filepath.Join(root, "block", dm, "slaves")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if slave != "" {
			if err := os.Symlink("../../../devices/"+slave, filepath.Join(dir, slave)); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestMultipathPaths(t *testing.T) {
	root := t.TempDir()
	// Directory order is not sorted order on purpose: sdd is created first.
	fakeSysfs(t, root, "dm-0:sdd", "dm-0:sdc", "dm-0:.hidden", "dm-1:dm-0", "dm-2:", "dm-3:dm-3")
	real := map[string]string{
		"/dev/mapper/mpatha":  "/dev/dm-0",
		"/dev/mapper/mpatha1": "/dev/dm-1",
		"/dev/mapper/empty":   "/dev/dm-2",
		"/dev/mapper/loop":    "/dev/dm-3",
		"/dev/mapper/gone":    "/dev/dm-9",
		"/dev/disk/by-id/x":   "/dev/sdb",
	}
	o := Options{SysfsRoot: root, Realpath: func(p string) (string, error) { return real[p], nil }}.withDefaults()
	tests := []struct {
		dev, method string
		want        []string
		wantErr     string
	}{
		{"/dev/mapper/mpatha", "multi", []string{"/dev/sdc", "/dev/sdd"}, ""},
		{"/dev/mapper/mpatha1", "multi", []string{"/dev/sdc", "/dev/sdd"}, ""}, // kpartx partition
		{"/dev/mapper/mpatha", "single", nil, ""},
		{"/dev/mapper/mpatha", "MULTI", nil, ""}, // fence_scsi: anything but "multi" is single
		{"/dev/disk/by-id/x", "multi", nil, ""},
		{"/dev/mapper/empty", "multi", nil, `Failed: device-mapper device "/dev/dm-2" has no paths`},
		{"/dev/mapper/gone", "multi", nil, `Failed: cannot find the paths of device-mapper device "/dev/dm-9": `},
		{"/dev/mapper/loop", "multi", nil, `Failed: cannot find the paths of device-mapper device "/dev/dm-3"`},
	}
	for _, tt := range tests {
		o.MpathRegisterMethod = tt.method
		got, err := o.multipathPaths(tt.dev)
		if tt.wantErr != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("%s %s: err = %v, want %q", tt.dev, tt.method, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s %s = %q, %v; want %q", tt.dev, tt.method, got, err, tt.want)
		}
	}
}

// mpathSAN is one LU with two paths /dev/sdc and /dev/sdd; /dev/mapper/mpatha
// (/dev/dm-0) forwards to the first path, as dm-multipath does with SG_IO.
func mpathSAN(t *testing.T) (*san, *sim.LU) {
	s := newSAN()
	lu := sim.NewLU()
	for _, p := range []string{"/dev/sdc", "/dev/sdd", "/dev/mapper/mpatha"} {
		s.lus[p] = lu
	}
	s.alias["/dev/mapper/mpatha"] = "/dev/sdc"
	return s, lu
}

func (s *san) mpathOptions(t *testing.T, node, method string) Options {
	o := s.options(t, node)
	o.MpathRegisterMethod = method
	o.Realpath = func(p string) (string, error) {
		if p == "/dev/mapper/mpatha" {
			return "/dev/dm-0", nil
		}
		return p, nil
	}
	fakeSysfs(t, o.SysfsRoot, "dm-0:sdd", "dm-0:sdc")
	return o
}

func TestMultipathOn(t *testing.T) {
	devs := []string{"/dev/mapper/mpatha"}
	tests := []struct {
		method string
		want   string
	}{
		{"multi", "n1:/dev/sdc=6c9d0000 n1:/dev/sdd=6c9d0000"},
		{"single", "n1:/dev/sdc=6c9d0000"},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			s, lu := mpathSAN(t)
			o := s.mpathOptions(t, "n1", tt.method)
			// Three runs: from the second on the key is already there, and
			// only the first path may self-preempt, or a later path's
			// preempt would remove the earlier paths (as register_dev).
			for i := 0; i < 3; i++ {
				if err := On(ctx, o, devs, key1); err != nil {
					t.Fatal(err)
				}
				if got := s.regs("/dev/sdc"); got != tt.want {
					t.Fatalf("run %d: registrations %s, want %s", i, got, tt.want)
				}
			}
			if r := lu.ReservationState(); !r.Present || r.Holder != "n1:/dev/sdc" {
				t.Fatalf("reservation %+v", r)
			}
			if data, _ := os.ReadFile(o.Store.DevFile); string(data) != "/dev/mapper/mpatha\n" {
				t.Fatalf("dev file %q", data)
			}
		})
	}
}

func TestMultipathOff(t *testing.T) {
	devs := []string{"/dev/mapper/mpatha"}
	s, lu := mpathSAN(t)
	o1 := s.mpathOptions(t, "n1", "multi")
	o2 := s.mpathOptions(t, "n2", "multi")
	if err := On(ctx, o1, devs, key1); err != nil {
		t.Fatal(err)
	}
	if err := On(ctx, o2, devs, key2); err != nil {
		t.Fatal(err)
	}
	if got := s.regs("/dev/sdc"); got != "n1:/dev/sdc=6c9d0000 n1:/dev/sdd=6c9d0000 n2:/dev/sdc=6c9d0001 n2:/dev/sdd=6c9d0001" {
		t.Fatalf("before: %s", got)
	}
	if res, err := Off(ctx, o2, devs, key1); err != nil || res != PoweredOff {
		t.Fatalf("Off = %v, %v", res, err)
	}
	if got := s.regs("/dev/sdc"); got != "n2:/dev/sdc=6c9d0001 n2:/dev/sdd=6c9d0001" {
		t.Fatalf("after: %s", got)
	}
	for _, nx := range []string{"n1:/dev/sdc", "n1:/dev/sdd"} {
		if lu.MayWrite(nx) {
			t.Errorf("%s may still write", nx)
		}
	}
}

func TestMultipathMissingSysfs(t *testing.T) {
	s, lu := mpathSAN(t)
	o := s.mpathOptions(t, "n1", "multi")
	o.SysfsRoot = filepath.Join(t.TempDir(), "nosys")
	err := On(ctx, o, []string{"/dev/mapper/mpatha"}, key1)
	if err == nil || !strings.HasPrefix(err.Error(), `Failed: cannot find the paths of device-mapper device "/dev/dm-0"`) {
		t.Fatalf("On = %v", err)
	}
	if len(lu.Registrations()) != 0 {
		t.Fatal("PR OUT sent")
	}
	if _, err := os.Stat(o.Store.KeyFile); err == nil {
		t.Fatal("key file written")
	}
}

func TestMultipathPathsOfAPlainDevice(t *testing.T) {
	if paths, err := MultipathPaths("", "/dev/null"); paths != nil || err != nil {
		t.Fatalf("MultipathPaths(/dev/null) = %v, %v; want nil, nil", paths, err)
	}
}

func TestDMSlaves(t *testing.T) {
	root := t.TempDir()
	fakeSysfs(t, root, "dm-0:sdd", "dm-0:.hidden", "dm-0:sdc", "dm-2:")
	for _, tc := range []struct {
		name string
		want []string
	}{{"dm-0", []string{"sdc", "sdd"}}, {"dm-2", nil}} {
		if got, err := DMSlaves(root, tc.name); err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %q %v, want %q", tc.name, got, err, tc.want)
		}
	}
	if got, err := DMSlaves(root, "dm-9"); !os.IsNotExist(err) || got != nil {
		t.Errorf("dm-9: %q %v, want a not-exist error", got, err)
	}
}
