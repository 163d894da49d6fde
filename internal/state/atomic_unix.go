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

// readFile reads a state file whole through open, read and close alone.
// os.ReadFile would also stat it and try to register it with the runtime's
// network poller (fcntl, epoll_ctl, fcntl again), system calls that the
// watchdog check, reading two state files at every start, and the agent
// pay for nothing. Errors are *os.PathError, as os.ReadFile's.
func readFile(path string) ([]byte, error) {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	b := make([]byte, 0, 512)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := syscall.Read(fd, b[len(b):cap(b)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return b, nil
		}
		b = b[:len(b)+n]
	}
}
