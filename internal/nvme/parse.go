package nvme

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// malformed returns a pr.ErrMalformed *Error (Op and Device are filled by the Device).
func malformed(format string, args ...any) *Error {
	return &Error{Class: pr.ErrMalformed, Detail: fmt.Sprintf(format, args...)}
}

// ParseReport decodes a Reservation Status extended data structure (NVMe
// Base 2.0 section 7.5, EDS=1) from the bytes the controller returned:
// header bytes 3:0 GEN, 4 RTYPE, 6:5 REGCTL, 9 PTPLS, 63:24 reserved; then
// one 64-byte Registered Controller extended data structure per registered
// controller: 1:0 CNTLID, 2 RCSTS (bit 0 = holds the reservation), 15:8
// RKEY, 31:16 HOSTID. Everything is little-endian. Entries beyond the
// buffer are counted in NumRegistered and flagged Partial, never read.
func ParseReport(data []byte) (*Report, error) {
	if len(data) < ReportHeaderLen {
		return nil, malformed("reservation report of %d bytes, shorter than its %d-byte header", len(data), ReportHeaderLen)
	}
	r := &Report{
		Generation:    binary.LittleEndian.Uint32(data[0:4]),
		Type:          ReservationType(data[4]),
		NumRegistered: int(binary.LittleEndian.Uint16(data[5:7])),
		PTPLS:         data[9]&1 != 0,
	}
	if r.Type != TypeNone && !r.Type.Valid() {
		return nil, malformed("reservation report with reserved RTYPE 0x%02x", data[4])
	}
	fit := (len(data) - ReportHeaderLen) / RegistrantExtLen
	n := min(r.NumRegistered, fit)
	r.Partial = r.NumRegistered > fit
	r.Registrants = make([]Registrant, n)
	for i := range n {
		e := data[ReportHeaderLen+i*RegistrantExtLen:][:RegistrantExtLen]
		g := &r.Registrants[i]
		g.ControllerID = binary.LittleEndian.Uint16(e[0:2])
		g.Holder = e[2]&1 != 0
		g.Key = Key(binary.LittleEndian.Uint64(e[8:16]))
		copy(g.HostID[:], e[16:32])
	}
	if r.Type == TypeNone && r.Holder() != nil {
		return nil, malformed("reservation report marks a holder but no reservation type")
	}
	return r, nil
}

// IdentifyController is the part of the Identify Controller data structure
// (CNS 01h) this package uses.
type IdentifyController struct {
	VendorID, SubsystemVendorID uint16
	Serial, Model, Firmware     string
	ControllerID                uint16 // CNTLID, bytes 79:78
	Version                     uint32 // VER, bytes 83:80
	ONCS                        uint16 // bytes 521:520
	SubsystemNQN                string // SUBNQN, bytes 1023:768
}

// ONCSReservations is ONCS bit 5: the Reservation commands are supported.
const ONCSReservations = 1 << 5

// Minimum Identify lengths this package reads (the transfer is 4096 bytes).
const (
	identifyControllerMin = 1024
	identifyNamespaceMin  = 128
)

// ParseIdentifyController decodes Identify Controller data: VID 1:0, SSVID
// 3:2, SN 23:4, MN 63:24, FR 71:64, CNTLID 79:78, VER 83:80, ONCS 521:520,
// SUBNQN 1023:768.
func ParseIdentifyController(data []byte) (*IdentifyController, error) {
	if len(data) < identifyControllerMin {
		return nil, malformed("identify controller data of %d bytes, want at least %d", len(data), identifyControllerMin)
	}
	le := binary.LittleEndian
	return &IdentifyController{
		VendorID:          le.Uint16(data[0:2]),
		SubsystemVendorID: le.Uint16(data[2:4]),
		Serial:            asciiField(data[4:24]),
		Model:             asciiField(data[24:64]),
		Firmware:          asciiField(data[64:72]),
		ControllerID:      le.Uint16(data[78:80]),
		Version:           le.Uint32(data[80:84]),
		ONCS:              le.Uint16(data[520:522]),
		SubsystemNQN:      asciiField(data[768:1024]),
	}, nil
}

// IdentifyNamespace is the part of the NVM Command Set Identify Namespace
// data structure (CNS 00h) this package uses.
type IdentifyNamespace struct {
	Size   uint64 // NSZE in logical blocks, bytes 7:0
	NMIC   uint8  // byte 30: bit 0 = may be attached to several controllers
	RESCAP uint8  // byte 31: reservation capabilities
	NGUID  [16]byte
	EUI64  [8]byte
}

// ParseIdentifyNamespace decodes Identify Namespace data: NSZE 7:0, NMIC 30,
// RESCAP 31, NGUID 119:104, EUI64 127:120.
func ParseIdentifyNamespace(data []byte) (*IdentifyNamespace, error) {
	if len(data) < identifyNamespaceMin {
		return nil, malformed("identify namespace data of %d bytes, want at least %d", len(data), identifyNamespaceMin)
	}
	ns := &IdentifyNamespace{
		Size:   binary.LittleEndian.Uint64(data[0:8]),
		NMIC:   data[30],
		RESCAP: data[31],
	}
	copy(ns.NGUID[:], data[104:120])
	copy(ns.EUI64[:], data[120:128])
	return ns, nil
}

// ParseHostID decodes the 128-bit Host Identifier returned by Get Features
// (FID 81h, EXHID=1).
func ParseHostID(data []byte) (HostID, error) {
	var h HostID
	if len(data) < hostIDExtendedLen {
		return h, malformed("host identifier of %d bytes, want %d", len(data), hostIDExtendedLen)
	}
	copy(h[:], data)
	return h, nil
}

// asciiField returns a space- or NUL-padded text field without its padding.
func asciiField(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return strings.TrimRight(string(b), " ")
}
