package nvme

import (
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/testutil"
)

// TestPRTypeCodes pins the RTYPE of every neutral type, both ways, and
// that both transports' codes name the same type.
func TestPRTypeCodes(t *testing.T) {
	testutil.TypeCodes(t, []ReservationType{1, 2, 3, 4, 5, 6}, FromPR, ReservationType.PR, 7, 0xFF)
	for i, scsi := range []uint8{1, 3, 5, 6, 7, 8} {
		if rt := FromPR(pr.Types()[i]); rt.SCSIType() != scsi {
			t.Errorf("RTYPE %d: SCSI TYPE %d, want %d", rt, rt.SCSIType(), scsi)
		}
	}
}

// TestPRErrorClasses maps completion statuses to pr's classes
// (docs/nvme.md, "Status codes and error classes").
func TestPRErrorClasses(t *testing.T) {
	cases := []struct {
		st   Status
		want []error
	}{
		{StatusReservationConflict | StatusDNR, []error{pr.ErrReservationConflict}},
		{StatusInvalidOpcode | StatusDNR, []error{pr.ErrNotSupported, pr.ErrIllegalRequest}},
		{StatusInvalidField | StatusDNR, []error{pr.ErrIllegalRequest}},
		{StatusHostIDInconsistent, []error{pr.ErrIllegalRequest}},
		{StatusAbortedPreemptAbort, []error{pr.ErrRegistrationsPreempted, pr.ErrAborted}},
		{StatusNamespaceNotReady, []error{pr.ErrNotReady}},
		{StatusCommandInterrupted, []error{pr.ErrBusy}},
		{StatusTransientTransport, []error{pr.ErrTransport}},
		{StatusInternalError, []error{pr.ErrDevice}},
	}
	for _, c := range cases {
		testutil.Classes(t, &Error{Op: "x", Status: c.st, Completed: true, Class: ClassifyStatus(c.st)}, c.want...)
	}
	// ENOTTY (not an NVMe namespace) is not supported, but not an illegal request.
	testutil.Classes(t, &Error{Op: "open", Class: ErrNotSupported}, pr.ErrNotSupported)
	lost := &Error{Op: "preempt", Class: pr.ErrTimeout, OutcomeUnknown: true}
	testutil.Classes(t, lost, pr.ErrTimeout, pr.ErrOutcomeUnknown)
}
