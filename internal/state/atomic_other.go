//go:build !unix

package state

import (
	"errors"
	"os"
)

// oNoFollow: there is no O_NOFOLLOW here; writeAtomic still refuses an
// existing symbolic link (Lstat), lockFile cannot lock at all.
const oNoFollow = 0

// lockExclusive fails: the state files need flock(2), which this system
// lacks, so the agent cannot keep them here (SG_IO is Linux-only anyway).
func lockExclusive(*os.File) error {
	return errors.New("locking the state files is not supported on this system")
}

func readFile(path string) ([]byte, error) { return os.ReadFile(path) }
