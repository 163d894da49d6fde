package prdev

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

func TestChoose(t *testing.T) {
	slaves := map[string][]string{
		"dm-0": {"nvme1n1", "nvme2n1"},     // NVMe under dm-multipath
		"dm-1": {"sdb", "sdc"},             // SCSI multipath
		"dm-2": {"dm-0"},                   // kpartx partition on dm-0
		"dm-3": {"dm-1"},                   // kpartx partition on dm-1
		"dm-4": {"nvme1n1", "sdd"},         // mixed: not NVMe
		"dm-5": {},                         // no paths
		"dm-6": {"nvme0c1n1", "nvme0c2n1"}, // hidden per-controller paths
		"dm-7": {"dm-7"},                   // a loop
	}
	list := func(name string) ([]string, error) {
		s, ok := slaves[name]
		if !ok {
			return nil, fs.ErrNotExist
		}
		return s, nil
	}
	cases := map[string]pr.Transport{
		"/dev/nvme0n1":        pr.NVMe,
		"/dev/nvme12n3":       pr.NVMe,
		"/dev/nvme0n1p2":      pr.NVMe, // refused by the NVMe layer as a partition
		"/dev/ng0n1":          pr.NVMe, // refused as a character device
		"/dev/nvme0":          pr.NVMe,
		"/dev/nvme0c1n1":      pr.NVMe,
		"/dev/dm-0":           pr.NVMe,
		"/dev/dm-2":           pr.NVMe,
		"/dev/dm-6":           pr.NVMe,
		"/dev/dm-1":           pr.SCSI,
		"/dev/dm-3":           pr.SCSI,
		"/dev/dm-4":           pr.SCSI,
		"/dev/dm-5":           pr.SCSI,
		"/dev/dm-7":           pr.SCSI,
		"/dev/dm-9":           pr.SCSI, // slaves unreadable
		"/dev/sdb":            pr.SCSI,
		"/dev/sg3":            pr.SCSI,
		"/dev/vda":            pr.SCSI,
		"/dev/nvmex":          pr.SCSI,
		"/dev/mapper/mpa":     pr.SCSI, // unresolved link
		"/tmp/nvme0n1":        pr.SCSI,
		"nvme0n1":             pr.SCSI,
		"/dev/../dev/nvme1n1": pr.NVMe,
	}
	for path, want := range cases {
		if got := Choose(path, list); got != want {
			t.Errorf("Choose(%q) = %v, want %v", path, got, want)
		}
	}
}

// TestKind runs the choice on a sysfs-like tree and device links, as a
// devices= list mixing both transports is resolved.
func TestKind(t *testing.T) {
	root := t.TempDir()
	for _, p := range []string{"block/dm-0/slaves/nvme1n1", "block/dm-0/slaves/nvme2n1", "block/dm-1/slaves/sdb"} {
		if err := os.MkdirAll(filepath.Join(root, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"/dev/mapper/nvmepath":          "/dev/dm-0",
		"/dev/mapper/scsipath":          "/dev/dm-1",
		"/dev/disk/by-id/nvme-eui.0001": "/dev/nvme0n1",
	}
	o := Options{SysfsRoot: root, Realpath: func(p string) (string, error) {
		if r, ok := links[p]; ok {
			return r, nil
		}
		return "", errors.New("not a link")
	}}
	for path, want := range map[string]pr.Transport{
		"/dev/mapper/nvmepath": pr.NVMe, "/dev/mapper/scsipath": pr.SCSI,
		"/dev/disk/by-id/nvme-eui.0001": pr.NVMe, "/dev/sdc": pr.SCSI, "/dev/nvme3n1": pr.NVMe,
	} {
		if got := Kind(path, o); got != want {
			t.Errorf("Kind(%q) = %v, want %v", path, got, want)
		}
	}
}

// TestOpenRefusesNonDevices: a regular file named like an NVMe namespace
// goes to the NVMe layer, which refuses it as not supported.
func TestOpenRefusesNonDevices(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "nvme0n1")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	o := Options{ReadOnly: true, Realpath: func(string) (string, error) { return "/dev/nvme0n1", nil }}
	if _, err := Open(f, o); !errors.Is(err, pr.ErrNotSupported) {
		t.Errorf("Open(regular file as NVMe) = %v, want not supported", err)
	}
	if _, err := Open(filepath.Join(dir, "missing"), Options{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(missing) = %v, want not exist", err)
	}
}

// nvmeNameRE is the documented grammar of isNVMeName.
var nvmeNameRE = regexp.MustCompile(`^(nvme[0-9]+(c[0-9]+)?n[0-9]+(p[0-9]+)?|ng[0-9]+n[0-9]+|nvme[0-9]+)$`)

// TestIsNVMeName compares the hand-written matcher with the regular expression on names built
// from the grammar's pieces (every sequence of up to four of them) and on a few odd ones.
func TestIsNVMeName(t *testing.T) {
	pieces := []string{"nvme", "ng", "n", "c", "p", "0", "12", "x", "-", "nvme0", "n1", ""}
	names := []string{"", "nvme", "nvme0", "nvme0n1", "nvme0c1n1p2", "ng0n1", "ng0", "ngn1", "nvme0c1", "nvme0n1p", "nvme0np1", "sda", "dm-0", "nvme0n1 "}
	var build func(prefix string, depth int)
	build = func(prefix string, depth int) {
		names = append(names, prefix)
		if depth == 4 {
			return
		}
		for _, p := range pieces {
			build(prefix+p, depth+1)
		}
	}
	build("", 0)
	matched := 0
	for _, n := range names {
		want := nvmeNameRE.MatchString(n)
		if got := isNVMeName(n); got != want {
			t.Errorf("isNVMeName(%q) = %v, want %v", n, got, want)
		}
		if want {
			matched++
		}
	}
	if matched < 10 {
		t.Fatalf("only %d of %d names are NVMe names: the test covers too little", matched, len(names))
	}
}

// FuzzIsNVMeName: the matcher and the regular expression agree on any name.
func FuzzIsNVMeName(f *testing.F) {
	for _, s := range []string{"nvme0n1", "nvme0c1n1p2", "ng1n2", "nvme3", "sdb", "nvme0n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isNVMeName(s), nvmeNameRE.MatchString(s); got != want {
			t.Errorf("isNVMeName(%q) = %v, want %v", s, got, want)
		}
	})
}

// TestIsPlainDevName: only a /dev/NAME that is no symbolic link skips the
// resolution; /dev/stdin (a link to /proc/self/fd/0) does not.
func TestIsPlainDevName(t *testing.T) {
	for path, want := range map[string]bool{
		"/dev/null": true, "/dev/stdin": false, "/dev/": false, "/dev/..": false,
		"/dev/disk/by-id/x": false, "/tmp/null": false, "/dev/no-such-node": false,
	} {
		if got := isPlainDevName(path); got != want {
			t.Errorf("isPlainDevName(%q) = %v, want %v", path, got, want)
		}
	}
}
