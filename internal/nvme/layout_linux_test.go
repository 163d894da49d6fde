//go:build linux

package nvme

import (
	"runtime"
	"testing"
	"unsafe"
)

// TestPassthruCmdLayout pins struct nvme_passthru_cmd to the layout of
// include/uapi/linux/nvme_ioctl.h (values checked with gcc's offsetof
// against the installed header, see docs/nvme.md).
func TestPassthruCmdLayout(t *testing.T) {
	var h passthruCmd
	if got := unsafe.Sizeof(h); got != PassthruCmdSize {
		t.Errorf("sizeof(nvme_passthru_cmd) = %d, want %d", got, PassthruCmdSize)
	}
	offsets := []struct {
		field     string
		got, want uintptr
	}{
		{"opcode", unsafe.Offsetof(h.opcode), 0},
		{"flags", unsafe.Offsetof(h.flags), 1},
		{"rsvd1", unsafe.Offsetof(h.rsvd1), 2},
		{"nsid", unsafe.Offsetof(h.nsid), 4},
		{"cdw2", unsafe.Offsetof(h.cdw2), 8},
		{"cdw3", unsafe.Offsetof(h.cdw3), 12},
		{"metadata", unsafe.Offsetof(h.metadata), 16},
		{"addr", unsafe.Offsetof(h.addr), 24},
		{"metadata_len", unsafe.Offsetof(h.metadataLen), 32},
		{"data_len", unsafe.Offsetof(h.dataLen), 36},
		{"cdw10", unsafe.Offsetof(h.cdw10), 40},
		{"cdw11", unsafe.Offsetof(h.cdw11), 44},
		{"cdw12", unsafe.Offsetof(h.cdw12), 48},
		{"cdw13", unsafe.Offsetof(h.cdw13), 52},
		{"cdw14", unsafe.Offsetof(h.cdw14), 56},
		{"cdw15", unsafe.Offsetof(h.cdw15), 60},
		{"timeout_ms", unsafe.Offsetof(h.timeoutMS), 64},
		{"result", unsafe.Offsetof(h.result), 68},
	}
	for _, o := range offsets {
		if o.got != o.want {
			t.Errorf("offsetof(%s) = %d, want %d", o.field, o.got, o.want)
		}
	}
}

// TestIoctlNumbers pins the request numbers: _IO('N',0x40),
// _IOWR('N',0x41/0x43, 72 bytes) in the asm-generic encoding, and the
// mips/powerpc one where _IOC_NONE is 1 and the direction starts at bit 29.
func TestIoctlNumbers(t *testing.T) {
	wantID, wantAdmin, wantIO := uintptr(0x4e40), uintptr(0xc0484e41), uintptr(0xc0484e43)
	switch runtime.GOARCH {
	case "mips", "mipsle", "mips64", "mips64le", "ppc64", "ppc64le":
		wantID = 0x20004e40
	}
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"NVME_IOCTL_ID", IoctlID, wantID},
		{"NVME_IOCTL_ADMIN_CMD", IoctlAdminCmd, wantAdmin},
		{"NVME_IOCTL_IO_CMD", IoctlIOCmd, wantIO},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
}

// Compile-time copies of the key checks, so that cross-compiling the tests
// (GOARCH=386 go vet ./internal/nvme/) proves the layout without running them.
var (
	_ [unsafe.Sizeof(passthruCmd{}) - 72]byte
	_ [72 - unsafe.Sizeof(passthruCmd{})]byte
	_ [unsafe.Offsetof(passthruCmd{}.addr) - 24]byte
	_ [24 - unsafe.Offsetof(passthruCmd{}.addr)]byte
	_ [unsafe.Offsetof(passthruCmd{}.cdw10) - 40]byte
	_ [40 - unsafe.Offsetof(passthruCmd{}.cdw10)]byte
	_ [unsafe.Offsetof(passthruCmd{}.result) - 68]byte
	_ [68 - unsafe.Offsetof(passthruCmd{}.result)]byte
)
