//go:build unix

package state

import (
	"os"
	"syscall"
)

// oNoFollow makes open(2) fail on a symbolic link in the last component.
const oNoFollow = syscall.O_NOFOLLOW

// lockExclusive takes an exclusive flock on f, waiting for it.
func lockExclusive(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }
