package scsi

import (
	"context"
	"errors"
	"fmt"
	"syscall"
)

// Linux host_status (DID_*) codes (include/scsi/scsi_status.h).
const (
	DIDOk                 = 0x00
	DIDNoConnect          = 0x01
	DIDBusBusy            = 0x02
	DIDTimeOut            = 0x03
	DIDBadTarget          = 0x04
	DIDAbort              = 0x05
	DIDParity             = 0x06
	DIDError              = 0x07
	DIDReset              = 0x08
	DIDBadIntr            = 0x09
	DIDSoftError          = 0x0B
	DIDImmRetry           = 0x0C
	DIDRequeue            = 0x0D
	DIDTransportDisrupted = 0x0E
	DIDTransportFailfast  = 0x0F
	DIDTargetFailure      = 0x10 // old kernels: added to some ILLEGAL REQUEST results
	DIDNexusFailure       = 0x11 // old kernels: added to every RESERVATION CONFLICT
	DIDTransportMarginal  = 0x14
)

// DriverSense is the driver_status value meaning "sense data is valid" (DRIVER_SENSE, drivers/scsi/sg.c).
const DriverSense = 0x08

// Classify applies the classification order of docs/pr-notes.md (steps 2-8) to
// a completed command. It returns nil for success; otherwise an *Error with
// Status, HostStatus, DriverStatus, Sense and Class filled in (Op, Device and
// OutcomeUnknown are the caller's).
func Classify(res *Result) *Error {
	status := res.Status & 0x7E
	e := &Error{Status: status, HostStatus: res.HostStatus, DriverStatus: res.DriverStatus}

	// Step 2: RESERVATION CONFLICT wins over host_status 0x11 (old kernels).
	if status == StatusReservationConflict {
		e.Class = ErrReservationConflict
		return e
	}
	// Step 3: CHECK CONDITION (or COMMAND TERMINATED) with decodable sense.
	if status == StatusCheckCondition || status == StatusCommandTerminated {
		if s, err := ParseSense(res.Sense); err == nil {
			e.Sense = s
			e.Class = senseClass(s)
			if e.Class == nil {
				return nil // NO SENSE / RECOVERED ERROR: success, as sg3_utils does
			}
			if s.Deferred {
				e.Detail = "deferred error of an earlier command: " + e.Class.Error()
			}
			return e
		}
	}
	// Step 4: host_status.
	if res.HostStatus != DIDOk {
		e.Class = hostClass(res.HostStatus)
		e.Detail = fmt.Sprintf("%s (host_status 0x%02x)", e.Class, res.HostStatus)
		return e
	}
	// Step 5: driver_status other than none / DRIVER_SENSE.
	if d := res.DriverStatus & 0x0F; d != 0 && d != DriverSense {
		e.Class = ErrTransport
		e.Detail = fmt.Sprintf("transport failure (driver_status 0x%02x)", res.DriverStatus)
		return e
	}
	// Steps 6-8.
	switch status {
	case StatusGood, StatusConditionMet, 0x10, 0x14: // 0x10, 0x14: obsolete INTERMEDIATE
		return nil
	case StatusBusy, StatusTaskSetFull, StatusACAActive:
		e.Class = ErrBusy
	case StatusTaskAborted:
		e.Class = ErrAborted
		e.Detail = "task aborted"
	case StatusCheckCondition, StatusCommandTerminated:
		e.Class = ErrDevice
		e.Detail = "check condition without usable sense data"
	default:
		e.Class = ErrDevice
		e.Detail = fmt.Sprintf("unexpected status 0x%02x", status)
	}
	return e
}

// senseClass maps decoded sense data to a class (SPC-4 4.5.6 sense keys); nil means success.
func senseClass(s *Sense) error {
	switch s.Key {
	case SenseNoSense, SenseRecoveredError:
		return nil
	case SenseUnitAttention:
		return ErrUnitAttention
	case SenseNotReady:
		return ErrNotReady
	case SenseIllegalRequest:
		if s.ASC == 0x20 && s.ASCQ == 0x00 {
			return ErrNotSupported // INVALID COMMAND OPERATION CODE: no PR support
		}
		return ErrIllegalRequest
	case SenseAbortedCommand:
		if s.ASC == 0x10 { // protection information errors are not transient
			return ErrDevice
		}
		return ErrAborted
	}
	return ErrDevice
}

// hostClass maps a Linux DID_* code to a class (include/scsi/scsi_status.h).
func hostClass(h uint16) error {
	switch h {
	case DIDTimeOut:
		return ErrTimeout
	case DIDAbort, DIDReset:
		return ErrAborted
	case DIDBusBusy, DIDSoftError, DIDImmRetry, DIDRequeue, DIDTransportDisrupted, DIDTransportMarginal:
		return ErrTransport // transient
	case DIDNexusFailure:
		return ErrReservationConflict // old kernels, status byte lost
	}
	return ErrTransport
}

// transientHost reports whether a DID_* code is worth retrying on the same path (drivers/scsi/scsi_error.c).
func transientHost(h uint16) bool {
	switch h {
	case DIDBusBusy, DIDSoftError, DIDImmRetry, DIDRequeue, DIDTransportDisrupted, DIDTransportMarginal:
		return true
	}
	return false
}

// classifyExecErr turns a Transport.Execute error (the command did not
// complete at the SCSI level, step 1 in docs/pr-notes.md) into an *Error. An *Error
// from the transport is kept; context errors become ErrTimeout/ErrAborted;
// errnos are mapped as drivers/scsi/sg.c and scsi_ioctl.c return them.
func classifyExecErr(err error) *Error {
	var se *Error
	if errors.As(err, &se) {
		c := *se
		return &c
	}
	e := &Error{Errno: err, Class: ErrTransport}
	var errno syscall.Errno
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		e.Class, e.OutcomeUnknown = ErrTimeout, true
		e.Detail = "deadline exceeded while the command was in flight"
	case errors.Is(err, context.Canceled):
		e.Class, e.OutcomeUnknown = ErrAborted, true
		e.Detail = "canceled while the command was in flight"
	case errors.As(err, &errno):
		e.Class, e.OutcomeUnknown = errnoClass(errno)
	default:
		e.OutcomeUnknown = true // unknown failure: assume the command may have run
	}
	return e
}

// errnoClass maps an SG_IO errno (drivers/scsi/sg.c, drivers/scsi/scsi_ioctl.c). Every errno but EINTR is a
// check the kernel makes before sending the command, so only EINTR leaves
// the outcome unknown.
func errnoClass(errno syscall.Errno) (class error, outcomeUnknown bool) {
	switch errno {
	case syscall.EINTR:
		return ErrTransport, true
	case syscall.ENOTTY, syscall.EINVAL, syscall.ENOSYS:
		return ErrNotSupported, false // not a SCSI device (NVMe, virtio-blk, partition)
	}
	return ErrTransport, false
}
