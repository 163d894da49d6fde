package sim

import "github.com/fence-scsi-go/fence_scsi_go/internal/scsi"

// answer is the outcome of one command inside the LU, before the data-in
// phase is fitted to the allocation length.
type answer struct {
	status uint8
	sense  []byte
	data   []byte // everything the LU would send if the allocation allowed
}

// good is GOOD status with optional data-in.
func good(data []byte) answer { return answer{status: scsi.StatusGood, data: data} }

// conflict is RESERVATION CONFLICT: no sense data (SPC-4 5.13.1; processing order step 3, docs/pr-notes.md, "Processing order").
func conflict() answer { return answer{status: scsi.StatusReservationConflict} }

// checkCondition is CHECK CONDITION with fixed-format sense.
func checkCondition(key, asc, ascq uint8) answer {
	return answer{status: scsi.StatusCheckCondition, sense: fixedSense(key, asc, ascq)}
}

// invalidCDBField is ILLEGAL REQUEST 24/00 with the field pointer on CDB byte off.
func invalidCDBField(off uint16) answer {
	a := checkCondition(scsi.SenseIllegalRequest, 0x24, 0x00)
	setFieldPointer(a.sense, true, off)
	return a
}

// invalidParamField is ILLEGAL REQUEST 26/00 with the field pointer on
// parameter-list byte off.
func invalidParamField(off uint16) answer {
	a := checkCondition(scsi.SenseIllegalRequest, 0x26, 0x00)
	setFieldPointer(a.sense, false, off)
	return a
}

// notReadyCommFailure is NOT READY 08/00, LIO's answer in several PR corners (docs/pr-notes.md, "Known target deviations").
func notReadyCommFailure() answer { return checkCondition(scsi.SenseNotReady, 0x08, 0x00) }

// fixedSense encodes 18 bytes of current fixed-format sense data (SPC-4 4.5.3):
// response code 0x70, sense key, ADDITIONAL SENSE LENGTH 10, ASC and ASCQ.
func fixedSense(key, asc, ascq uint8) []byte {
	s := make([]byte, 18)
	s[0] = 0x70
	s[2] = key & 0x0F
	s[7] = 10
	s[12] = asc
	s[13] = ascq
	return s
}

// setFieldPointer fills the ILLEGAL REQUEST sense-key-specific bytes 15–17:
// SKSV, C/D (1 = the error is in the CDB) and the byte offset of the field.
func setFieldPointer(s []byte, inCDB bool, off uint16) {
	s[15] = 0x80
	if inCDB {
		s[15] |= 0x40
	}
	s[16] = byte(off >> 8)
	s[17] = byte(off)
}
