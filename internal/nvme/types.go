package nvme

import (
	"encoding/hex"
	"fmt"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// Key is a reservation key: an opaque 64-bit value, little-endian in the
// NVMe data buffers. Unlike SCSI, NVMe does not reserve 0: a host can hold
// a registration with key 0 (which is what the kernel's IOC_PR_REGISTER
// leaves behind when asked to unregister, see docs/nvme.md). It is pr.Key:
// the same number on every transport.
type Key = pr.Key

// ReservationType is the NVMe RTYPE field (NVMe Base 2.0, Figure "Reservation
// Type Encoding" in section 7.2). The SCSI TYPE codes of the same six types
// differ; see SCSIType and FromSCSIType.
type ReservationType uint8

// The six reservation types, named once for both transports.
const (
	TypeNone ReservationType = 0
	WE       ReservationType = 1 // Write Exclusive
	EA       ReservationType = 2 // Exclusive Access
	WERO     ReservationType = 3 // Write Exclusive - Registrants Only (fence_scsi's type)
	EARO     ReservationType = 4 // Exclusive Access - Registrants Only
	WEAR     ReservationType = 5 // Write Exclusive - All Registrants
	EAAR     ReservationType = 6 // Exclusive Access - All Registrants
)

// scsiCodes maps RTYPE 1..6 to the SPC-4 TYPE codes (SPC-4 table 190).
var scsiCodes = [7]uint8{0, 1, 3, 5, 6, 7, 8}

// Valid reports whether t is one of the six defined types.
func (t ReservationType) Valid() bool { return t >= WE && t <= EAAR }

// AllRegistrants reports whether every registrant is a holder (WEAR, EAAR).
func (t ReservationType) AllRegistrants() bool { return t == WEAR || t == EAAR }

// RegistrantsOnly reports whether t is a "registrants only" type (WERO, EARO).
func (t ReservationType) RegistrantsOnly() bool { return t == WERO || t == EARO }

// ExclusiveAccess reports whether t restricts reads as well as writes.
func (t ReservationType) ExclusiveAccess() bool { return t == EA || t == EARO || t == EAAR }

// SCSIType returns the SPC-4 TYPE code of t (1, 3, 5, 6, 7, 8), 0 if t is not valid.
func (t ReservationType) SCSIType() uint8 {
	if !t.Valid() {
		return 0
	}
	return scsiCodes[t]
}

// FromSCSIType returns the type whose SPC-4 TYPE code is code, and false
// for codes that are not one of the six (including 0).
func FromSCSIType(code uint8) (ReservationType, bool) {
	for t := WE; t <= EAAR; t++ {
		if scsiCodes[t] == code {
			return t, true
		}
	}
	return TypeNone, false
}

// FromPR returns the RTYPE of the neutral type t; TypeNone (0) for
// pr.TypeNone and for anything that is not one of the six.
func FromPR(t pr.Type) ReservationType {
	switch t {
	case pr.WE:
		return WE
	case pr.EA:
		return EA
	case pr.WERO:
		return WERO
	case pr.EARO:
		return EARO
	case pr.WEAR:
		return WEAR
	case pr.EAAR:
		return EAAR
	}
	return TypeNone
}

// PR returns the neutral type of RTYPE t: pr.TypeNone for 0, pr.TypeUnknown
// for a reserved value.
func (t ReservationType) PR() pr.Type {
	for _, n := range pr.Types() {
		if FromPR(n) == t {
			return n
		}
	}
	if t == TypeNone {
		return pr.TypeNone
	}
	return pr.TypeUnknown
}

// String returns the short name shared with the SCSI layer (WE, EA, WE-RO, ...).
func (t ReservationType) String() string {
	if n := t.PR(); n != pr.TypeUnknown {
		return n.String()
	}
	return fmt.Sprintf("rtype-0x%x", uint8(t))
}

// HostID is an NVMe Host Identifier; the extended (128-bit) form. A 64-bit
// identifier occupies the first 8 bytes.
type HostID [16]byte

// String prints the identifier as 32 hex digits.
func (h HostID) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether the identifier is unset.
func (h HostID) IsZero() bool { return h == HostID{} }

// CPTPL is the Change Persist Through Power Loss State field of Reservation
// Register (CDW10 bits 31:30).
type CPTPL uint8

// CPTPL values (NVMe Base 2.0 section 7.3); 1 is reserved.
const (
	PTPLNoChange CPTPL = 0 // leave the PTPL state as it is
	PTPLClear    CPTPL = 2 // reservations are released and registrants cleared on power on
	PTPLSet      CPTPL = 3 // reservations and registrants persist across power loss
)

// RegisterOptions are the optional fields of a Reservation Register.
type RegisterOptions struct {
	// PTPL changes the namespace's Persist Through Power Loss state (the
	// counterpart of SCSI's APTPL); the zero value leaves it unchanged.
	PTPL CPTPL
}

// Report is the Reservation Status extended data structure (NVMe Base 2.0
// section 7.5, EDS=1).
type Report struct {
	Generation uint32
	// Type is the current reservation type; TypeNone when no reservation is held.
	Type ReservationType
	// PTPLS is the Persist Through Power Loss State.
	PTPLS bool
	// NumRegistered is REGCTL: the number of registered controllers the
	// controller reported, which can exceed len(Registrants) when Partial.
	NumRegistered int
	Registrants   []Registrant
	// Partial is set when not every registrant fit even in the largest read.
	Partial bool
}

// Registrant is one Registered Controller extended data structure.
type Registrant struct {
	ControllerID uint16 // CNTLID; 0xFFFF for a dynamic controller (NVMe-oF)
	// Holder is RCSTS bit 0: the host of this controller holds the
	// reservation (every registrant for the all-registrants types).
	Holder bool
	Key    Key
	HostID HostID
}

// Keys returns the key of every registered controller (one per controller:
// a host with two controllers appears twice, as a SCSI initiator with two
// paths does in READ KEYS).
func (r *Report) Keys() []Key {
	keys := make([]Key, 0, len(r.Registrants))
	for _, g := range r.Registrants {
		keys = append(keys, g.Key)
	}
	return keys
}

// Contains reports whether k is registered through at least one controller.
func (r *Report) Contains(k Key) bool {
	for _, g := range r.Registrants {
		if g.Key == k {
			return true
		}
	}
	return false
}

// Holder returns the first registrant that holds the reservation, or nil.
// For the all-registrants types every registrant is a holder.
func (r *Report) Holder() *Registrant {
	for i := range r.Registrants {
		if r.Registrants[i].Holder {
			return &r.Registrants[i]
		}
	}
	return nil
}

// Capabilities is what Identify Controller and Identify Namespace say about
// reservations on one namespace.
type Capabilities struct {
	// Reservations is ONCS bit 5 of Identify Controller: the controller
	// supports the Reservation commands.
	Reservations bool
	// RESCAP is the raw Reservation Capabilities byte of Identify Namespace.
	RESCAP uint8
	// Shared is NMIC bit 0: the namespace may be attached to more than one
	// controller (a private namespace cannot be fenced between hosts).
	Shared bool
	// ControllerID is CNTLID of the controller that answered.
	ControllerID uint16
	// Controller and Namespace are the decoded Identify data.
	Controller *IdentifyController
	Namespace  *IdentifyNamespace
}

// RESCAP bits (Identify Namespace byte 31).
const (
	RescapPTPL  = 1 << 0 // Persist Through Power Loss supported
	RescapIEKEY = 1 << 7 // Ignore Existing Key behaves as in revision 1.3 and later
)

// PTPL reports whether Persist Through Power Loss is supported.
func (c *Capabilities) PTPL() bool { return c.RESCAP&RescapPTPL != 0 }

// IEKEY reports whether Ignore Existing Key is supported as in revision 1.3 and later.
func (c *Capabilities) IEKEY() bool { return c.RESCAP&RescapIEKEY != 0 }

// Supports reports whether the namespace advertises reservation type t
// (RESCAP bit n is RTYPE n for n = 1..6).
func (c *Capabilities) Supports(t ReservationType) bool {
	return c.Reservations && t.Valid() && c.RESCAP&(1<<t) != 0
}
