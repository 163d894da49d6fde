package scsi

import (
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/testutil"
)

// TestPRTypeCodes pins the SPC-4 TYPE code of every neutral type, both ways.
func TestPRTypeCodes(t *testing.T) {
	testutil.TypeCodes(t, []ReservationType{1, 3, 5, 6, 7, 8}, FromPR, ReservationType.PR, 2, 4, 9, 15)
}

// TestPRErrorClasses: a SCSI error matches pr's class sentinels, which are
// the scsi sentinels themselves.
func TestPRErrorClasses(t *testing.T) {
	conflict := &Error{Op: "reserve", Class: ErrReservationConflict, Status: StatusReservationConflict}
	testutil.Classes(t, conflict, pr.ErrReservationConflict)
	ua := &Error{Op: "register", Class: ErrUnitAttention, Sense: &Sense{Key: SenseUnitAttention, ASC: 0x2A, ASCQ: 0x05}}
	testutil.Classes(t, ua, pr.ErrUnitAttention, pr.ErrRegistrationsPreempted)
	invalid := &Error{Op: "preempt-and-abort", Class: ErrIllegalRequest, Sense: &Sense{Key: SenseIllegalRequest, ASC: 0x24}}
	testutil.Classes(t, invalid, pr.ErrIllegalRequest)
	opcode := &Error{Op: "read-keys", Class: ErrNotSupported, Sense: &Sense{Key: SenseIllegalRequest, ASC: 0x20}}
	testutil.Classes(t, opcode, pr.ErrNotSupported, pr.ErrIllegalRequest)
	lost := &Error{Op: "preempt", Class: ErrTimeout, OutcomeUnknown: true}
	testutil.Classes(t, lost, pr.ErrTimeout, pr.ErrOutcomeUnknown)
	testutil.Classes(t, ErrNoIdentity, pr.ErrNoIdentity)
}
