package nvme

import (
	"fmt"
	"sync"
)

// Status is the 15-bit Status Field of a completion queue entry as Linux
// returns it from the passthrough ioctl (the CQE's Dword 3 bits 31:17):
// SC bits 7:0, SCT bits 10:8, CRD bits 12:11, More bit 13, DNR bit 14
// (NVMe Base 2.0 section 4.6.1, "Completion Queue Entry: Status Field").
type Status uint16

// Status Code Types.
const (
	SCTGeneric         = 0x0
	SCTCommandSpecific = 0x1
	SCTMedia           = 0x2
	SCTPath            = 0x3
	SCTVendor          = 0x7
)

// Status values this package acts on, as SCT<<8 | SC (NVMe Base 2.0
// section 4.6.1.2, generic command status and path related status).
const (
	StatusSuccess               Status = 0x000
	StatusInvalidOpcode         Status = 0x001
	StatusInvalidField          Status = 0x002
	StatusDataTransferError     Status = 0x004
	StatusInternalError         Status = 0x006
	StatusAbortRequested        Status = 0x007
	StatusAbortedSQDeletion     Status = 0x008
	StatusInvalidNamespace      Status = 0x00B
	StatusCommandSequenceError  Status = 0x00C
	StatusHostIDInconsistent    Status = 0x018
	StatusAbortedPreemptAbort   Status = 0x01B
	StatusNamespaceWriteProtect Status = 0x020
	StatusCommandInterrupted    Status = 0x021
	StatusTransientTransport    Status = 0x022
	StatusAdminMediaNotReady    Status = 0x024
	StatusLBAOutOfRange         Status = 0x080
	StatusNamespaceNotReady     Status = 0x082
	StatusReservationConflict   Status = 0x083
	StatusFormatInProgress      Status = 0x084

	StatusInternalPathError   Status = 0x300
	StatusANAPersistentLoss   Status = 0x301
	StatusANAInaccessible     Status = 0x302
	StatusANATransition       Status = 0x303
	StatusControllerPathError Status = 0x360
	StatusHostPathError       Status = 0x370 // set by the Linux host: no usable path
	StatusHostAbortedCommand  Status = 0x371 // set by the Linux host: cancelled (reset, timeout)
)

// Status field flag bits.
const (
	StatusMore Status = 1 << 13
	StatusDNR  Status = 1 << 14
)

// SC returns the Status Code.
func (s Status) SC() uint8 { return uint8(s) }

// SCT returns the Status Code Type.
func (s Status) SCT() uint8 { return uint8(s>>8) & 7 }

// CRD returns the Command Retry Delay index (0 = no delay requested).
func (s Status) CRD() uint8 { return uint8(s>>11) & 3 }

// DNR reports the Do Not Retry bit.
func (s Status) DNR() bool { return s&StatusDNR != 0 }

// Code returns SCT<<8 | SC without the flag bits, comparable with the Status* values.
func (s Status) Code() Status { return s & 0x7FF }

// OK reports a successful completion.
func (s Status) OK() bool { return s.Code() == StatusSuccess }

// statusNames is built on first use (an error message), not at every start of the agent.
var statusNames = sync.OnceValue(func() map[Status]string {
	return map[Status]string{
		StatusInvalidOpcode:         "invalid command opcode",
		StatusInvalidField:          "invalid field in command",
		StatusDataTransferError:     "data transfer error",
		StatusInternalError:         "internal error",
		StatusAbortRequested:        "command abort requested",
		StatusAbortedSQDeletion:     "command aborted due to SQ deletion",
		StatusInvalidNamespace:      "invalid namespace or format",
		StatusCommandSequenceError:  "command sequence error",
		StatusHostIDInconsistent:    "host identifier inconsistent format",
		StatusAbortedPreemptAbort:   "command aborted due to preempt and abort",
		StatusNamespaceWriteProtect: "namespace is write protected",
		StatusCommandInterrupted:    "command interrupted",
		StatusTransientTransport:    "transient transport error",
		StatusAdminMediaNotReady:    "admin command media not ready",
		StatusLBAOutOfRange:         "LBA out of range",
		StatusNamespaceNotReady:     "namespace not ready",
		StatusReservationConflict:   "reservation conflict",
		StatusFormatInProgress:      "format in progress",
		StatusInternalPathError:     "internal path error",
		StatusANAPersistentLoss:     "asymmetric access persistent loss",
		StatusANAInaccessible:       "asymmetric access inaccessible",
		StatusANATransition:         "asymmetric access transition",
		StatusControllerPathError:   "controller pathing error",
		StatusHostPathError:         "host pathing error",
		StatusHostAbortedCommand:    "command aborted by host",
	}
})

// String renders e.g. "reservation conflict (sct 0x0 sc 0x83, dnr)".
func (s Status) String() string {
	name := statusNames()[s.Code()]
	if name == "" {
		name = "status"
	}
	str := fmt.Sprintf("%s (sct 0x%x sc 0x%02x", name, s.SCT(), s.SC())
	if s.DNR() {
		str += ", dnr"
	}
	return str + ")"
}

// StatusFromIoctl decodes the return value of NVME_IOCTL_IO_CMD or
// NVME_IOCTL_ADMIN_CMD once the syscall reported no errno: 0 is success, a
// positive value is the completion's Status Field. Values that do not fit
// in 15 bits cannot come from the kernel and are rejected.
func StatusFromIoctl(r1 uintptr) (Status, error) {
	if r1 > 0x7FFF {
		return 0, fmt.Errorf("ioctl returned 0x%x, not a 15-bit NVMe status", r1)
	}
	return Status(r1), nil
}
