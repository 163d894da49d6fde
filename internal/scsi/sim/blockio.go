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

func blockIO(ctx context.Context, t scsi.Transport, op string, cmd *scsi.Command) error {
	for try := 0; ; try++ {
		r, err := t.Execute(ctx, cmd)
		if err != nil {
			return &scsi.Error{Op: op, Errno: err, Class: scsi.ErrTransport}
		}
		e := &scsi.Error{Op: op, Status: r.Status}
		switch r.Status {
		case scsi.StatusGood:
			return nil
		case scsi.StatusReservationConflict:
			e.Class = scsi.ErrReservationConflict
		case scsi.StatusTaskAborted:
			e.Class = scsi.ErrAborted
		case scsi.StatusBusy, scsi.StatusTaskSetFull:
			e.Class = scsi.ErrBusy
		case scsi.StatusCheckCondition:
			s := r.Sense // the simulator's own fixed-format sense
			e.Sense = &scsi.Sense{ResponseCode: s[0], Key: s[2] & 0x0F, ASC: s[12], ASCQ: s[13]}
			switch e.Sense.Key {
			case scsi.SenseUnitAttention:
				if try < 16 {
					continue
				}
				e.Class = scsi.ErrUnitAttention
			case scsi.SenseNotReady:
				e.Class = scsi.ErrNotReady
			default:
				e.Class = scsi.ErrIllegalRequest
			}
		default:
			e.Class = scsi.ErrTransport
		}
		return e
	}
}
