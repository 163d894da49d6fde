package scsi

import (
	"fmt"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// SAM status codes (SAM-5 5.3), compared after masking with 0x7E.
const (
	StatusGood                = 0x00
	StatusCheckCondition      = 0x02
	StatusConditionMet        = 0x04
	StatusBusy                = 0x08
	StatusReservationConflict = 0x18
	StatusCommandTerminated   = 0x22
	StatusTaskSetFull         = 0x28
	StatusACAActive           = 0x30
	StatusTaskAborted         = 0x40
)

// Sense keys (SPC-4 4.5.6).
const (
	SenseNoSense        = 0x0
	SenseRecoveredError = 0x1
	SenseNotReady       = 0x2
	SenseMediumError    = 0x3
	SenseHardwareError  = 0x4
	SenseIllegalRequest = 0x5
	SenseUnitAttention  = 0x6
	SenseDataProtect    = 0x7
	SenseAbortedCommand = 0xB
)

// Error classes callers act on. A *Error matches (errors.Is) every class it
// belongs to; e.g. a UNIT ATTENTION 2A/05 matches ErrUnitAttention and
// ErrRegistrationsPreempted. They are the transport-neutral classes of
// internal/pr, so a caller written against pr.Device matches SCSI errors
// with pr's sentinels.
var (
	ErrReservationConflict    = pr.ErrReservationConflict
	ErrUnitAttention          = pr.ErrUnitAttention
	ErrRegistrationsPreempted = pr.ErrRegistrationsPreempted // UA 2A/05: this nexus was fenced
	ErrReservationsPreempted  = pr.ErrReservationsPreempted  // UA 2A/03 (CLEAR)
	ErrReservationsReleased   = pr.ErrReservationsReleased   // UA 2A/04
	ErrNotReady               = pr.ErrNotReady
	ErrIllegalRequest         = pr.ErrIllegalRequest
	ErrNotSupported           = pr.ErrNotSupported // 20/00 or SG_IO unsupported
	ErrBusy                   = pr.ErrBusy         // BUSY, TASK SET FULL, ACA ACTIVE
	ErrTransport              = pr.ErrTransport
	ErrTimeout                = pr.ErrTimeout
	ErrAborted                = pr.ErrAborted
	ErrMalformed              = pr.ErrMalformed
	// ErrDevice is any other failure the device reported (MEDIUM ERROR,
	// HARDWARE ERROR, DATA PROTECT, CHECK CONDITION without usable sense, ...).
	ErrDevice = pr.ErrDevice
	// ErrOutcomeUnknown marks a PR OUT that may or may not have executed
	// (timeout, transport failure, EINTR): re-read the state, never re-send blindly.
	ErrOutcomeUnknown = pr.ErrOutcomeUnknown
)

// Error is a failed SCSI command on one device.
type Error struct {
	Op     string // operation in SPC's words, e.g. "preempt-and-abort"
	Device string // path as configured

	Status       uint8  // SAM status byte (masked with 0x7E)
	HostStatus   uint16 // Linux DID_* code
	DriverStatus uint16
	Sense        *Sense // decoded sense data, nil if none
	Errno        error  // ioctl/open failure, if any

	// Class is the primary class sentinel (one of the Err* values above).
	Class error
	// OutcomeUnknown is set when a data-out command may have executed.
	OutcomeUnknown bool
	// Detail is a short human-readable cause, e.g. "truncated READ KEYS response".
	Detail string
}

func (e *Error) Error() string {
	msg := e.Detail
	if msg == "" && e.Class != nil {
		msg = e.Class.Error()
	}
	if e.Sense != nil && e.Class != ErrReservationConflict {
		msg = fmt.Sprintf("%s (%s)", msg, e.Sense)
	}
	if e.Errno != nil && e.Detail == "" {
		msg = fmt.Sprintf("%s: %v", msg, e.Errno)
	}
	if e.OutcomeUnknown {
		msg += " (outcome unknown: re-read the state)"
	}
	if e.Device == "" {
		return fmt.Sprintf("%s: %s", e.Op, msg)
	}
	return fmt.Sprintf("%s %s: %s", e.Op, e.Device, msg)
}

// Unwrap exposes the errno (if any) to errors.Is/As.
func (e *Error) Unwrap() error { return e.Errno }

// Is matches the class sentinels this error belongs to.
func (e *Error) Is(target error) bool {
	if target == e.Class {
		return true
	}
	switch target {
	case ErrOutcomeUnknown:
		return e.OutcomeUnknown
	case ErrUnitAttention, ErrIllegalRequest, ErrNotReady:
		if e.Sense != nil {
			switch target {
			case ErrUnitAttention:
				return e.Sense.Key == SenseUnitAttention
			case ErrIllegalRequest:
				return e.Sense.Key == SenseIllegalRequest
			case ErrNotReady:
				return e.Sense.Key == SenseNotReady
			}
		}
	case ErrRegistrationsPreempted, ErrReservationsPreempted, ErrReservationsReleased:
		if e.Sense != nil && e.Sense.Key == SenseUnitAttention && e.Sense.ASC == 0x2A {
			switch target {
			case ErrReservationsPreempted:
				return e.Sense.ASCQ == 0x03
			case ErrReservationsReleased:
				return e.Sense.ASCQ == 0x04
			case ErrRegistrationsPreempted:
				return e.Sense.ASCQ == 0x05
			}
		}
	}
	return false
}

// Sense is decoded sense data (fixed 0x70/0x71 or descriptor 0x72/0x73).
type Sense struct {
	ResponseCode uint8
	Key          uint8
	ASC, ASCQ    uint8
	Deferred     bool
	// SKSV and the sense-key-specific field pointer (ILLEGAL REQUEST).
	SKSV         bool
	CommandData  bool // C/D: 1 = error in the CDB, 0 = in parameter data
	FieldPointer uint16
	Info         uint64
	InfoValid    bool
}

// String renders e.g. "sense key ILLEGAL REQUEST, asc/ascq 24/00 invalid field in cdb".
func (s *Sense) String() string {
	str := fmt.Sprintf("sense key %s, asc/ascq %02x/%02x", SenseKeyName(s.Key), s.ASC, s.ASCQ)
	if d := ascDescription(s.ASC, s.ASCQ); d != "" {
		str += " " + d
	}
	return str
}

var senseKeyNames = [16]string{
	"NO SENSE", "RECOVERED ERROR", "NOT READY", "MEDIUM ERROR", "HARDWARE ERROR",
	"ILLEGAL REQUEST", "UNIT ATTENTION", "DATA PROTECT", "BLANK CHECK", "VENDOR SPECIFIC",
	"COPY ABORTED", "ABORTED COMMAND", "RESERVED", "VOLUME OVERFLOW", "MISCOMPARE", "COMPLETED",
}

// SenseKeyName returns SPC's name of a sense key.
func SenseKeyName(k uint8) string { return senseKeyNames[k&0xF] }

func ascDescription(asc, ascq uint8) string {
	switch uint16(asc)<<8 | uint16(ascq) {
	case 0x0401:
		return "logical unit is in process of becoming ready"
	case 0x0800:
		return "logical unit communication failure"
	case 0x1A00:
		return "parameter list length error"
	case 0x2000:
		return "invalid command operation code"
	case 0x2400:
		return "invalid field in cdb"
	case 0x2500:
		return "logical unit not supported"
	case 0x2600:
		return "invalid field in parameter list"
	case 0x2604:
		return "invalid release of persistent reservation"
	case 0x2900:
		return "power on, reset, or bus device reset occurred"
	case 0x2907:
		return "i_t nexus loss occurred"
	case 0x2A03:
		return "reservations preempted"
	case 0x2A04:
		return "reservations released"
	case 0x2A05:
		return "registrations preempted"
	case 0x2F00:
		return "commands cleared by another initiator"
	case 0x5504:
		return "insufficient registration resources"
	}
	return ""
}
