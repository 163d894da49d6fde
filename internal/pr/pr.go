// Package pr is the transport-neutral model of persistent reservations that
// the fence actions, the watchdog check and the arbitration mode are written
// against: reservation keys, the six reservation types named once, key
// lists, the reservation, registrations, the error classes, and the Device
// interface with the operations SPC-4 (PERSISTENT RESERVE IN/OUT) and NVMe
// (Reservation Register/Acquire/Release/Report) have in common.
//
// Two adapters implement Device: internal/pr/scsipr on an internal/scsi
// Device (SG_IO) and internal/pr/nvmepr on an internal/nvme Device (NVMe
// passthrough); internal/pr/prdev picks one for a device path. The wire
// codes of the types (SCSI TYPE 1, 3, 5, 6, 7, 8; NVMe RTYPE 1-6) live in
// the transports only. docs/nvme.md maps every step to the command used.
package pr

import "fmt"

// Key is a reservation key: an opaque unsigned 64-bit value. It is the same
// number on both transports (big-endian in SCSI parameter lists,
// little-endian in NVMe data buffers), so a key printed here equals the one
// sg_persist or nvme-cli prints. 0 means "no key": SCSI never registers it,
// and callers never use it on NVMe either.
type Key uint64

// String prints a key as sg_persist does: lower-case hex, "0x" prefix, no padding.
func (k Key) String() string { return fmt.Sprintf("0x%x", uint64(k)) }

// Type is a reservation type. The values are this package's own, not a
// wire code of either transport: scsi and nvme convert them.
type Type uint8

// The six reservation types of SPC-4 and NVMe, and the two non-types.
const (
	TypeNone Type = iota // no reservation
	WE                   // Write Exclusive
	EA                   // Exclusive Access
	WERO                 // Write Exclusive - Registrants Only (fence_scsi's type)
	EARO                 // Exclusive Access - Registrants Only
	WEAR                 // Write Exclusive - All Registrants
	EAAR                 // Exclusive Access - All Registrants
	// TypeUnknown stands for a code the device reported that names none of
	// the six (an obsolete or reserved SCSI TYPE).
	TypeUnknown Type = 0xFF
)

// Types returns the six reservation types in the order above.
func Types() []Type { return []Type{WE, EA, WERO, EARO, WEAR, EAAR} }

// Valid reports whether t is one of the six reservation types.
func (t Type) Valid() bool { return t >= WE && t <= EAAR }

// AllRegistrants reports whether every registrant is a holder (WE-AR, EA-AR).
func (t Type) AllRegistrants() bool { return t == WEAR || t == EAAR }

// RegistrantsOnly reports whether t is a "registrants only" type (WE-RO, EA-RO).
func (t Type) RegistrantsOnly() bool { return t == WERO || t == EARO }

// ExclusiveAccess reports whether t restricts reads as well as writes.
func (t Type) ExclusiveAccess() bool { return t == EA || t == EARO || t == EAAR }

// String returns the short name both standards' tools print (WE, EA,
// WE-RO, EA-RO, WE-AR, EA-AR).
func (t Type) String() string {
	switch t {
	case TypeNone:
		return "none"
	case WE:
		return "WE"
	case EA:
		return "EA"
	case WERO:
		return "WE-RO"
	case EARO:
		return "EA-RO"
	case WEAR:
		return "WE-AR"
	case EAAR:
		return "EA-AR"
	case TypeUnknown:
		return "unknown"
	}
	return fmt.Sprintf("type-%d", uint8(t))
}

// KeyList is the list of registered keys: one entry per registration. On
// SCSI a registration is one I_T nexus (a host with two paths appears
// twice); on NVMe it is one host, whatever its number of controllers.
type KeyList struct {
	Generation uint32
	Keys       []Key
}

// Contains reports whether k is registered at least once.
func (l *KeyList) Contains(k Key) bool { return l.Count(k) > 0 }

// Count is the number of registrations with key k.
func (l *KeyList) Count(k Key) int {
	n := 0
	for _, x := range l.Keys {
		if x == k {
			n++
		}
	}
	return n
}

// Reservation is the reservation of a logical unit or namespace.
type Reservation struct {
	Generation uint32
	// Present is false when no reservation is held.
	Present bool
	// Key is the holder's key; 0 for the all-registrants types.
	Key  Key
	Type Type
}

// Registration is one registration in a Registrations list.
type Registration struct {
	Key Key
	// Holder: this registrant holds the reservation (every registrant for
	// the all-registrants types).
	Holder bool
	// Initiator names the registrant for messages: the SCSI TransportID
	// (iSCSI name, FC or SAS port name), or "host <Host Identifier>" on NVMe.
	Initiator string
}

// Registrations is the detailed registration list (SCSI READ FULL STATUS;
// NVMe Reservation Report with one entry per registered host).
type Registrations struct {
	Generation uint32
	List       []Registration
	// Partial is set when not every registration fit in the largest read.
	Partial bool
	// Reservation is the reservation the same answer shows (SCSI: the
	// scope and type of a descriptor with R_HOLDER set; NVMe: the
	// Report's type and holder), read in the same command as List.
	Reservation Reservation
}

// KeyList is the registrations' keys in list order, as READ KEYS lists
// them (SCSI: one per registered I_T nexus; NVMe: one per host).
func (r *Registrations) KeyList() *KeyList {
	kl := &KeyList{Generation: r.Generation, Keys: make([]Key, 0, len(r.List))}
	for _, g := range r.List {
		kl.Keys = append(kl.Keys, g.Key)
	}
	return kl
}

// RegisterOptions are the optional parts of a registration.
type RegisterOptions struct {
	// PersistThroughPowerLoss asks the device to keep the reservation state
	// through power loss (SCSI APTPL; NVMe CPTPL 11b). When false, SCSI
	// sends APTPL=0 and NVMe leaves the namespace's setting unchanged.
	PersistThroughPowerLoss bool
	// AllTargetPorts registers on every target port (SCSI ALL_TG_PT). An
	// NVMe registration always covers every controller of the host.
	AllTargetPorts bool
}

// Capabilities is what a device says about its reservations, as far as
// the callers use it.
type Capabilities struct {
	// Types are the types the device advertises; nil when it does not say
	// (SCSI without TMV), in which case every type may work.
	Types []Type
	// PersistThroughPowerLoss: the device can keep the state through power loss.
	PersistThroughPowerLoss bool
	// AllTargetPorts: a registration can cover every target port.
	AllTargetPorts bool
	// HostRegistration: a registration belongs to the host, not to the path
	// it was sent through (NVMe); a KeyList lists a host once.
	HostRegistration bool
}

// Supports reports whether the device advertises t (true when it does not say).
func (c *Capabilities) Supports(t Type) bool {
	if c.Types == nil {
		return t.Valid()
	}
	for _, x := range c.Types {
		if x == t {
			return true
		}
	}
	return false
}

// Transport is the command set a Device speaks.
type Transport int

// The transports.
const (
	SCSI Transport = iota // SCSI-3 persistent reservations through SG_IO
	NVMe                  // NVMe reservations through the passthrough ioctls
)

func (t Transport) String() string {
	switch t {
	case SCSI:
		return "scsi"
	case NVMe:
		return "nvme"
	}
	return fmt.Sprintf("transport-%d", int(t))
}
