package fence

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

func TestParallelLUNs(t *testing.T) {
	devs := []string{"/dev/sdb", "/dev/sdc", "/dev/sdd", "/dev/sde"}
	s := newSAN(devs...)
	o := s.options(t, "n1")
	// Freeze n1's nexus on every LUN: the action can only finish if it has
	// commands waiting on all four at once.
	var resumes []func()
	for _, d := range devs {
		resumes = append(resumes, s.lus[d].Pause("n1:"+d))
	}
	done := make(chan error, 1)
	go func() { done <- On(ctx, o, devs, key1) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		waiting := 0
		for _, d := range devs {
			if s.lus[d].Pending("n1:"+d) > 0 {
				waiting++
			}
		}
		if waiting == len(devs) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d LUNs worked on at once", waiting, len(devs))
		}
		time.Sleep(time.Millisecond)
	}
	for _, r := range resumes {
		r()
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		if !s.lus[d].MayWrite("n1:" + d) {
			t.Errorf("%s not unfenced", d)
		}
	}
	// The dev file lists the devices in configured order, whatever the completion order.
	if data, _ := os.ReadFile(o.Store.DevFile); string(data) != strings.Join(devs, "\n")+"\n" {
		t.Errorf("dev file %q", data)
	}
}

func TestParallelismBound(t *testing.T) {
	devs := []string{"/dev/sdb", "/dev/sdc", "/dev/sdd", "/dev/sde"}
	s := newSAN(devs...)
	o := s.options(t, "n1")
	o.Parallelism = 1
	resume := s.lus["/dev/sdb"].Pause("n1:/dev/sdb")
	done := make(chan error, 1)
	go func() { _, err := Status(ctx, o, devs, key1); done <- err }()
	for s.lus["/dev/sdb"].Pending("n1:/dev/sdb") == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	s.mu.Lock()
	opened := len(s.opens)
	s.mu.Unlock()
	resume()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if opened != 1 {
		t.Fatalf("%d devices opened while the first one was busy, want 1", opened)
	}
}

func TestDeviceWithoutPR(t *testing.T) {
	devs := []string{"/dev/sdb", "/dev/sdc", "/dev/sdd"}
	for _, action := range []string{"on", "off", "status"} {
		t.Run(action, func(t *testing.T) {
			s := newSAN(devs...)
			o := s.options(t, "n1")
			// sdc has a registration of n3 so that off has work to do.
			s.lus["/dev/sdc"].Device("n3:/dev/sdc").RegisterAndIgnore(ctx, key3, scsi.RegisterOptions{})
			s.lus["/dev/sdd"].Inject("n1:/dev/sdd", sim.Fault{Kind: sim.FaultPRUnsupported, Count: -1, Opcodes: []byte{0x5E, 0x5F}})
			var err error
			switch action {
			case "on":
				err = On(ctx, o, devs, key1)
			case "off":
				o.Store.WriteKey(key1)
				_, err = Off(ctx, o, devs, key3)
			case "status":
				_, err = Status(ctx, o, devs, key1)
			}
			want := `Failed: device "/dev/sdd" does not support persistent reservations: `
			if err == nil || !strings.HasPrefix(err.Error(), want) || !errors.Is(err, scsi.ErrNotSupported) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want %q...", err, want)
			}
			if got := s.regs("/dev/sdb") + "|" + s.regs("/dev/sdc"); got != "|n3:/dev/sdc=6c9d0002" {
				t.Errorf("other LUNs touched: %s", got)
			}
			if _, err := os.Stat(o.Store.DevFile); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("dev file written")
			}
			if _, err := os.Stat(o.Store.KeyFile); action == "on" && !errors.Is(err, os.ErrNotExist) {
				t.Errorf("key file written before the devices were validated")
			}
		})
	}
}

