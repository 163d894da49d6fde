//go:build linux

package scsi

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sgIO is the SG_IO ioctl request number, a plain number rather than an
// _IOC encoding (include/scsi/sg.h); x/sys/unix does not define it.
const sgIO = 0x2285

// sg_io_hdr constants (include/scsi/sg.h).
const (
	sgInterfaceID  = 'S'
	sgDxferNone    = -1
	sgDxferToDev   = -2
	sgDxferFromDev = -3
)

// sgIOHdr is struct sg_io_hdr (interface v3). Pointer fields are
// unsafe.Pointer so the GC keeps the buffers alive; natural alignment
// inserts the 4 padding bytes after packID on LP64 (pinned by a test).
type sgIOHdr struct {
	interfaceID    int32
	dxferDirection int32
	cmdLen         uint8
	mxSbLen        uint8
	iovecCount     uint16
	dxferLen       uint32
	dxferp         unsafe.Pointer
	cmdp           unsafe.Pointer
	sbp            unsafe.Pointer
	timeout        uint32 // milliseconds
	flags          uint32
	packID         int32
	usrPtr         unsafe.Pointer
	status         uint8
	maskedStatus   uint8
	msgStatus      uint8
	sbLenWr        uint8
	hostStatus     uint16
	driverStatus   uint16
	resid          int32
	duration       uint32
	info           uint32
}

// ioctlSGIO issues SG_IO on fd. Syscall (not RawSyscall) lets the
// scheduler run other goroutines while the kernel waits up to the timeout
// (Go runtime: Syscall enters the scheduler, RawSyscall does not). Signals are blocked on the calling thread for the duration:
// on /dev/sgN the wait is interruptible and Go's SA_RESTART handlers would
// make the kernel re-send the CDB (drivers/scsi/sg.c, interruptible wait).
func ioctlSGIO(fd uintptr, hdr *sgIOHdr) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if old, ok := blockSignals(); ok {
		defer restoreSignals(old)
	}
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, fd, sgIO, uintptr(unsafe.Pointer(hdr)))
	runtime.KeepAlive(hdr)
	if errno != 0 {
		return errno
	}
	return nil
}

// ioctlSGIOBlock issues SG_IO on a block device node (sd, dm, ...), where the
// kernel waits for the command uninterruptibly (drivers/scsi/scsi_ioctl.c sg_io
// -> block/blk-mq.c blk_execute_rq, wait_for_completion_io): no signal can
// make it re-send the CDB, so the thread is neither locked nor masked. That
// spares every start the runtime's template thread that the first
// LockOSThread of a goroutine other than main creates.
func ioctlSGIOBlock(fd uintptr, hdr *sgIOHdr) error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, fd, sgIO, uintptr(unsafe.Pointer(hdr)))
	runtime.KeepAlive(hdr)
	if errno != 0 {
		return errno
	}
	return nil
}

// blockSignals blocks every signal on the current (locked) thread and
// returns the previous mask; best effort.
func blockSignals() (old unix.Sigset_t, ok bool) {
	var all unix.Sigset_t
	for i := range all.Val {
		all.Val[i] = ^all.Val[i]
	}
	return old, unix.PthreadSigmask(unix.SIG_SETMASK, &all, &old) == nil
}

// restoreSignals reinstates the mask blockSignals returned.
func restoreSignals(old unix.Sigset_t) {
	unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
}

// sgTransport sends commands with SG_IO on one open device node.
type sgTransport struct {
	f     *os.File
	conn  syscall.RawConn
	ioctl func(fd uintptr, hdr *sgIOHdr) error // ioctlSGIO; replaced in tests
}

// openTransport opens path the way sg_persist does (sg3_utils lib/sg_pt_linux.c):
// O_RDWR|O_NONBLOCK, or O_RDONLY|O_NONBLOCK for read-only, never O_EXCL.
func openTransport(path string, readOnly bool) (Transport, error) {
	flags := unix.O_RDWR | unix.O_NONBLOCK | unix.O_CLOEXEC
	if readOnly {
		flags = unix.O_RDONLY | unix.O_NONBLOCK | unix.O_CLOEXEC
	}
	f, err := os.OpenFile(path, flags, 0)
	if err != nil {
		e := &Error{Op: "open", Device: path, Class: ErrTransport, Errno: err}
		var errno unix.Errno
		if errors.As(err, &errno) {
			e.Errno, e.Detail = errno, errno.Error()
		}
		return nil, e
	}
	fi, err := f.Stat()
	if err == nil && fi.Mode()&os.ModeDevice == 0 {
		f.Close()
		return nil, &Error{Op: "open", Device: path, Class: ErrNotSupported,
			Detail: "not a block or character device"}
	}
	return newSGTransport(f, ioctlFor(fi, err))
}

