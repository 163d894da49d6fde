package scsi

import "encoding/binary"

// Operation codes (SPC-4 6.6, 6.15, 6.16, 6.37).
const (
	OpTestUnitReady        = 0x00 // SPC-4 6.37
	OpInquiry              = 0x12 // SPC-4 6.6
	OpPersistentReserveIn  = 0x5E // SPC-4 6.15
	OpPersistentReserveOut = 0x5F // SPC-4 6.16
)

// PRInServiceAction is the SERVICE ACTION of a PERSISTENT RESERVE IN CDB (SPC-4 6.15.1).
type PRInServiceAction uint8

// PERSISTENT RESERVE IN service actions (SPC-4 6.15.1).
const (
	PRInReadKeys           PRInServiceAction = 0x00
	PRInReadReservation    PRInServiceAction = 0x01
	PRInReportCapabilities PRInServiceAction = 0x02
	PRInReadFullStatus     PRInServiceAction = 0x03
)

// PROutServiceAction is the SERVICE ACTION of a PERSISTENT RESERVE OUT CDB (SPC-4 6.16.2).
type PROutServiceAction uint8

// PERSISTENT RESERVE OUT service actions (SPC-4 6.16.1).
const (
	PROutRegister               PROutServiceAction = 0x00
	PROutReserve                PROutServiceAction = 0x01
	PROutRelease                PROutServiceAction = 0x02
	PROutClear                  PROutServiceAction = 0x03
	PROutPreempt                PROutServiceAction = 0x04
	PROutPreemptAndAbort        PROutServiceAction = 0x05
	PROutRegisterAndIgnore      PROutServiceAction = 0x06
	PROutRegisterAndMove        PROutServiceAction = 0x07
	PROutReplaceLostReservation PROutServiceAction = 0x08
)

// ScopeLU is the only valid SCOPE code, LU_SCOPE (SPC-4 6.15.3.2).
const ScopeLU = 0x0

// PROutParamLen is the length of the basic PR OUT parameter list (SPC-4 6.16.3).
const PROutParamLen = 24

// Parameter list byte 20 flag bits (SPC-4 6.16.3).
const (
	ParamAPTPL   = 0x01
	ParamAllTgPt = 0x04
	ParamSpecIPT = 0x08
)

// TestUnitReadyCDB returns the 6-byte TEST UNIT READY CDB (SPC-4 6.37).
func TestUnitReadyCDB() []byte { return make([]byte, 6) }

// InquiryCDB returns a 6-byte INQUIRY CDB (SPC-4 6.6); page must be 0 when evpd is false.
func InquiryCDB(evpd bool, page byte, alloc uint16) []byte {
	cdb := make([]byte, 6)
	cdb[0] = OpInquiry
	if evpd {
		cdb[1] = 0x01
	}
	cdb[2] = page
	binary.BigEndian.PutUint16(cdb[3:5], alloc)
	return cdb
}

// PRInCDB returns a 10-byte PERSISTENT RESERVE IN CDB (SPC-4 6.15.1).
func PRInCDB(sa PRInServiceAction, alloc uint16) []byte {
	cdb := make([]byte, 10)
	cdb[0] = OpPersistentReserveIn
	cdb[1] = byte(sa) & 0x1F
	binary.BigEndian.PutUint16(cdb[7:9], alloc)
	return cdb
}

// PROutCDB returns a 10-byte PERSISTENT RESERVE OUT CDB with a 24-byte
// parameter list length written as a u32 at bytes 5-8 (SPC-4 6.16.1).
func PROutCDB(sa PROutServiceAction, scope uint8, typ ReservationType) []byte {
	cdb := make([]byte, 10)
	cdb[0] = OpPersistentReserveOut
	cdb[1] = byte(sa) & 0x1F
	cdb[2] = scope<<4 | byte(typ)&0x0F
	binary.BigEndian.PutUint32(cdb[5:9], PROutParamLen)
	return cdb
}

// PROutParams returns the 24-byte basic PR OUT parameter list (SPC-4 6.16.3);
// SPEC_I_PT is never set.
func PROutParams(rk, sark Key, opt RegisterOptions) []byte {
	p := make([]byte, PROutParamLen)
	binary.BigEndian.PutUint64(p[0:8], uint64(rk))
	binary.BigEndian.PutUint64(p[8:16], uint64(sark))
	p[20] = opt.flags()
	return p
}

// flags encodes RegisterOptions as parameter list byte 20.
func (o RegisterOptions) flags() byte {
	var b byte
	if o.APTPL {
		b |= ParamAPTPL
	}
	if o.AllTgPt {
		b |= ParamAllTgPt
	}
	return b
}