func TestDeviceChecks(t *testing.T) {
	tests := []struct {
		name    string
		devs    []string
		wantErr string
	}{
		{"missing", []string{"/dev/sdb", "/dev/nosuch"}, `Failed: device "/dev/nosuch" does not exist`},
		{"not a block device", []string{"/dev/sdb", "/etc/passwd"}, `Failed: device "/etc/passwd" is not a block device`},
		{"first in configured order wins", []string{"/etc/passwd", "/dev/nosuch"}, `Failed: device "/etc/passwd" is not a block device`},
		{"quoted", []string{"/dev/a\nb"}, `Failed: device "/dev/a\nb" does not exist`},
		{"read failure", []string{"/dev/sdb", "/dev/sdc"}, `Cannot get registration keys on device "/dev/sdc": `},
		{"no devices", nil, "Failed: No devices found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSAN("/dev/sdb", "/dev/sdc")
			s.regular["/etc/passwd"] = true
			s.lus["/dev/sdc"].Inject("n1:/dev/sdc", sim.Fault{Kind: sim.FaultTimeoutBefore, Count: -1, Opcodes: []byte{0x5E}})
			o := s.options(t, "n1")
			o.Store.WriteKey(key1)
			errs := []error{On(ctx, o, tt.devs, key1)}
			_, err := Off(ctx, o, tt.devs, key3)
			errs = append(errs, err)
			_, err = Status(ctx, o, tt.devs, key1)
			errs = append(errs, err)
			for i, err := range errs {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Errorf("action %d: err = %v, want %q", i, err, tt.wantErr)
				}
			}
			if got := s.regs("/dev/sdb"); got != "" {
				t.Errorf("PR OUT sent: %s", got)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	devs := []string{"/dev/sdb", "/dev/sdc"}
	s := newSAN(devs...)
	s.lus["/dev/sdc"].Device("x").RegisterAndIgnore(ctx, key2, scsi.RegisterOptions{})
	for _, tt := range []struct {
		key      scsi.Key
		readOnly bool
		want     bool
	}{
		{key1, false, false},
		{key2, true, true}, // on one device is enough
	} {
		o := s.options(t, "n1")
		o.ReadOnly = tt.readOnly
		s.opens = nil
		on, err := Status(ctx, o, devs, tt.key)
		if err != nil || on != tt.want {
			t.Errorf("Status(%v) = %v, %v", tt.key, on, err)
		}
		mode := map[bool]string{false: "rw", true: "ro"}[tt.readOnly]
		if want := []string{"n1 /dev/sdb " + mode, "n1 /dev/sdc " + mode}; !sameSet(s.opens, want) {
			t.Errorf("opens = %q, want %q", s.opens, want)
		}
	}
	if s.lus["/dev/sdb"].Generation() != 0 {
		t.Error("status sent a PR OUT")
	}
}

func sameSet(a, b []string) bool {
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, v := range m {
		if v != 0 {
			return false
		}
	}
	return len(a) == len(b)
}

func TestContextEnds(t *testing.T) {
	s := newSAN("/dev/sdb")
	o := s.options(t, "n1")
	resume := s.lus["/dev/sdb"].Pause("n1:/dev/sdb")
	defer resume()
	c, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err := On(c, o, []string{"/dev/sdb"}, key1)
	if !errors.Is(err, ErrTimeout) || err.Error() != "Connection timed out" {
		t.Fatalf("On = %v", err)
	}
}

func TestParseDevices(t *testing.T) {
	tests := map[string][]string{
		"/dev/sdb":                         {"/dev/sdb"},
		"/dev/sdb,/dev/sdc":                {"/dev/sdb", "/dev/sdc"},
		" /dev/sdb , /dev/sdc\t/dev/sdd\n": {"/dev/sdb", "/dev/sdc", "/dev/sdd"},
		",,":                               nil,
		"":                                 nil,
	}
	for in, want := range tests {
		if got := ParseDevices(in); len(got)+len(want) > 0 && !reflect.DeepEqual(got, want) {
			t.Errorf("ParseDevices(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDiscoverDevices(t *testing.T) {
	wantArgs := "--noheadings|--separator|:|--sort|pv_uuid|--options|vg_attr,pv_name|--config|" +
		`global { locking_type = 0 } devices { preferred_names = [ "^/dev/dm" ] }|`
	tests := []struct {
		name, out string
		rc        int
		want      []string
		wantErr   error
	}{
		{"clvmd and lvmlockd", "  wz--nc:/dev/dm-0\n  wz--n-:/dev/sdb\n  wz--ns:/dev/dm-3\n", 0, []string{"/dev/dm-0", "/dev/dm-3"}, nil},
		{"c elsewhere does not count", "  cz--n-:/dev/sdb\n", 0, nil, ErrNoDevices},
		{"malformed lines skipped", "garbage\n wz:/dev/x\n  wz--nc:/dev/sdc\n", 0, []string{"/dev/sdc"}, nil},
		{"nothing shared", "", 0, nil, ErrNoDevices},
		{"vgs fails", "  wz--nc:/dev/dm-0\n", 5, nil, ErrSharedDevices},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "out"), []byte(tt.out), 0o644)
			script := "#!/bin/sh\nfor a in \"$@\"; do printf '%s|' \"$a\"; done > " + dir + "/args\n" +
				"cat " + dir + "/out\nexit " + string(rune('0'+tt.rc)) + "\n"
			vgs := filepath.Join(dir, "vgs")
			os.WriteFile(vgs, []byte(script), 0o755)
			got, err := DiscoverDevices(ctx, vgs, nil)
			if !errors.Is(err, tt.wantErr) || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("DiscoverDevices = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
			if args, _ := os.ReadFile(filepath.Join(dir, "args")); string(args) != wantArgs {
				t.Fatalf("vgs args %q\nwant %q", args, wantArgs)
			}
		})
	}
	if _, err := DiscoverDevices(ctx, "/nonexistent/vgs", nil); !errors.Is(err, ErrSharedDevices) {
		t.Fatalf("missing vgs: %v", err)
	}
}

// slowDevice delays REGISTER AND IGNORE to widen any race between workers.
type slowDevice struct{ pr.Device }

func (d slowDevice) RegisterAndIgnore(ctx context.Context, k pr.Key, o pr.RegisterOptions) error {
	time.Sleep(20 * time.Millisecond)
	return d.Device.RegisterAndIgnore(ctx, k, o)
}

// TestSameDeviceTwiceIsSequential: two names of one logical unit are worked
// on one after the other, never from two goroutines through one I_T nexus:
// a link and its node (same resolved path), and two device nodes that do
// not resolve to each other but name one LU (its VPD page 0x83 identity), as
// a dm device listed with one of its paths.
func TestSameDeviceTwiceIsSequential(t *testing.T) {
	for _, tt := range []struct {
		name    string
		resolve bool
	}{{"link and node", true}, {"two device nodes of one LU", false}} {
		t.Run(tt.name, func(t *testing.T) {
			s := newSAN("/dev/sdb")
			s.lus["/dev/disk/by-id/wwn-1"] = s.lus["/dev/sdb"]
			s.alias["/dev/disk/by-id/wwn-1"] = "/dev/sdb"
			o := s.options(t, "n1")
			open := o.Open
			o.Open = func(p string, ro bool) (pr.Device, error) {
				d, err := open(p, ro)
				return slowDevice{d}, err
			}
			o.Realpath = func(p string) (string, error) {
				if a, ok := s.alias[p]; ok && tt.resolve {
					return a, nil
				}
				return p, nil
			}
			rec := recordLog("preempt on ")
			o.Log = rec.logger()
			if err := On(ctx, o, []string{"/dev/disk/by-id/wwn-1", "/dev/sdb"}, key1); err != nil {
				t.Fatal(err)
			}
			// As in fence_scsi's loop, the second name finds the key
			// registered by the first and self-preempts.
			if preempts := rec.messages(); len(preempts) != 1 || !strings.HasPrefix(preempts[0], "preempt on /dev/sdb ") {
				t.Fatalf("self-preempts: %q", preempts)
			}
			if got := s.regs("/dev/sdb"); got != "n1:/dev/sdb=6c9d0000" {
				t.Fatalf("registrations %s", got)
			}
		})
	}
}

func TestDefaultsUseTheRealSystem(t *testing.T) {
	tests := []struct{ dev, want string }{
		{"/nonexistent/sdz", `Failed: device "/nonexistent/sdz" does not exist`},
		{os.Args[0], fmt.Sprintf("Failed: device %q is not a block device", os.Args[0])},
	}
	for _, tt := range tests {
		_, err := Status(ctx, Options{}, []string{tt.dev}, key1)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Status(%s) = %v, want %q", tt.dev, err, tt.want)
		}
	}
	if _, err := (Options{}).withDefaults().Open("/nonexistent/sdz", true); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("default Open: %v", err)
	}
}
