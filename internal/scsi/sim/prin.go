package sim

import (
	"encoding/binary"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// PERSISTENT RESERVE IN service actions (SPC-4 6.15.1).
const (
	saReadKeys           = 0x00
	saReadReservation    = 0x01
	saReportCapabilities = 0x02
	saReadFullStatus     = 0x03
)

// prIn executes PERSISTENT RESERVE IN (SPC-4 6.15). The ADDITIONAL LENGTH
// fields always describe everything available; fitDataIn then transfers
// min(allocation, available) bytes (SPC-4 6.15.2, 4.2.5.6).
func (lu *LU) prIn(cmd *scsi.Command) (answer, error) {
	cdb := cmd.CDB
	alloc := int(binary.BigEndian.Uint16(cdb[7:9]))
	if err := allocation(cmd, alloc); err != nil {
		return answer{}, err
	}
	if cdb[1]&0xE0 != 0 {
		return invalidCDBField(1), nil
	}
	if off := nonZero(cdb[2:7]); off >= 0 {
		return invalidCDBField(uint16(2 + off)), nil
	}
	sa := cdb[1] & 0x1F
	if sa > saReadFullStatus || (sa == saReadFullStatus && lu.quirks.Has(QuirkNoReadFullStatus)) {
		return invalidCDBField(1), nil
	}
	if lu.quirks.Has(QuirkMinAllocation) {
		minimum := 8
		if sa == saReportCapabilities && !lu.quirks.Has(QuirkMinAllocationCapabilities) {
			minimum = 6
		}
		if alloc < minimum {
			return invalidCDBField(7), nil
		}
	}
	switch sa {
	case saReadKeys:
		return good(lu.readKeys(alloc)), nil
	case saReadReservation:
		return good(lu.readReservation()), nil
	case saReportCapabilities:
		return good(lu.reportCapabilities()), nil
	default:
		return good(lu.readFullStatus(alloc)), nil
	}
}

// prHeader returns PRGENERATION and ADDITIONAL LENGTH followed by body.
// With QuirkTruncatedAdditionalLength the length reports only the whole
// units (bounds, cumulative end offsets in body) that fit in alloc, as
// older LIO did.
func (lu *LU) prHeader(body []byte, alloc int, bounds []int) []byte {
	return lu.prHeaderCut(body, alloc, bounds, lu.quirks.Has(QuirkTruncatedAdditionalLength))
}

// prHeaderCut is prHeader with the truncation chosen by the caller.
func (lu *LU) prHeaderCut(body []byte, alloc int, bounds []int, cut bool) []byte {
	addLen := len(body)
	if cut && bounds != nil && 8+addLen > alloc {
		addLen = 0
		for _, end := range bounds {
			if 8+end > alloc {
				break
			}
			addLen = end
		}
	}
	d := make([]byte, 8, 8+len(body))
	binary.BigEndian.PutUint32(d[0:4], lu.generation)
	binary.BigEndian.PutUint32(d[4:8], uint32(addLen))
	return append(d, body...)
}

// readKeys builds the READ KEYS response: one key per registered nexus (SPC-4 6.15.2).
func (lu *LU) readKeys(alloc int) []byte {
	body := make([]byte, 0, 8*len(lu.regs))
	var bounds []int
	for _, r := range lu.regs {
		body = binary.BigEndian.AppendUint64(body, uint64(r.key))
		bounds = append(bounds, len(body))
	}
	return lu.prHeader(body, alloc, bounds)
}

// readReservation builds the READ RESERVATION response (SPC-4 6.15.3); the key is 0
// for the all-registrants types.
func (lu *LU) readReservation() []byte {
	if lu.res == nil {
		return lu.prHeader(nil, 8, nil)
	}
	body := make([]byte, 16)
	if !lu.res.typ.AllRegistrants() {
		if r := lu.registration(lu.res.holder); r != nil {
			binary.BigEndian.PutUint64(body[0:8], uint64(r.key))
		}
	}
	body[13] = lu.res.scope<<4 | uint8(lu.res.typ)
	return lu.prHeader(body, 24, nil)
}

// typeMask advertises all six types (SPC-4 6.15.4; libiscsi reads it as 16 bits).
const typeMask = 1<<15 | 1<<14 | 1<<13 | 1<<11 | 1<<9 | 1<<0

// reportCapabilities builds the 8-byte REPORT CAPABILITIES response (SPC-4 6.15.4).
// Strict mode advertises ATP_C and PTPL_C (both implemented), ALLOW
// COMMANDS 1; LIO additionally claims CRH and SIP_C although the simulator
// rejects SPEC_I_PT (26/00); tgt claims nothing.
func (lu *LU) reportCapabilities() []byte {
	d := make([]byte, 8)
	d[1] = 8
	switch {
	case lu.quirks.Has(QuirkNoCapabilityBits):
	case lu.quirks.Has(QuirkNotReadyUnregistered): // the LIO profile
		d[2] = 0x10 | 0x08 | 0x04 | 0x01
		d[3] = 1 << 4
	default:
		d[2] = 0x04 | 0x01
		d[3] = 1 << 4
	}
	d[3] |= 0x80 // TMV
	if lu.aptpl && !lu.quirks.Has(QuirkNoCapabilityBits) {
		d[3] |= 0x01 // PTPL_A
	}
	binary.BigEndian.PutUint16(d[4:6], typeMask)
	return d
}

// readFullStatus builds READ FULL STATUS (SPC-4 6.15.5) with one descriptor per
// registration; all nexuses reach the LU through relative target port 1.
func (lu *LU) readFullStatus(alloc int) []byte {
	var body []byte
	var bounds []int
	for _, r := range lu.regs {
		tid := iscsiTransportID(r.nexus)
		desc := make([]byte, 24, 24+len(tid))
		binary.BigEndian.PutUint64(desc[0:8], uint64(r.key))
		if r.allTgPt {
			desc[12] |= 0x02
		}
		if lu.isHolder(r.nexus) {
			desc[12] |= 0x01
			desc[13] = lu.res.scope<<4 | uint8(lu.res.typ)
		}
		binary.BigEndian.PutUint16(desc[18:20], 1)
		binary.BigEndian.PutUint32(desc[20:24], uint32(len(tid)))
		body = append(body, append(desc, tid...)...)
		bounds = append(bounds, len(body))
	}
	if !lu.quirks.Has(QuirkTruncatedFullStatusLength) {
		return lu.prHeader(body, alloc, nil)
	}
	// LIO writes only the descriptors it counted: the transfer ends there.
	d := lu.prHeaderCut(body, alloc, bounds, true)
	return d[:8+binary.BigEndian.Uint32(d[4:8])]
}

// iscsiTransportID encodes an iSCSI TransportID, format 00b: protocol 5,
// ADDITIONAL LENGTH, then the NUL-terminated name padded to a multiple of
// 4 bytes, 24 bytes at least (SPC-4 7.6.4.6).
func iscsiTransportID(name string) []byte {
	n := len(name) + 1
	n = (n + 3) &^ 3
	n = max(n, 20)
	tid := make([]byte, 4+n)
	tid[0] = 0x05
	binary.BigEndian.PutUint16(tid[2:4], uint16(n))
	copy(tid[4:], name)
	return tid
}
