package scsi

import (
	"context"
	"time"
)

// Transport executes one SCSI command on one I_T nexus. The Linux SG_IO
// transport and the simulator (internal/scsi/sim) implement it; the Device
// returned by NewDevice builds CDBs, applies the retry policy and parses the
// responses on top of any Transport, so tests against the simulator exercise
// the same builders and parsers as real storage.
type Transport interface {
	// Execute sends cmd and returns what the target answered. A non-nil error
	// means the command did not complete at the SCSI level (ioctl failure,
	// EINTR, deadline); the Result is then nil.
	Execute(ctx context.Context, cmd *Command) (*Result, error)
	// Close releases the nexus (file descriptor).
	Close() error
}

// Direction is the data transfer direction of a command.
type Direction int

// Data directions, as SG_IO's dxfer_direction distinguishes them.
const (
	DirNone Direction = iota
	DirToDevice
	DirFromDevice
)

// Command is one CDB with its data phase.
type Command struct {
	CDB       []byte
	Direction Direction
	// DataOut is the parameter list for DirToDevice.
	DataOut []byte
	// DataInLen is the buffer size for DirFromDevice; it equals the CDB's
	// allocation length.
	DataInLen int
	// Timeout bounds the command in the target/kernel (SG_IO timeout).
	Timeout time.Duration
}

// Result is the completion of a command.
type Result struct {
	Status       uint8  // SAM status byte
	HostStatus   uint16 // Linux DID_* code (0 for the simulator)
	DriverStatus uint16
	// Sense holds the valid sense bytes (sb_len_wr of them).
	Sense []byte
	// DataIn is the whole data-in buffer (len = Command.DataInLen); only the
	// first len(DataIn)-Resid bytes were transferred.
	DataIn []byte
	// Resid is dxfer_len minus the bytes actually transferred (clamped by the caller).
	Resid int
}
