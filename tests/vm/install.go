package vm

import (
	"io"
	"os"
	"path/filepath"
)

// InstallExecutable copies src to dst (mode 0755) through a temporary file in dst's
// directory and a rename, so that a concurrent reader (Pacemaker, a guest mapping the file
// over 9p) never sees a half-written binary.
func InstallExecutable(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".fsg-install-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o755); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}
