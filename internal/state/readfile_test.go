package state

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestReadFile: readFile gives what os.ReadFile gives, contents and errors.
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{0, 1, 511, 512, 513, 1024, 5000, 70000} {
		p := filepath.Join(dir, "f")
		want := bytes.Repeat([]byte("0123456789abcde\n"), n/16+1)[:n]
		if err := os.WriteFile(p, want, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := readFile(p)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%d bytes: got %d bytes, %v", n, len(got), err)
		}
	}
	_, err := readFile(filepath.Join(dir, "missing"))
	var pe *os.PathError
	if !errors.As(err, &pe) || pe.Op != "open" || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %#v", err)
	}
	_, osErr := os.ReadFile(filepath.Join(dir, "missing"))
	if err.Error() != osErr.Error() {
		t.Errorf("missing file: %q, os.ReadFile says %q", err, osErr)
	}
	_, err = readFile(dir)
	_, osErr = os.ReadFile(dir)
	if err == nil || osErr == nil || err.Error() != osErr.Error() {
		t.Errorf("directory: %v, os.ReadFile says %v", err, osErr)
	}
}
