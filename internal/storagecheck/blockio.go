package storagecheck

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// The write test's data writes: LBA 0 is read once, while the scratch
// reservation keeps every other initiator from writing, and the same bytes
// are written back, so the data on the LU never changes. READ(10) and
// WRITE(10) are SBC-4 5.14 and 5.40.

const (
	opRead10  = 0x28
	opWrite10 = 0x2A
)

// firstWrites reads the test block and checks the holder's write is accepted.
func (w *writeTest) firstWrites(ctx context.Context) error {
	if !w.writes {
		if w.a.IO == nil || w.opt.Force {
			w.step("no data written (%s)", map[bool]string{true: "--force: others may be writing", false: "no block I/O on this path"}[w.opt.Force])
		}
		return nil
	}
	data, err := blockIO(ctx, w.a, false, nil)
	if err != nil {
		return fmt.Errorf("READ of LBA 0 through %s: %w", w.a.Name, err)
	}
	w.block = data
	if err := w.write(ctx, w.a); err != nil {
		return fmt.Errorf("WRITE through %s, the reservation holder: %w", w.a.Name, err)
	}
	w.step("WRITE through %s (registered, holder) accepted (LBA 0, the data read from it)", w.a.Name)
	return nil
}

// sameInitiator: both paths are known to come from one initiator name.
func sameInitiator(a, b *Path) bool {
	na, nb := nexusName(a.Nexus), nexusName(b.Nexus)
	return na != "" && strings.EqualFold(na, nb)
}

func (w *writeTest) write(ctx context.Context, p *Path) error {
	if p.IO == nil {
		return errors.New("no block I/O on this path")
	}
	_, err := blockIO(ctx, p, true, w.block)
	return err
}

// mustConflict requires a WRITE through p, which is not registered, to be
// refused with RESERVATION CONFLICT while the nexus other holds the
// reservation. A target may decide write access per initiator port name
// rather than per I_T nexus (LIO lets another ISID of the holder's iSCSI
// initiator write): when p and other are known to share the initiator name
// an accepted write is noted, not failed, since fencing removes a node's
// key from all of its nexuses at once.
func (w *writeTest) mustConflict(ctx context.Context, p, other *Path, what string) error {
	err := w.write(ctx, p)
	if err == nil && sameInitiator(p, other) {
		w.step("note: WRITE through %s %s was accepted: it shares the initiator name %s with %s, the reservation holder, and this target grants access per initiator name, not per I_T nexus (fencing, which removes a node's key from every nexus, is not affected; a --peer-device of another initiator shows the conflict)",
			what, p.Name, nexusName(p.Nexus), other.Name)
		return nil
	}
	if err == nil {
		return fmt.Errorf("WRITE through %s %s was accepted: it is not registered and the LU is reserved WE-RO, RESERVATION CONFLICT was due", what, p.Name)
	}
	if !errors.Is(err, scsi.ErrReservationConflict) {
		return fmt.Errorf("WRITE through %s %s: %w (RESERVATION CONFLICT was due)", what, p.Name, err)
	}
	w.step("WRITE through %s %s refused with RESERVATION CONFLICT", what, p.Name)
	return nil
}

// blockIO sends READ(10) or WRITE(10) of one block at LBA 0, retrying unit
// attentions (a PR change raises them on the other nexuses).
func blockIO(ctx context.Context, p *Path, write bool, data []byte) ([]byte, error) {
	bs := p.BlockSize
	if bs == 0 {
		bs = 512
	}
	cmd := &scsi.Command{CDB: []byte{opRead10, 0, 0, 0, 0, 0, 0, 0, 0, 0}, Direction: scsi.DirFromDevice, DataInLen: bs}
	if write {
		if len(data) != bs {
			return nil, fmt.Errorf("%d bytes to write, block size %d", len(data), bs)
		}
		cmd = &scsi.Command{CDB: []byte{opWrite10, 0, 0, 0, 0, 0, 0, 0, 0, 0}, Direction: scsi.DirToDevice, DataOut: data}
	}
	binary.BigEndian.PutUint16(cmd.CDB[7:9], 1)
	for try := 0; ; try++ {
		res, err := p.IO.Execute(ctx, cmd)
		if err != nil {
			return nil, err
		}
		e := scsi.Classify(res)
		if e == nil {
			if !write && res.Resid != 0 {
				return nil, fmt.Errorf("READ returned %d of %d bytes", len(res.DataIn)-res.Resid, bs)
			}
			return res.DataIn, nil
		}
		if !errors.Is(e, scsi.ErrUnitAttention) || try >= 8 {
			return nil, e
		}
	}
}
