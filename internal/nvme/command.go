package nvme

import (
	"context"
	"encoding/binary"
)

// Opcodes used by this package. I/O commands (NVMe Base 2.0 section 7)
// travel with NVME_IOCTL_IO_CMD, admin commands (section 5) with
// NVME_IOCTL_ADMIN_CMD.
const (
	OpWrite               = 0x01 // NVM Command Set Write (the simulator's access check)
	OpRead                = 0x02 // NVM Command Set Read
	OpReservationRegister = 0x0D
	OpReservationReport   = 0x0E
	OpReservationAcquire  = 0x11
	OpReservationRelease  = 0x15

	AdminIdentify    = 0x06
	AdminGetFeatures = 0x0A
)

// Identify CNS values and the Host Identifier feature.
const (
	CNSNamespace  = 0x00
	CNSController = 0x01
	FeatureHostID = 0x81
)

// Data structure sizes.
const (
	IdentifyLen       = 4096
	ReportHeaderLen   = 64 // Reservation Status extended data structure header
	RegistrantExtLen  = 64 // Registered Controller extended data structure
	DefaultReportLen  = 4096
	MaxReportLen      = ReportHeaderLen + 4095*RegistrantExtLen // 256 KiB
	hostIDExtendedLen = 16
)

// Reservation actions (CDW10 bits 2:0).
const (
	actRegister   = 0
	actUnregister = 1
	actReplace    = 2

	actAcquire         = 0
	actPreempt         = 1
	actPreemptAndAbort = 2

	actRelease = 0
	actClear   = 1
)

// cdw10IEKEY is the Ignore Existing Key bit of Reservation Register.
const cdw10IEKEY = 1 << 3

// Command is one NVMe command in the shape of struct nvme_passthru_cmd
// (include/uapi/linux/nvme_ioctl.h) with the data buffer as a slice instead
// of addr/data_len. Transports execute it; the simulator decodes it as a
// controller would.
type Command struct {
	// Admin selects the admin queue (NVME_IOCTL_ADMIN_CMD).
	Admin        bool
	Opcode       uint8
	Flags        uint8
	NSID         uint32
	CDW2, CDW3   uint32
	CDW10, CDW11 uint32
	CDW12, CDW13 uint32
	CDW14, CDW15 uint32
	// Data is the data buffer: its contents are sent for host-to-controller
	// opcodes and overwritten for controller-to-host opcodes.
	Data []byte
	// TimeoutMS bounds the command in the kernel (timeout_ms; 0 = kernel default).
	TimeoutMS uint32
}

// HostToController reports whether the opcode transfers data to the
// controller (opcode bit 0), as the kernel's nvme_is_write decides.
func (c *Command) HostToController() bool { return c.Opcode&1 != 0 }

// Completion is what a transport returns for a command that completed.
type Completion struct {
	// Status is the completion status as Linux returns it from the ioctl:
	// the 15-bit Status Field (SC bits 7:0, SCT 10:8, CRD 12:11, M 13, DNR 14).
	Status Status
	// Result is Dword 0 of the completion queue entry.
	Result uint32
}

// Transport executes one NVMe command on one namespace through one
// controller. The Linux ioctl transport and the simulator implement it.
type Transport interface {
	// Execute sends cmd and returns its completion. A non-nil error means
	// the command did not complete with a status (ioctl failure, kernel
	// cancellation, ctx end).
	Execute(ctx context.Context, cmd *Command) (Completion, error)
	// NSID is the namespace the transport is bound to.
	NSID() uint32
	// Close releases the file descriptor.
	Close() error
}

// RegisterCmd builds Reservation Register (section 7.3): CDW10 RREGA bits
// 2:0, IEKEY bit 3, CPTPL bits 31:30; data CRKEY bytes 7:0, NRKEY 15:8.
func RegisterCmd(nsid uint32, rrega uint8, iekey bool, cptpl CPTPL, crkey, nrkey Key) *Command {
	cdw10 := uint32(rrega&7) | uint32(cptpl&3)<<30
	if iekey {
		cdw10 |= cdw10IEKEY
	}
	data := binary.LittleEndian.AppendUint64(nil, uint64(crkey))
	data = binary.LittleEndian.AppendUint64(data, uint64(nrkey))
	return &Command{Opcode: OpReservationRegister, NSID: nsid, CDW10: cdw10, Data: data}
}

// AcquireCmd builds Reservation Acquire (section 7.2): CDW10 RACQA bits 2:0,
// RTYPE bits 15:8 (IEKEY is never set); data CRKEY bytes 7:0, PRKEY 15:8.
func AcquireCmd(nsid uint32, racqa uint8, t ReservationType, crkey, prkey Key) *Command {
	data := binary.LittleEndian.AppendUint64(nil, uint64(crkey))
	data = binary.LittleEndian.AppendUint64(data, uint64(prkey))
	return &Command{Opcode: OpReservationAcquire, NSID: nsid,
		CDW10: uint32(racqa&7) | uint32(t)<<8, Data: data}
}

// ReleaseCmd builds Reservation Release (section 7.4): CDW10 RRELA bits 2:0,
// RTYPE bits 15:8; data CRKEY bytes 7:0 (8 bytes).
func ReleaseCmd(nsid uint32, rrela uint8, t ReservationType, crkey Key) *Command {
	return &Command{Opcode: OpReservationRelease, NSID: nsid,
		CDW10: uint32(rrela&7) | uint32(t)<<8,
		Data:  binary.LittleEndian.AppendUint64(nil, uint64(crkey))}
}

// ReportCmd builds Reservation Report (section 7.5) for a buffer of n bytes
// (a multiple of 4, at least 4): CDW10 NUMD = n/4-1 (0's based dwords),
// CDW11 bit 0 EDS=1 (the extended data structure with 128-bit host IDs).
func ReportCmd(nsid uint32, n int) *Command {
	n = max(n&^3, 4)
	return &Command{Opcode: OpReservationReport, NSID: nsid,
		CDW10: uint32(n/4 - 1), CDW11: 1, Data: make([]byte, n)}
}

// IdentifyCmd builds the admin Identify command (CDW10 bits 7:0 CNS) with a
// 4096-byte buffer; nsid is 0 for CNS 01h (controller).
func IdentifyCmd(nsid uint32, cns uint8) *Command {
	return &Command{Admin: true, Opcode: AdminIdentify, NSID: nsid,
		CDW10: uint32(cns), Data: make([]byte, IdentifyLen)}
}

// HostIDCmd builds Get Features, Host Identifier (FID 81h, current value),
// with EXHID (CDW11 bit 0) set: the 128-bit identifier, 16 bytes of data.
func HostIDCmd() *Command {
	return &Command{Admin: true, Opcode: AdminGetFeatures,
		CDW10: FeatureHostID, CDW11: 1, Data: make([]byte, hostIDExtendedLen)}
}
