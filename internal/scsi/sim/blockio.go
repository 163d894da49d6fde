package sim

import (
	"context"
	"encoding/binary"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// WriteBlock sends WRITE(10) of one block at lba through t, the way a
// filesystem or dd would reach the LU: unit attentions are consumed and the
// command retried (as the kernel's sd driver does), and any other failure is
// returned as a *scsi.Error, so a fenced nexus yields ErrReservationConflict.
func WriteBlock(ctx context.Context, t scsi.Transport, lba uint32, data []byte) error {
	cdb := []byte{opWrite10, 0, 0, 0, 0, 0, 0, 0, 1, 0}
	binary.BigEndian.PutUint32(cdb[2:6], lba)
	return blockIO(ctx, t, "write", &scsi.Command{CDB: cdb, Direction: scsi.DirToDevice, DataOut: data})
}

// ReadBlock sends READ(10) of one block at lba through t; see WriteBlock.
func ReadBlock(ctx context.Context, t scsi.Transport, lba uint32) error {
	cdb := []byte{opRead10, 0, 0, 0, 0, 0, 0, 0, 1, 0}
	binary.BigEndian.PutUint32(cdb[2:6], lba)
	return blockIO(ctx, t, "read", &scsi.Command{CDB: cdb, Direction: scsi.DirFromDevice, DataInLen: BlockSize})
}

// blockIO executes cmd, retrying unit attentions, and classifies the
// answer with scsi.Classify (docs/pr-notes.md).
func blockIO(ctx context.Context, t scsi.Transport, op string, cmd *scsi.Command) error {
	for try := 0; ; try++ {
		r, err := t.Execute(ctx, cmd)
		if err != nil {
			return &scsi.Error{Op: op, Errno: err, Class: scsi.ErrTransport}
		}
		e := scsi.Classify(r)
		if e == nil {
			return nil
		}
		if e.Class == scsi.ErrUnitAttention && try < 16 {
			continue
		}
		e.Op = op
		return e
	}
}

// Device returns a scsi.Device on a new connection over nexus, with the
// default DeviceOptions: the builders, parsers and retry policy of package
// scsi on top of the simulated target.
func (lu *LU) Device(nexus string) scsi.Device {
	return scsi.NewDevice(nexus, lu.Connect(nexus), scsi.DeviceOptions{})
}
