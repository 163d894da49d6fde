package state

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

func testStore(t *testing.T) Store {
	dir := filepath.Join(t.TempDir(), "run") // does not exist yet
	return Store{KeyFile: filepath.Join(dir, "cluster.key"), DevFile: filepath.Join(dir, "cluster.dev")}
}

func TestKeyRoundTrip(t *testing.T) {
	s := testStore(t)
	if err := s.WriteKey(0x29abcd); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(s.KeyFile)
	if err != nil || string(data) != "29abcd\n" {
		t.Fatalf("key file = %q, %v", data, err)
	}
	fi, _ := os.Stat(s.KeyFile)
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v", fi.Mode())
	}
	if err := s.WriteKey(0x6c9d0002); err != nil {
		t.Fatal(err)
	}
	if k, err := s.ReadKey(); err != nil || k != 0x6c9d0002 {
		t.Fatalf("ReadKey = %#x, %v", uint64(k), err)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(s.KeyFile), ".*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestReadKeyFormats(t *testing.T) {
	tests := []struct {
		content string
		want    scsi.Key
		wantErr bool
	}{
		{"6c9d0000\n", 0x6c9d0000, false},
		{"  6C9D0001  \nsecond line\n", 0x6c9d0001, false}, // fence_scsi strips and lower-cases
		{"abc", 0xabc, false},
		{"", 0, true},
		{"zz\n", 0, true},
	}
	for _, tt := range tests {
		s := testStore(t)
		os.MkdirAll(filepath.Dir(s.KeyFile), 0o755)
		os.WriteFile(s.KeyFile, []byte(tt.content), 0o644)
		k, err := s.ReadKey()
		var ke *KeyError
		if tt.wantErr != errors.As(err, &ke) || k != tt.want {
			t.Errorf("ReadKey(%q) = %#x, %v", tt.content, uint64(k), err)
		}
	}
}

func TestMissingFiles(t *testing.T) {
	s := testStore(t)
	_, err := s.ReadKey()
	if err == nil || err.Error() != `Failed: Cannot open file "`+s.KeyFile+`"` || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadKey: %v", err)
	}
	_, err = s.ReadDevices()
	if err == nil || err.Error() != `Failed: Cannot open file "`+s.DevFile+`"` || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadDevices: %v", err)
	}
}

func TestAddDevices(t *testing.T) {
	s := testStore(t)
	steps := []struct {
		add  []string
		want string
	}{
		{[]string{"/dev/sdb"}, "/dev/sdb\n"},
		{[]string{"/dev/sdb", "/dev/mapper/mpatha"}, "/dev/sdb\n/dev/mapper/mpatha\n"},
		{[]string{"/dev/sdc", "/dev/sdc"}, "/dev/sdb\n/dev/mapper/mpatha\n/dev/sdc\n"},
		{[]string{"/dev/sd"}, "/dev/sdb\n/dev/mapper/mpatha\n/dev/sdc\n/dev/sd\n"}, // prefix is not a match
		{nil, "/dev/sdb\n/dev/mapper/mpatha\n/dev/sdc\n/dev/sd\n"},
	}
	for i, st := range steps {
		if err := s.AddDevices(st.add...); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		data, _ := os.ReadFile(s.DevFile)
		if string(data) != st.want {
			t.Fatalf("step %d: dev file = %q, want %q", i, data, st.want)
		}
	}
	devs, err := s.ReadDevices()
	if want := []string{"/dev/sdb", "/dev/mapper/mpatha", "/dev/sdc", "/dev/sd"}; err != nil || !reflect.DeepEqual(devs, want) {
		t.Fatalf("ReadDevices = %q, %v", devs, err)
	}
}

func TestAddDevicesKeepsForeignContent(t *testing.T) {
	s := testStore(t)
	os.MkdirAll(filepath.Dir(s.DevFile), 0o755)
	os.WriteFile(s.DevFile, []byte("\n  /dev/sdx  \n/dev/sdy"), 0o644) // no final newline
	if err := s.AddDevices("/dev/sdx", "/dev/sdz"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(s.DevFile)
	if want := "\n  /dev/sdx  \n/dev/sdy\n/dev/sdz\n"; string(data) != want {
		t.Fatalf("dev file = %q, want %q", data, want)
	}
}

func TestAddDevicesRefusesWhitespace(t *testing.T) {
	s := testStore(t)
	for _, d := range []string{"", "/dev/a b", "/dev/a\n/dev/b"} {
		if err := s.AddDevices(d); err == nil {
			t.Errorf("AddDevices(%q) succeeded", d)
		}
	}
	if _, err := os.Stat(s.DevFile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("dev file written: %v", err)
	}
}

func TestAddDevicesConcurrent(t *testing.T) {
	s := testStore(t)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.AddDevices("/dev/sd" + string(rune('a'+i))); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	devs, err := s.ReadDevices()
	if err != nil || len(devs) != 20 {
		t.Fatalf("ReadDevices = %d devices, %v", len(devs), err)
	}
}

func TestRefuseSymlink(t *testing.T) {
	s := testStore(t)
	dir := filepath.Dir(s.KeyFile)
	os.MkdirAll(dir, 0o755)
	target := filepath.Join(t.TempDir(), "victim")
	os.WriteFile(target, []byte("precious\n"), 0o644)
	os.Symlink(target, s.KeyFile)
	os.Symlink(target, s.DevFile)

	err := s.WriteKey(0x1234)
	if err == nil || err.Error() != `Failed: Cannot open file "`+s.KeyFile+`"` || !errors.Is(err, errSymlink) {
		t.Errorf("WriteKey through symlink: %v", err)
	}
	if err := s.AddDevices("/dev/sdb"); !errors.Is(err, errSymlink) {
		t.Errorf("AddDevices through symlink: %v", err)
	}
	if data, _ := os.ReadFile(target); string(data) != "precious\n" {
		t.Errorf("symlink target changed: %q", data)
	}
}

func TestUnwritableDirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "plain")
	os.WriteFile(file, nil, 0o644)
	s := Store{KeyFile: filepath.Join(file, "cluster.key")} // parent is a regular file
	if err := s.WriteKey(1); err == nil || err.Error() != `Failed: Cannot open file "`+s.KeyFile+`"` {
		t.Errorf("WriteKey = %v", err)
	}
}
