package arbcli

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr/prdev"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr/scsipr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
	"github.com/fence-scsi-go/fence_scsi_go/internal/testutil"
)

// TestCheckBlockDevices: a missing path, a regular file, a directory and a
// character device are refused with one line naming the path; block
// devices pass.
func TestCheckBlockDevices(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	for _, tc := range []struct {
		path, want string
	}{
		{filepath.Join(dir, "missing"), "does not exist"},
		{file, "is not a block device"},
		{dir, "is not a block device"},
		{"/dev/null", "is not a block device"},
	} {
		err := checkBlockDevices([]string{tc.path}, os.Stat)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.path) {
			t.Errorf("%s: %v; want an error containing %q", tc.path, err, tc.want)
		}
	}
	block := func(p string) (fs.FileInfo, error) { return testutil.Info(p, fs.ModeDevice), nil }
	if err := checkBlockDevices([]string{"/dev/sdb", "/dev/sdc"}, block); err != nil {
		t.Errorf("block devices refused: %v", err)
	}
}

// TestExpandMultipath: a multipath node is replaced by its paths in place,
// other devices stay, and a failure to read the topology is returned.
func TestExpandMultipath(t *testing.T) {
	mp := func(dev string) ([]string, error) {
		switch dev {
		case "/dev/dm-0":
			return []string{"/dev/sdb", "/dev/sdc"}, nil
		case "/dev/dm-9":
			return nil, errors.New("slaves unreadable")
		}
		return nil, nil
	}
	var told []string
	got, err := expandMultipath([]string{"/dev/sda", "/dev/dm-0", "/dev/sdd"}, mp, func(dev string, paths []string) {
		told = append(told, dev+"="+strings.Join(paths, ","))
	})
	if want := []string{"/dev/sda", "/dev/sdb", "/dev/sdc", "/dev/sdd"}; err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, %v; want %q", got, err, want)
	}
	if !reflect.DeepEqual(told, []string{"/dev/dm-0=/dev/sdb,/dev/sdc"}) {
		t.Errorf("told %q", told)
	}
	if _, err := expandMultipath([]string{"/dev/dm-9"}, mp, func(string, []string) {}); err == nil {
		t.Error("topology error lost")
	}
}

// fakeEnv serves simulated LUNs as block devices; /dev/dm-0 is a
// multipath node over /dev/sdb and /dev/sdc.
func fakeEnv(luns map[string]*sim.LU, opened *[]string) env {
	return env{
		stat: func(p string) (fs.FileInfo, error) {
			if _, ok := luns[p]; ok || p == "/dev/dm-0" {
				return testutil.Info(p, fs.ModeDevice), nil
			}
			return nil, fs.ErrNotExist
		},
		multipath: func(dev string) ([]string, error) {
			if dev == "/dev/dm-0" {
				return []string{"/dev/sdb", "/dev/sdc"}, nil
			}
			return nil, nil
		},
		open: func(p string, _ prdev.Options) (pr.Device, error) {
			*opened = append(*opened, p)
			return scsipr.New(luns[p].Device(p)), nil
		},
	}
}

// TestAcquireThroughMultipath: acquire on a multipath node opens and
// registers through each of its paths, says so, and exits 0.
func TestAcquireThroughMultipath(t *testing.T) {
	lu := sim.NewLU()
	luns := map[string]*sim.LU{"/dev/sdb": lu, "/dev/sdc": lu}
	var opened []string
	var stderr bytes.Buffer
	args := []string{"fence_scsi_go", "acquire", "--key=1", "--devices=/dev/dm-0", "--misses=0", "--period=2s", "--command-timeout=1s", "--wait=5s"}
	if code := run(args, &stderr, fakeEnv(luns, &opened)); code != 0 {
		t.Fatalf("acquire: exit %d\n%s", code, stderr.String())
	}
	if !reflect.DeepEqual(opened, []string{"/dev/sdb", "/dev/sdc"}) ||
		!strings.Contains(stderr.String(), "acquire: /dev/dm-0 is a multipath device: working through its paths /dev/sdb,/dev/sdc") {
		t.Fatalf("opened %q, stderr:\n%s", opened, stderr.String())
	}
	if !lu.MayWrite("/dev/sdb") || !lu.MayWrite("/dev/sdc") {
		t.Fatal("a path may not write after acquiring")
	}
}

// TestConfigRefusals: usage mistakes are refused with exit 1 and one line,
// and no device is opened.
func TestConfigRefusals(t *testing.T) {
	luns := map[string]*sim.LU{"/dev/sdb": sim.NewLU()}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"acquire", "--devices=/dev/sdb"}, "a key is required"},
		{[]string{"acquire", "--key=1", "--node=a", "--devices=/dev/sdb"}, "either --key or --node"},
		{[]string{"acquire", "--key=1", "--type=2", "--devices=/dev/sdb"}, `--type="2" is not a reservation type`},
		{[]string{"acquire", "--key=1"}, "--devices is required"},
		{[]string{"acquire", "--key=1", "--devices=/dev/sdx"}, `device "/dev/sdx" does not exist`},
		{[]string{"acquire", "--key=1", "--sync-monitor", "--wait=10s", "--devices=/dev/sdb"},
			"wait 10s must exceed (misses+1)*(2*period+2*overhead)+timeout+overhead (defend --once) = (1+1)*(2*3s+2*1s)+2s+1s = 19s"},
	} {
		var opened []string
		var stderr bytes.Buffer
		code := run(append([]string{"fence_scsi_go"}, tc.args...), &stderr, fakeEnv(luns, &opened))
		out := strings.TrimSpace(stderr.String())
		if code != 1 || !strings.Contains(out, tc.want) || strings.Contains(out, "\n") || len(opened) != 0 {
			t.Errorf("%v: exit %d, opened %q, stderr %q; want exit 1, one line with %q", tc.args, code, opened, out, tc.want)
		}
	}
}
