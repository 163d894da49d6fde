//go:build linux

package nvme

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// sysBlockDev is where sysfs describes block devices by major:minor; tests replace it.
var sysBlockDev = "/sys/dev/block"

// openTransport opens and checks path (see Open).
func openTransport(path string, readOnly bool) (Transport, error) {
	flags := unix.O_RDWR | unix.O_CLOEXEC
	if readOnly {
		flags = unix.O_RDONLY | unix.O_CLOEXEC
	}
	f, err := os.OpenFile(path, flags, 0)
	if err != nil {
		e := &Error{Op: "open", Device: path, Class: pr.ErrTransport, Errno: err}
		var errno unix.Errno
		if errors.As(err, &errno) {
			e.Errno, e.Detail = errno, errno.Error()
		}
		return nil, e
	}
	t, err := newPassthruTransport(f, sysIoctl)
	if err != nil {
		f.Close()
		return nil, err
	}
	return t, nil
}

// refuse is the error for a path that is not an NVMe namespace block device.
func refuse(path, format string, args ...any) *Error {
	return &Error{Op: "open", Device: path, Class: ErrNotSupported,
		Detail: fmt.Sprintf(format, args...) + "; want an NVMe namespace block device such as /dev/nvme0n1"}
}

// newPassthruTransport checks that f is a whole NVMe namespace and reads its NSID.
func newPassthruTransport(f *os.File, ioctl ioctlFunc) (*passthruTransport, error) {
	path := f.Name()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return nil, &Error{Op: "open", Device: path, Class: pr.ErrTransport, Errno: err, Detail: "fstat: " + err.Error()}
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFBLK:
	case unix.S_IFCHR:
		return nil, refuse(path, "character device (an NVMe controller /dev/nvmeX or generic /dev/ngXnY node is not accepted)")
	default:
		return nil, refuse(path, "not a block device")
	}
	dev := fmt.Sprintf("%d:%d", unix.Major(uint64(st.Rdev)), unix.Minor(uint64(st.Rdev)))
	if _, err := os.Stat(filepath.Join(sysBlockDev, dev, "partition")); err == nil {
		return nil, refuse(path, "partition %s (a reservation covers the whole namespace)", dev)
	}
	conn, err := f.SyscallConn()
	if err != nil {
		return nil, &Error{Op: "open", Device: path, Class: pr.ErrTransport, Errno: err}
	}
	var r1 uintptr
	var ioErr error
	if err := conn.Control(func(fd uintptr) { r1, ioErr = ioctl(fd, IoctlID, nil) }); err != nil {
		ioErr = err
	}
	switch {
	case errors.Is(ioErr, unix.ENOTTY) || errors.Is(ioErr, unix.EINVAL):
		return nil, refuse(path, "block device %s does not answer NVME_IOCTL_ID", dev)
	case ioErr != nil:
		return nil, &Error{Op: "open", Device: path, Class: pr.ErrTransport, Errno: ioErr, Detail: "NVME_IOCTL_ID: " + ioErr.Error()}
	case r1 == 0 || r1 >= 0xFFFFFFFF:
		return nil, refuse(path, "NVME_IOCTL_ID returned namespace ID %#x", r1)
	}
	return &passthruTransport{f: f, conn: conn, nsid: uint32(r1), ioctl: ioctl}, nil
}
