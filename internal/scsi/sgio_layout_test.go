//go:build linux && (amd64 || arm64)

package scsi

import (
	"testing"
	"unsafe"
)

// TestSGIOHdrLayout pins struct sg_io_hdr to the LP64 layout of include/scsi/sg.h.
func TestSGIOHdrLayout(t *testing.T) {
	var h sgIOHdr
	if got := unsafe.Sizeof(h); got != 88 {
		t.Errorf("sizeof(sg_io_hdr) = %d, want 88", got)
	}
	offsets := []struct {
		field string
		got   uintptr
		want  uintptr
	}{
		{"interface_id", unsafe.Offsetof(h.interfaceID), 0},
		{"dxfer_direction", unsafe.Offsetof(h.dxferDirection), 4},
		{"cmd_len", unsafe.Offsetof(h.cmdLen), 8},
		{"mx_sb_len", unsafe.Offsetof(h.mxSbLen), 9},
		{"iovec_count", unsafe.Offsetof(h.iovecCount), 10},
		{"dxfer_len", unsafe.Offsetof(h.dxferLen), 12},
		{"dxferp", unsafe.Offsetof(h.dxferp), 16},
		{"cmdp", unsafe.Offsetof(h.cmdp), 24},
		{"sbp", unsafe.Offsetof(h.sbp), 32},
		{"timeout", unsafe.Offsetof(h.timeout), 40},
		{"flags", unsafe.Offsetof(h.flags), 44},
		{"pack_id", unsafe.Offsetof(h.packID), 48},
		{"usr_ptr", unsafe.Offsetof(h.usrPtr), 56},
		{"status", unsafe.Offsetof(h.status), 64},
		{"masked_status", unsafe.Offsetof(h.maskedStatus), 65},
		{"msg_status", unsafe.Offsetof(h.msgStatus), 66},
		{"sb_len_wr", unsafe.Offsetof(h.sbLenWr), 67},
		{"host_status", unsafe.Offsetof(h.hostStatus), 68},
		{"driver_status", unsafe.Offsetof(h.driverStatus), 70},
		{"resid", unsafe.Offsetof(h.resid), 72},
		{"duration", unsafe.Offsetof(h.duration), 76},
		{"info", unsafe.Offsetof(h.info), 80},
	}
	for _, o := range offsets {
		if o.got != o.want {
			t.Errorf("offsetof(%s) = %d, want %d", o.field, o.got, o.want)
		}
	}
}

// Compile-time copies of the key checks, so that cross-compiling the tests
// (GOARCH=arm64 go vet ./internal/scsi/) proves the layout without running
// them: each array length is negative, a compile error, if a value is off.
var (
	_ [unsafe.Sizeof(sgIOHdr{}) - 88]byte
	_ [88 - unsafe.Sizeof(sgIOHdr{})]byte
	_ [unsafe.Offsetof(sgIOHdr{}.usrPtr) - 56]byte
	_ [56 - unsafe.Offsetof(sgIOHdr{}.usrPtr)]byte
	_ [unsafe.Offsetof(sgIOHdr{}.status) - 64]byte
	_ [64 - unsafe.Offsetof(sgIOHdr{}.status)]byte
	_ [unsafe.Offsetof(sgIOHdr{}.resid) - 72]byte
	_ [72 - unsafe.Offsetof(sgIOHdr{}.resid)]byte
	_ [unsafe.Offsetof(sgIOHdr{}.info) - 80]byte
	_ [80 - unsafe.Offsetof(sgIOHdr{}.info)]byte
)
