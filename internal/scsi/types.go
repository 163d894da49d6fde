package scsi

import (
	"fmt"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// Key is a persistent reservation key: an opaque unsigned 64-bit value,
// big-endian on the wire. 0 means "none" and is never a registered key. It
// is pr.Key: the same number on every transport.
type Key = pr.Key

// ReservationType is the SCSI TYPE field (SPC-4 table 190). The Linux block
// ioctls (enum pr_type in linux/pr.h) number the same types differently.
type ReservationType uint8

// The six persistent reservation types of SPC-4.
const (
	TypeNone                           ReservationType = 0x0
	TypeWriteExclusive                 ReservationType = 0x1 // WE
	TypeExclusiveAccess                ReservationType = 0x3 // EA
	TypeWriteExclusiveRegistrantsOnly  ReservationType = 0x5 // WE-RO, fence_scsi's type
	TypeExclusiveAccessRegistrantsOnly ReservationType = 0x6 // EA-RO
	TypeWriteExclusiveAllRegistrants   ReservationType = 0x7 // WE-AR
	TypeExclusiveAccessAllRegistrants  ReservationType = 0x8 // EA-AR
)

// Valid reports whether t is one of the six defined types.
func (t ReservationType) Valid() bool {
	switch t {
	case 1, 3, 5, 6, 7, 8:
		return true
	}
	return false
}

// AllRegistrants reports whether every registrant is a holder (types 7 and 8).
func (t ReservationType) AllRegistrants() bool { return t == 7 || t == 8 }

// RegistrantsOnly reports whether t is a "registrants only" type (5 and 6).
func (t ReservationType) RegistrantsOnly() bool { return t == 5 || t == 6 }

// scsiCodes are the SPC-4 TYPE codes of the neutral types WE, EA, WE-RO,
// EA-RO, WE-AR, EA-AR (SPC-4 table 190), indexed by the neutral type: an
// array, not a map, so it is static data with nothing to build at start-up.
var scsiCodes = [...]ReservationType{
	pr.TypeNone: TypeNone,
	pr.WE:       TypeWriteExclusive,
	pr.EA:       TypeExclusiveAccess,
	pr.WERO:     TypeWriteExclusiveRegistrantsOnly,
	pr.EARO:     TypeExclusiveAccessRegistrantsOnly,
	pr.WEAR:     TypeWriteExclusiveAllRegistrants,
	pr.EAAR:     TypeExclusiveAccessAllRegistrants,
}

// FromPR returns the SCSI TYPE code of the neutral type t; TypeNone (0)
// for pr.TypeNone and for anything that is not one of the six.
func FromPR(t pr.Type) ReservationType {
	if int(t) >= len(scsiCodes) {
		return TypeNone
	}
	return scsiCodes[t]
}

// PR returns the neutral type of the SCSI TYPE code t: pr.TypeNone for 0,
// pr.TypeUnknown for a code that names none of the six (2, 4, 9-15).
func (t ReservationType) PR() pr.Type {
	if t == TypeNone {
		return pr.TypeNone
	}
	for n, c := range scsiCodes {
		if c == t {
			return pr.Type(n)
		}
	}
	return pr.TypeUnknown
}

// String returns SPC's short name of the type.
func (t ReservationType) String() string {
	if n := t.PR(); n != pr.TypeUnknown {
		return n.String()
	}
	return fmt.Sprintf("type-0x%x", uint8(t))
}

// KeyList is the READ KEYS response: one key per registered I_T nexus
// (duplicates are normal: one per path of a host).
type KeyList struct {
	Generation uint32
	Keys       []Key
	// Partial is set by the parser when the device reported more keys than
	// the allocation held. Device.ReadKeys never returns a partial list: a
	// list that does not fit even at the SPC maximum allocation length is an
	// ErrMalformed error, so no caller decides on part of the keys.
	Partial bool
}

// Contains reports whether k is registered through at least one nexus.
func (l *KeyList) Contains(k Key) bool {
	for _, x := range l.Keys {
		if x == k {
			return true
		}
	}
	return false
}

// Reservation is the READ RESERVATION response.
type Reservation struct {
	Generation uint32
	// Present is false when no persistent reservation is held.
	Present bool
	// Key is the holder's key; 0 for the all-registrants types.
	Key   Key
	Scope uint8
	Type  ReservationType
}

// Capabilities is the REPORT CAPABILITIES response (SPC-4 6.15.4).
type Capabilities struct {
	RLRC, CRH, SIPC, ATPC, PTPLC bool
	TMV                          bool
	AllowCommands                uint8
	PTPLA                        bool
	// TypeMask is the 16-bit type mask as libiscsi reads it (bit 15 WE-AR,
	// 14 EA-RO, 13 WE-RO, 11 EA, 9 WE, 0 EA-AR); meaningful when TMV is set.
	TypeMask uint16
}

// Supports reports whether t is advertised in the type mask (true if TMV is clear).
func (c *Capabilities) Supports(t ReservationType) bool {
	if !c.TMV {
		return true
	}
	bit := map[ReservationType]uint16{1: 1 << 9, 3: 1 << 11, 5: 1 << 13, 6: 1 << 14, 7: 1 << 15, 8: 1 << 0}[t]
	return bit != 0 && c.TypeMask&bit != 0
}

// FullStatus is the READ FULL STATUS response.
type FullStatus struct {
	Generation  uint32
	Descriptors []FullStatusDescriptor
	// Partial is set when the descriptor list did not fit in the largest allocation.
	Partial bool
}

// FullStatusDescriptor describes one registered I_T nexus.
type FullStatusDescriptor struct {
	Key                  Key
	AllTgPt              bool
	ReservationHolder    bool
	Scope                uint8
	Type                 ReservationType
	RelativeTargetPortID uint16
	TransportID          []byte
}

// InquiryData is the decoded part of standard INQUIRY data we use.
type InquiryData struct {
	PeripheralQualifier uint8
	PeripheralType      uint8
	Version             uint8
	Vendor, Product     string
	Revision            string
}
