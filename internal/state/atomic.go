package state

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// errSymlink refuses to replace a state file that is a symbolic link.
var errSymlink = errors.New("refusing to replace a symbolic link")

// writeAtomic replaces path with data: a new file is created next to it with
// O_EXCL|O_NOFOLLOW, synced, and renamed over path; the directory is created
// if missing. rename(2) replaces a symlink itself rather than its target, so
// a link planted between the check and the rename is never followed either.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return &FileError{Path: path, Err: err}
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return &FileError{Path: path, Err: errSymlink}
	}
	// The name only has to be unlikely to exist (O_EXCL refuses one that does), not
	// unpredictable: math/rand/v2, not crypto/rand, whose initialisation every start of
	// the watchdog check (which links this package) would pay.
	tmp := filepath.Join(dir, "."+filepath.Base(path)+"."+strconv.FormatUint(rand.Uint64(), 16))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, 0o644)
	if err != nil {
		return &FileError{Path: path, Err: err}
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return &FileError{Path: path, Err: err}
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: make the rename durable
		d.Close()
	}
	return nil
}

// lockFile takes an exclusive flock on path (created if missing, never
// through a symlink) and returns the function that releases it.
func lockFile(path string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|oNoFollow, 0o600)
	if err != nil {
		return nil, err
	}
	if err := lockExclusive(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}
