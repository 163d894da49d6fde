package sim

import (
	"encoding/binary"
	"fmt"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// Operation codes the simulated LU implements (SPC-4 6.6, 6.15, 6.16, 6.37; SBC-4 READ/WRITE(10)).
const (
	opTestUnitReady = 0x00
	opInquiry       = 0x12
	opRead10        = 0x28
	opWrite10       = 0x2A
	opPRIn          = 0x5E
	opPROut         = 0x5F
)

// cdbShape gives the CDB length and data direction of each implemented opcode.
var cdbShape = map[byte]struct {
	length int
	dir    scsi.Direction
}{
	opTestUnitReady: {6, scsi.DirNone},
	opInquiry:       {6, scsi.DirFromDevice},
	opRead10:        {10, scsi.DirFromDevice},
	opWrite10:       {10, scsi.DirToDevice},
	opPRIn:          {10, scsi.DirFromDevice},
	opPROut:         {10, scsi.DirToDevice},
}

// execute runs one command in the processing order of docs/pr-notes.md, "Processing order". A Go error
// means the host side broke the SG_IO contract (CDB length, direction,
// buffer sizes): a bug in the builders, reported loudly.
func (lu *LU) execute(n *nexus, cmd *scsi.Command) (answer, error) {
	op := cmd.CDB[0]
	shape, ok := cdbShape[op]
	if !ok { // processing order step 1
		return checkCondition(scsi.SenseIllegalRequest, 0x20, 0x00), nil
	}
	if len(cmd.CDB) != shape.length {
		return answer{}, fmt.Errorf("sim: opcode 0x%02x needs a %d-byte CDB, got %d", op, shape.length, len(cmd.CDB))
	}
	// A PR OUT with PARAMETER LIST LENGTH 0 has no data-out phase: SG_IO
	// sends it as SG_DXFER_NONE, and the target answers 1A/00 (prOut).
	noData := op == opPROut && cmd.Direction == scsi.DirNone && len(cmd.DataOut) == 0
	if cmd.Direction != shape.dir && !noData {
		return answer{}, fmt.Errorf("sim: opcode 0x%02x has data direction %d, got %d", op, shape.dir, cmd.Direction)
	}
	// Processing order step 2: INQUIRY neither reports nor clears a unit attention.
	if op != opInquiry && len(n.ua) > 0 {
		ua := n.ua[0]
		n.ua = n.ua[1:]
		return checkCondition(scsi.SenseUnitAttention, ua.ASC, ua.ASCQ), nil
	}
	if c := cmd.CDB[len(cmd.CDB)-1]; c != 0 { // CONTROL: no NACA/link support
		return invalidCDBField(uint16(len(cmd.CDB) - 1)), nil
	}
	switch op {
	case opTestUnitReady:
		if off := nonZero(cmd.CDB[1:5]); off >= 0 {
			return invalidCDBField(uint16(1 + off)), nil
		}
		return good(nil), nil
	case opInquiry:
		return lu.inquiry(cmd)
	case opRead10, opWrite10:
		return lu.readWrite(n, cmd)
	case opPRIn:
		return lu.prIn(cmd)
	default:
		return lu.prOut(n, cmd)
	}
}

// nonZero returns the offset of the first non-zero byte in b, or -1.
func nonZero(b []byte) int {
	for i, x := range b {
		if x != 0 {
			return i
		}
	}
	return -1
}

// allocation checks that the data-in buffer can hold the CDB's allocation
// length (dxfer_len must equal it; tgt rejects a shorter buffer).
func allocation(cmd *scsi.Command, alloc int) error {
	if cmd.DataInLen < alloc {
		return fmt.Errorf("sim: opcode 0x%02x: data-in buffer %d shorter than allocation length %d", cmd.CDB[0], cmd.DataInLen, alloc)
	}
	return nil
}

// inquiry answers standard INQUIRY data and VPD pages 0x00, 0x80, 0x83 (SPC-4 6.6.2, 7.8).
func (lu *LU) inquiry(cmd *scsi.Command) (answer, error) {
	cdb := cmd.CDB
	alloc := int(binary.BigEndian.Uint16(cdb[3:5]))
	if err := allocation(cmd, alloc); err != nil {
		return answer{}, err
	}
	if cdb[1]&^0x01 != 0 {
		return invalidCDBField(1), nil
	}
	if cdb[1]&0x01 == 0 {
		if cdb[2] != 0 {
			return invalidCDBField(2), nil
		}
		d := make([]byte, 36)
		d[2] = 0x06 // SPC-4
		d[3] = 0x02 // RESPONSE DATA FORMAT 2
		d[4] = 36 - 5
		d[7] = 0x02 // CMDQUE
		copy(d[8:16], fmt.Sprintf("%-8.8s", lu.vendor))
		copy(d[16:32], fmt.Sprintf("%-16.16s", lu.product))
		copy(d[32:36], "0001")
		return good(d), nil
	}
	var body []byte
	switch cdb[2] {
	case 0x00:
		body = []byte{0x00, 0x80, 0x83}
	case 0x80:
		body = []byte(lu.serial)
	case 0x83:
		// LU designator: binary NAA 6 (association 0), then the relative
		// target port (association 1, PIV, protocol iSCSI) — never compared.
		body = append([]byte{0x01, 0x03, 0x00, 16}, lu.naa[:]...)
		body = append(body, 0x51, 0x94, 0x00, 4, 0, 0, 0, 1)
	default:
		return invalidCDBField(2), nil
	}
	page := []byte{0x00, cdb[2], 0, 0}
	binary.BigEndian.PutUint16(page[2:4], uint16(len(body)))
	return good(append(page, body...)), nil
}

// readWrite executes READ(10)/WRITE(10), checked against the access matrix
// of SPC-4 table 65 / SBC-4 4.17 before anything else (processing order
// step 3, docs/pr-notes.md, "Processing order").
func (lu *LU) readWrite(n *nexus, cmd *scsi.Command) (answer, error) {
	cdb := cmd.CDB
	write := cdb[0] == opWrite10
	lba := binary.BigEndian.Uint32(cdb[2:6])
	count := int(binary.BigEndian.Uint16(cdb[7:9]))
	size := count * BlockSize
	if write && len(cmd.DataOut) != size {
		return answer{}, fmt.Errorf("sim: WRITE(10) of %d blocks with %d data-out bytes", count, len(cmd.DataOut))
	}
	if !write {
		if err := allocation(cmd, size); err != nil {
			return answer{}, err
		}
	}
	if !lu.mayAccess(n.name, write) {
		return conflict(), nil
	}
	if uint64(lba)+uint64(count) > uint64(lu.blocks) {
		return checkCondition(scsi.SenseIllegalRequest, 0x21, 0x00), nil // LBA OUT OF RANGE
	}
	if write {
		for i := 0; i < count; i++ {
			lu.data[lba+uint32(i)] = append([]byte(nil), cmd.DataOut[i*BlockSize:(i+1)*BlockSize]...)
		}
		return good(nil), nil
	}
	out := make([]byte, size)
	for i := 0; i < count; i++ {
		copy(out[i*BlockSize:], lu.data[lba+uint32(i)])
	}
	return good(out), nil
}
