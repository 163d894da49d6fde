//go:build !unix

package fenceproto

import (
	"io"
	"os"
)

// openLogFile opens the file and requires a regular file (no O_NOFOLLOW here).
func openLogFile(name string, truncate bool) (io.WriteCloser, error) {
	if fi, err := os.Lstat(name); err == nil && !fi.Mode().IsRegular() {
		return nil, &refusedFile{"it is not a regular file"}
	}
	flag := os.O_WRONLY | os.O_CREATE | os.O_APPEND
	if truncate {
		flag = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	return os.OpenFile(name, flag, 0o644)
}
