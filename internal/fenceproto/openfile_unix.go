//go:build unix

package fenceproto

import (
	"errors"
	"io"
	"os"
	"syscall"
)

// openLogFile opens the logfile or debug file without following a symbolic
// link in the last component and without blocking on a FIFO, and accepts it
// only if it is a regular file (the agent runs as root; a link or a device
// planted at the path must not be written through). Only then is the file
// truncated (logfile) and switched back to blocking mode.
func openLogFile(name string, truncate bool) (io.WriteCloser, error) {
	flags := syscall.O_WRONLY | syscall.O_CREAT | syscall.O_NOFOLLOW | syscall.O_NONBLOCK | syscall.O_CLOEXEC
	if !truncate {
		flags |= syscall.O_APPEND
	}
	fd, err := syscall.Open(name, flags, 0o644)
	switch {
	case errors.Is(err, syscall.ELOOP):
		return nil, &refusedFile{"it is a symbolic link"}
	case errors.Is(err, syscall.EISDIR):
		return nil, &refusedFile{"it is a directory"}
	case errors.Is(err, syscall.ENXIO):
		return nil, &refusedFile{"it is not a regular file"}
	case err != nil:
		return nil, err
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		syscall.Close(fd)
		return nil, &refusedFile{"it is " + fileKind(uint32(st.Mode))}
	}
	if truncate {
		if err := syscall.Ftruncate(fd, 0); err != nil {
			syscall.Close(fd)
			return nil, err
		}
	}
	if err := syscall.SetNonblock(fd, false); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), name), nil
}

func fileKind(mode uint32) string {
	switch mode & syscall.S_IFMT {
	case syscall.S_IFIFO:
		return "a named pipe"
	case syscall.S_IFCHR:
		return "a character device"
	case syscall.S_IFBLK:
		return "a block device"
	case syscall.S_IFSOCK:
		return "a socket"
	case syscall.S_IFDIR:
		return "a directory"
	}
	return "not a regular file"
}
