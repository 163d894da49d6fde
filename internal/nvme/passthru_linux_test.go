//go:build linux

package nvme

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// fakeKernel is an ioctl function that checks and answers like the NVMe driver.
type fakeKernel struct {
	t      *testing.T
	nsid   uintptr
	idErr  error
	seen   []passthruCmd
	reqs   []uintptr
	data   [][]byte
	status uintptr
	fill   []byte // written to a controller-to-host buffer
}

func (k *fakeKernel) ioctl(_, req uintptr, arg unsafe.Pointer) (uintptr, error) {
	if req == IoctlID {
		return k.nsid, k.idErr
	}
	h := (*passthruCmd)(arg)
	k.seen = append(k.seen, *h)
	k.reqs = append(k.reqs, req)
	// addr as the kernel reads it (the low word on 32-bit little-endian).
	buf := unsafe.Slice((*byte)(*(*unsafe.Pointer)(unsafe.Pointer(&h.addr))), h.dataLen)
	k.data = append(k.data, bytes.Clone(buf))
	if h.opcode&1 == 0 {
		copy(buf, k.fill)
	}
	h.result = 0x5a5a
	return k.status, nil
}

// blockFile opens a block device node for the transport checks: a node made
// with mknod in a temporary directory for a loop device (7:N), which exists
// on most hosts; no I/O reaches it (the ioctl is fake).
func blockFile(t *testing.T, major, minor uint32) *os.File {
	t.Helper()
	p := filepath.Join(t.TempDir(), "nvme0n1")
	if err := unix.Mknod(p, unix.S_IFBLK|0o600, int(unix.Mkdev(major, minor))); err != nil {
		t.Skipf("cannot create a block device node: %v", err)
	}
	f, err := os.OpenFile(p, os.O_RDONLY, 0)
	if err != nil {
		t.Skipf("cannot open the block device node: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestPassthruTransport checks the header the kernel sees and the completion.
func TestPassthruTransport(t *testing.T) {
	k := &fakeKernel{t: t, nsid: 3, status: 0x4083}
	tr, err := newPassthruTransport(blockFile(t, 7, 0), k.ioctl)
	if err != nil {
		t.Fatal(err)
	}
	cmd := AcquireCmd(tr.NSID(), actPreempt, WERO, keyHost, keyVictim)
	cmd.TimeoutMS = 1500
	c, err := tr.Execute(context.Background(), cmd)
	if err != nil || c.Status != 0x4083 || c.Result != 0x5a5a {
		t.Fatalf("completion %+v, %v", c, err)
	}
	h := k.seen[0]
	if k.reqs[0] != IoctlIOCmd || h.opcode != 0x11 || h.nsid != 3 || h.cdw10 != 0x301 || h.timeoutMS != 1500 ||
		h.dataLen != 16 || h.flags != 0 || h.metadata != 0 || h.metadataLen != 0 {
		t.Errorf("header %+v (request %#x)", h, k.reqs[0])
	}
	if !bytes.Equal(k.data[0], cmd.Data) {
		t.Errorf("kernel saw data [% x], want [% x]", k.data[0], cmd.Data)
	}

	k.status, k.fill = 0, []byte{1, 2, 3, 4}
	id := IdentifyCmd(0, CNSController)
	if _, err := tr.Execute(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if k.reqs[1] != IoctlAdminCmd || k.seen[1].dataLen != 4096 || !bytes.Equal(id.Data[:5], []byte{1, 2, 3, 4, 0}) {
		t.Errorf("admin request %#x, data_len %d, data [% x]", k.reqs[1], k.seen[1].dataLen, id.Data[:5])
	}
}

// TestPassthruTransportErrors: an errno reaches the caller; a return value
// wider than a status is malformed.
func TestPassthruTransportErrors(t *testing.T) {
	tr, err := newPassthruTransport(blockFile(t, 7, 1), func(_, req uintptr, _ unsafe.Pointer) (uintptr, error) {
		if req == IoctlID {
			return 1, nil
		}
		return 0, syscall.EINTR
	})
	if err != nil {
		t.Fatal(err)
	}
	d := NewDevice("/dev/nvme0n1", tr, DeviceOptions{})
	if err := d.Clear(context.Background(), keyHost); !errors.Is(err, pr.ErrOutcomeUnknown) || !errors.Is(err, syscall.EINTR) {
		t.Errorf("EINTR on clear: %v", err)
	}
	tr.ioctl = func(uintptr, uintptr, unsafe.Pointer) (uintptr, error) { return 0x10000, nil }
	if _, err := tr.Execute(context.Background(), ReportCmd(1, 64)); !errors.Is(err, pr.ErrMalformed) {
		t.Errorf("0x10000 return: %v", err)
	}
}

// TestOpenRefuses: only a whole NVMe namespace block device is accepted.
func TestOpenRefuses(t *testing.T) {
	regular := filepath.Join(t.TempDir(), "file")
	os.WriteFile(regular, []byte("x"), 0o600)
	for _, p := range []string{regular, "/dev/null"} {
		if _, err := Open(p, OpenOptions{ReadOnly: true}); !errors.Is(err, ErrNotSupported) {
			t.Errorf("Open(%s) = %v, want ErrNotSupported", p, err)
		}
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing"), OpenOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing path: %v", err)
	}

	// A partition, as sysfs describes it.
	sys := t.TempDir()
	os.MkdirAll(filepath.Join(sys, "7:2"), 0o755)
	os.WriteFile(filepath.Join(sys, "7:2", "partition"), []byte("1\n"), 0o644)
	old := sysBlockDev
	sysBlockDev = sys
	defer func() { sysBlockDev = old }()
	k := &fakeKernel{t: t, nsid: 1}
	if _, err := newPassthruTransport(blockFile(t, 7, 2), k.ioctl); !errors.Is(err, ErrNotSupported) {
		t.Errorf("partition accepted: %v", err)
	}
	// A block device that is not NVMe, and a namespace ID that cannot be.
	k.idErr = unix.ENOTTY
	if _, err := newPassthruTransport(blockFile(t, 7, 0), k.ioctl); !errors.Is(err, ErrNotSupported) {
		t.Errorf("non-NVMe block device accepted: %v", err)
	}
	k.idErr, k.nsid = nil, 0xFFFFFFFF
	if _, err := newPassthruTransport(blockFile(t, 7, 3), k.ioctl); !errors.Is(err, ErrNotSupported) {
		t.Errorf("broadcast NSID accepted: %v", err)
	}
}

// TestOpenRealLoopDevice sends the real NVME_IOCTL_ID to a loop device,
// which must refuse it (read-only open: nothing else is sent).
func TestOpenRealLoopDevice(t *testing.T) {
	if _, err := os.Stat("/dev/loop0"); err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and /dev/loop0")
	}
	_, err := Open("/dev/loop0", OpenOptions{ReadOnly: true})
	if !errors.Is(err, ErrNotSupported) {
		t.Fatalf("Open(/dev/loop0) = %v, want ErrNotSupported", err)
	}
	t.Log(err)
}