// ioctlFor chooses how SG_IO is issued on a node: ioctlSGIOBlock for a block
// device, ioctlSGIO (thread locked, signals blocked) for a character device
// (/dev/sgN, whose wait is interruptible) and whenever the type is unknown.
func ioctlFor(fi os.FileInfo, statErr error) func(uintptr, *sgIOHdr) error {
	if statErr == nil && fi.Mode()&os.ModeDevice != 0 && fi.Mode()&os.ModeCharDevice == 0 {
		return ioctlSGIOBlock
	}
	return ioctlSGIO
}

func newSGTransport(f *os.File, ioctl func(uintptr, *sgIOHdr) error) (*sgTransport, error) {
	conn, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, &Error{Op: "open", Device: f.Name(), Class: ErrTransport, Errno: err}
	}
	return &sgTransport{f: f, conn: conn, ioctl: ioctl}, nil
}

// Close closes the descriptor; an ioctl still in flight keeps it open until it returns.
func (t *sgTransport) Close() error { return t.f.Close() }

// sgRequest is one command's header and the buffers it points to.
type sgRequest struct {
	hdr   sgIOHdr
	cdb   []byte
	sense []byte
	data  []byte
}

// newSGRequest builds the header for cmd with fresh, zeroed buffers (include/scsi/sg.h).
func newSGRequest(cmd *Command) (*sgRequest, error) {
	if n := len(cmd.CDB); n < 6 || n > 16 {
		return nil, fmt.Errorf("CDB length %d out of range", n)
	}
	r := &sgRequest{cdb: append([]byte(nil), cmd.CDB...), sense: make([]byte, MaxSenseLen)}
	h := &r.hdr
	h.interfaceID = sgInterfaceID
	h.cmdLen = uint8(len(r.cdb))
	h.cmdp = unsafe.Pointer(&r.cdb[0])
	h.mxSbLen = uint8(len(r.sense))
	h.sbp = unsafe.Pointer(&r.sense[0])
	to := cmd.Timeout
	if to <= 0 {
		to = DefaultTimeout
	}
	h.timeout = uint32(min(to.Milliseconds(), int64(^uint32(0))))
	switch cmd.Direction {
	case DirNone:
		h.dxferDirection = sgDxferNone
	case DirToDevice:
		h.dxferDirection = sgDxferToDev
		r.data = append([]byte(nil), cmd.DataOut...)
	case DirFromDevice:
		h.dxferDirection = sgDxferFromDev
		r.data = make([]byte, max(cmd.DataInLen, 0))
	default:
		return nil, fmt.Errorf("invalid data direction %d", cmd.Direction)
	}
	if len(r.data) > 0 {
		h.dxferLen = uint32(len(r.data))
		h.dxferp = unsafe.Pointer(&r.data[0])
	}
	return r, nil
}

// result translates the completed header (include/scsi/sg.h): only sb_len_wr sense
// bytes, and resid clamped to [0, dxfer_len].
func (r *sgRequest) result() *Result {
	h := &r.hdr
	res := &Result{
		Status:       h.status,
		HostStatus:   h.hostStatus,
		DriverStatus: h.driverStatus,
		Sense:        r.sense[:min(int(h.sbLenWr), len(r.sense))],
		Resid:        min(max(int(h.resid), 0), int(h.dxferLen)),
	}
	if h.dxferDirection == sgDxferFromDev {
		res.DataIn = r.data
	}
	return res
}

// Execute runs the ioctl in its own goroutine, which keeps the request (and
// so every buffer the kernel writes to) referenced until the kernel returns.
// If ctx ends first, Execute stops waiting and reports ErrTimeout (or
// ErrAborted on cancel) with OutcomeUnknown: an ioctl cannot be cancelled
// (ioctl(2) on SG_IO has no cancellation).
func (t *sgTransport) Execute(ctx context.Context, cmd *Command) (*Result, error) {
	r, err := newSGRequest(cmd)
	if err != nil {
		return nil, &Error{Class: ErrIllegalRequest, Detail: "invalid command: " + err.Error()}
	}
	done := make(chan error, 1)
	go func() {
		var ioErr error
		if err := t.conn.Control(func(fd uintptr) { ioErr = t.ioctl(fd, &r.hdr) }); err != nil {
			ioErr = &Error{Class: ErrTransport, Errno: err, Detail: "device closed"}
		}
		runtime.KeepAlive(r)
		done <- ioErr
	}()
	select {
	case err := <-done:
		if err != nil {
			return nil, err
		}
		return r.result(), nil
	case <-ctx.Done():
		class := ErrTimeout
		if errors.Is(ctx.Err(), context.Canceled) {
			class = ErrAborted
		}
		return nil, &Error{Class: class, Errno: ctx.Err(), OutcomeUnknown: true,
			Detail: "stopped waiting for SG_IO; the command is still in flight"}
	}
}
