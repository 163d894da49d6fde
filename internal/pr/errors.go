package pr

import "errors"

// Error classes callers act on. Every error a Device returns for a failed
// command matches (errors.Is) the classes it belongs to: internal/scsi's
// class sentinels are these values, and internal/nvme's *Error matches them
// through its Is method (docs/nvme.md, "Status codes and error classes").
// The texts are the SCSI layer's, so messages did not change with this
// package.
var (
	// ErrReservationConflict: SCSI RESERVATION CONFLICT, NVMe 0/83h.
	ErrReservationConflict = errors.New("reservation conflict")
	// ErrNotSupported: the device has no persistent reservations (SCSI
	// invalid command operation code 20/00, SG_IO refused; NVMe Invalid
	// Command Opcode, ENOTTY), or the path is not a device of the transport.
	ErrNotSupported = errors.New("persistent reservations not supported")
	// ErrIllegalRequest: the device refused the command as invalid (SCSI
	// ILLEGAL REQUEST, e.g. 24/00 invalid field; NVMe Invalid Field in
	// Command, Invalid Command Opcode, Host Identifier Inconsistent Format).
	// Nothing was executed and repeating it cannot help.
	ErrIllegalRequest = errors.New("illegal request")
	// ErrUnitAttention: SCSI UNIT ATTENTION. NVMe has no unit attentions.
	ErrUnitAttention = errors.New("unit attention")
	// ErrRegistrationsPreempted: this initiator was preempted, i.e. fenced
	// (SCSI UA 2A/05; NVMe 0/1Bh Command Aborted due to Preempt and Abort).
	ErrRegistrationsPreempted = errors.New("registrations preempted")
	// ErrReservationsPreempted: SCSI UA 2A/03 (after a CLEAR).
	ErrReservationsPreempted = errors.New("reservations preempted")
	// ErrReservationsReleased: SCSI UA 2A/04.
	ErrReservationsReleased = errors.New("reservations released")
	ErrNotReady             = errors.New("not ready")
	ErrBusy                 = errors.New("busy") // SCSI BUSY, TASK SET FULL, ACA ACTIVE; NVMe Command Interrupted
	ErrTransport            = errors.New("transport failure")
	ErrTimeout              = errors.New("timeout")
	ErrAborted              = errors.New("command aborted")
	ErrMalformed            = errors.New("malformed response")
	// ErrDevice is any other failure the device reported.
	ErrDevice = errors.New("device error")
	// ErrOutcomeUnknown marks a reservation command that may or may not
	// have executed (timeout, transport failure, cancellation): read the
	// state again, never re-send blindly.
	ErrOutcomeUnknown = errors.New("outcome unknown")
	// ErrNoIdentity: the device reports nothing that names it the same way
	// on every path and host.
	ErrNoIdentity = errors.New("the logical unit reports no identity")
)
