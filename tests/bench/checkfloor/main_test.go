//go:build linux

package main

import (
	"bytes"
	"encoding/binary"
	"testing"
	"unsafe"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

func TestReadKeysCDBMatchesScsi(t *testing.T) {
	for _, alloc := range []uint16{8, 8192, 0xFFFF} {
		got := readKeysCDB(alloc)
		if want := scsi.PRInCDB(scsi.PRInReadKeys, alloc); !bytes.Equal(got[:], want) {
			t.Errorf("alloc %d: CDB % x, internal/scsi builds % x", alloc, got, want)
		}
	}
}

// TestHeaderLayout pins struct sg_io_hdr's LP64 layout (include/scsi/sg.h).
func TestHeaderLayout(t *testing.T) {
	var h sgIOHdr
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"size", unsafe.Sizeof(h), 88},
		{"dxfer_len", unsafe.Offsetof(h.dxferLen), 12},
		{"dxferp", unsafe.Offsetof(h.dxferp), 16},
		{"cmdp", unsafe.Offsetof(h.cmdp), 24},
		{"sbp", unsafe.Offsetof(h.sbp), 32},
		{"timeout", unsafe.Offsetof(h.timeout), 40},
		{"usr_ptr", unsafe.Offsetof(h.usrPtr), 56},
		{"status", unsafe.Offsetof(h.status), 64},
		{"host_status", unsafe.Offsetof(h.hostStatus), 68},
		{"resid", unsafe.Offsetof(h.resid), 72},
		{"info", unsafe.Offsetof(h.info), 80},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.name, c.got, c.want)
		}
	}
}

func readKeysData(keys ...uint64) []byte {
	b := make([]byte, 8+8*len(keys))
	binary.BigEndian.PutUint32(b[0:], 7)
	binary.BigEndian.PutUint32(b[4:], uint32(8*len(keys)))
	for i, k := range keys {
		binary.BigEndian.PutUint64(b[8+8*i:], k)
	}
	return b
}

// TestHasKeyAgreesWithScsi compares the floor's answer with internal/scsi's parser.
func TestHasKeyAgreesWithScsi(t *testing.T) {
	cut := readKeysData(1, 0xfe5c0001)
	binary.BigEndian.PutUint32(cut[4:], 8) // the device says one key: the second is not listed
	for _, data := range [][]byte{readKeysData(), readKeysData(0xfe5c0001), readKeysData(1, 2, 0xfe5c0001), readKeysData(0xfe5c0002), cut} {
		kl, err := scsi.ParseReadKeys(data, len(data))
		if err != nil {
			t.Fatalf("% x: %v", data, err)
		}
		found, ok := hasKey(data, 0xfe5c0001)
		if !ok || found != kl.Contains(0xfe5c0001) {
			t.Errorf("% x: floor found=%v ok=%v, internal/scsi %v", data, found, ok, kl.Contains(0xfe5c0001))
		}
	}
	if _, ok := hasKey([]byte{0, 0, 0, 1, 0, 0, 0}, 1); ok {
		t.Error("a 7-byte response is accepted")
	}
}

func TestParseKey(t *testing.T) {
	for in, want := range map[string]uint64{"fe5c0001\n": 0xfe5c0001, " 0xFE5C0001 ": 0xfe5c0001, "1": 1} {
		if k, ok := parseKey([]byte(in)); !ok || k != want {
			t.Errorf("%q: %x %v, want %x", in, k, ok, want)
		}
	}
	for _, in := range []string{"", "\n", "0x", "xyz", "12345678901234567"} {
		if _, ok := parseKey([]byte(in)); ok {
			t.Errorf("%q accepted", in)
		}
	}
}
