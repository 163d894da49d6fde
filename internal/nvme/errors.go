package nvme

import (
	"errors"
	"fmt"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// Error classes of NVMe's own. A *Error's Class is one of these or one of
// the transport-neutral classes of internal/pr whose meaning is the same on
// both transports (pr.ErrReservationConflict, pr.ErrNotReady, pr.ErrBusy for
// Command Interrupted, pr.ErrTransport, pr.ErrTimeout, pr.ErrAborted,
// pr.ErrMalformed, pr.ErrDevice for any other failure the controller
// reported). A *Error matches (errors.Is) every class it belongs to:
// pr.ErrOutcomeUnknown when a reservation command may or may not have
// executed (timeout, cancellation, transport failure: re-read the state with
// Report, never re-send blindly), and the pr class each of these matches.
var (
	// ErrNotSupported: the controller or namespace has no reservations
	// (invalid opcode, ONCS bit 5 clear), or the path is not an NVMe
	// namespace. Matches pr.ErrNotSupported; a completed Invalid Command
	// Opcode also matches pr.ErrIllegalRequest, as SCSI's 20/00 does.
	ErrNotSupported = errors.New("reservations not supported")
	// ErrInvalidField is Invalid Field in Command: SCSI's ILLEGAL REQUEST
	// (matches pr.ErrIllegalRequest).
	ErrInvalidField = errors.New("invalid field in command")
	// ErrHostID: the controller has no usable Host Identifier for
	// reservations (matches pr.ErrIllegalRequest: repeating cannot help).
	ErrHostID = errors.New("host identifier missing or inconsistent")
	// ErrPreempted: a command of this host was aborted because another host
	// preempted its registration (SCSI's UA 2A/05, and it matches
	// pr.ErrRegistrationsPreempted and pr.ErrAborted): this host was fenced.
	ErrPreempted = errors.New("registration preempted")
)

// Error is a failed NVMe command on one namespace.
type Error struct {
	Op     string // operation, e.g. "preempt-and-abort"
	Device string // path as configured

	// Status is the completion status; meaningful when Completed.
	Status    Status
	Completed bool
	Errno     error // ioctl/open failure, if any

	// Class is the primary class sentinel (an Err* value above or a pr class).
	Class error
	// OutcomeUnknown is set when a reservation command may have executed.
	OutcomeUnknown bool
	// Detail is a short human-readable cause.
	Detail string
}

func (e *Error) Error() string {
	msg := e.Detail
	if msg == "" && e.Class != nil {
		msg = e.Class.Error()
	}
	if e.Completed && e.Class != pr.ErrReservationConflict {
		msg = fmt.Sprintf("%s: %s", msg, e.Status)
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
	switch target {
	case e.Class:
		return true
	case pr.ErrOutcomeUnknown:
		return e.OutcomeUnknown
	case pr.ErrAborted:
		return e.Class == ErrPreempted
	case pr.ErrNotSupported:
		return e.Class == ErrNotSupported
	case pr.ErrIllegalRequest:
		return e.Class == ErrInvalidField || e.Class == ErrHostID ||
			(e.Class == ErrNotSupported && e.Completed)
	case pr.ErrRegistrationsPreempted:
		return e.Class == ErrPreempted
	}
	return false
}

// ClassifyStatus maps a completion status to its class; nil means success.
func ClassifyStatus(s Status) error {
	switch s.Code() {
	case StatusSuccess:
		return nil
	case StatusReservationConflict:
		return pr.ErrReservationConflict
	case StatusInvalidOpcode:
		return ErrNotSupported
	case StatusInvalidField:
		return ErrInvalidField
	case StatusHostIDInconsistent:
		return ErrHostID
	case StatusNamespaceNotReady, StatusAdminMediaNotReady, StatusFormatInProgress, StatusANATransition:
		return pr.ErrNotReady
	case StatusCommandInterrupted:
		return pr.ErrBusy
	case StatusAbortedPreemptAbort:
		return ErrPreempted
	case StatusAbortRequested, StatusAbortedSQDeletion, StatusHostAbortedCommand:
		return pr.ErrAborted
	case StatusDataTransferError, StatusTransientTransport, StatusInternalPathError,
		StatusANAPersistentLoss, StatusANAInaccessible, StatusControllerPathError, StatusHostPathError:
		return pr.ErrTransport
	}
	return pr.ErrDevice
}

// statusDetail adds a hint where the bare status name misleads.
func statusDetail(s Status) string {
	if s.Code() == StatusCommandSequenceError {
		return "command sequence error (a controller without a Host Identifier refuses reservation commands this way)"
	}
	return ""
}
