//go:build linux

package nvme

import (
	"context"
	"os"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// passthruCmd is struct nvme_passthru_cmd (include/uapi/linux/nvme_ioctl.h),
// 72 bytes on every Linux ABI (pinned by a test). addr holds the address of
// a heap buffer that the request keeps alive until the ioctl returns.
type passthruCmd struct {
	opcode      uint8
	flags       uint8
	rsvd1       uint16
	nsid        uint32
	cdw2        uint32
	cdw3        uint32
	metadata    uint64
	addr        uint64
	metadataLen uint32
	dataLen     uint32
	cdw10       uint32
	cdw11       uint32
	cdw12       uint32
	cdw13       uint32
	cdw14       uint32
	cdw15       uint32
	timeoutMS   uint32
	result      uint32
}

// ioctlFunc issues one ioctl and returns its non-negative return value or the errno.
type ioctlFunc func(fd, req uintptr, arg unsafe.Pointer) (uintptr, error)

// sysIoctl is the real ioctl. Syscall (not RawSyscall) lets the scheduler
// run other goroutines while the kernel waits for the completion; NVMe
// passthrough waits uninterruptibly, so signals cannot make it re-send.
func sysIoctl(fd, req uintptr, arg unsafe.Pointer) (uintptr, error) {
	r1, _, errno := unix.Syscall(unix.SYS_IOCTL, fd, req, uintptr(arg))
	if errno != 0 {
		return 0, errno
	}
	return r1, nil
}

// passthruTransport sends commands on one open namespace block device.
type passthruTransport struct {
	f     *os.File
	conn  syscall.RawConn
	nsid  uint32
	ioctl ioctlFunc
}

func (t *passthruTransport) NSID() uint32 { return t.nsid }

// Close closes the descriptor; an ioctl still in flight keeps it open until it returns.
func (t *passthruTransport) Close() error { return t.f.Close() }

// request is one command's header and the buffer it points to; both live on
// the heap (the goroutine below references them), which Go never moves.
type request struct {
	hdr  passthruCmd
	data []byte
}

// newRequest fills the header from cmd with a private copy of the data.
func newRequest(cmd *Command) *request {
	r := &request{data: append([]byte(nil), cmd.Data...)}
	h := &r.hdr
	h.opcode, h.flags, h.nsid = cmd.Opcode, cmd.Flags, cmd.NSID
	h.cdw2, h.cdw3 = cmd.CDW2, cmd.CDW3
	h.cdw10, h.cdw11, h.cdw12 = cmd.CDW10, cmd.CDW11, cmd.CDW12
	h.cdw13, h.cdw14, h.cdw15 = cmd.CDW13, cmd.CDW14, cmd.CDW15
	h.timeoutMS = cmd.TimeoutMS
	if len(r.data) > 0 {
		h.addr = uint64(uintptr(unsafe.Pointer(&r.data[0])))
		h.dataLen = uint32(len(r.data))
	}
	return r
}

// Execute runs the ioctl in its own goroutine and waits for it or for ctx;
// a command still in flight when ctx ends is reported with its outcome
// unknown (an ioctl cannot be cancelled).
func (t *passthruTransport) Execute(ctx context.Context, cmd *Command) (Completion, error) {
	req := uintptr(IoctlIOCmd)
	if cmd.Admin {
		req = IoctlAdminCmd
	}
	r := newRequest(cmd)
	type answer struct {
		r1  uintptr
		err error
	}
	done := make(chan answer, 1)
	go func() {
		var a answer
		if err := t.conn.Control(func(fd uintptr) { a.r1, a.err = t.ioctl(fd, req, unsafe.Pointer(&r.hdr)) }); err != nil {
			a.err = &Error{Class: pr.ErrTransport, Errno: err, Detail: "device closed"}
		}
		runtime.KeepAlive(r)
		done <- a
	}()
	select {
	case a := <-done:
		if a.err != nil {
			return Completion{}, a.err
		}
		st, err := StatusFromIoctl(a.r1)
		if err != nil {
			return Completion{}, &Error{Class: pr.ErrMalformed, Detail: err.Error(), OutcomeUnknown: true}
		}
		if !cmd.HostToController() {
			copy(cmd.Data, r.data)
		}
		return Completion{Status: st, Result: r.hdr.result}, nil
	case <-ctx.Done():
		return Completion{}, &Error{Class: ctxClass(ctx.Err()), Errno: ctx.Err(), OutcomeUnknown: true,
			Detail: "stopped waiting for the NVMe ioctl; the command is still in flight"}
	}
}
