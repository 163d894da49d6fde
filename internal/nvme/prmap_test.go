package nvme

import (
	"errors"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// TestPRTypeCodes pins the RTYPE of every neutral type, both ways, and
// that both transports' codes name the same type.
func TestPRTypeCodes(t *testing.T) {
	golden := []struct {
		n     pr.Type
		rtype ReservationType
		scsi  uint8
	}{
		{pr.WE, 1, 1}, {pr.EA, 2, 3}, {pr.WERO, 3, 5}, {pr.EARO, 4, 6}, {pr.WEAR, 5, 7}, {pr.EAAR, 6, 8},
	}
	if len(golden) != len(pr.Types()) {
		t.Fatalf("%d golden rows for %d types", len(golden), len(pr.Types()))
	}
	for _, g := range golden {
		if got := FromPR(g.n); got != g.rtype {
			t.Errorf("FromPR(%v) = %d, want %d", g.n, got, g.rtype)
		}
		if got := g.rtype.PR(); got != g.n {
			t.Errorf("RTYPE %d .PR() = %v, want %v", g.rtype, got, g.n)
		}
		if g.rtype.SCSIType() != g.scsi || g.rtype.String() != g.n.String() {
			t.Errorf("RTYPE %d: SCSI %d name %q, want %d %q", g.rtype, g.rtype.SCSIType(), g.rtype, g.scsi, g.n)
		}
	}
	if FromPR(pr.TypeNone) != TypeNone || FromPR(pr.TypeUnknown) != TypeNone {
		t.Error("a non-type must map to RTYPE 0")
	}
	if ReservationType(0).PR() != pr.TypeNone || ReservationType(7).PR() != pr.TypeUnknown {
		t.Error("RTYPE 0 must be none, 7 unknown")
	}
}

// TestPRErrorClasses maps completion statuses to pr's classes
// (docs/nvme.md, "Status codes and error classes").
func TestPRErrorClasses(t *testing.T) {
	all := []error{pr.ErrReservationConflict, pr.ErrNotSupported, pr.ErrIllegalRequest,
		pr.ErrRegistrationsPreempted, pr.ErrNotReady, pr.ErrBusy, pr.ErrAborted, pr.ErrTransport,
		pr.ErrDevice, pr.ErrUnitAttention}
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
		e := &Error{Op: "x", Status: c.st, Completed: true, Class: ClassifyStatus(c.st)}
		for _, s := range all {
			want := false
			for _, w := range c.want {
				want = want || w == s
			}
			if got := errors.Is(e, s); got != want {
				t.Errorf("status %v: errors.Is(%v) = %v, want %v", c.st, s, got, want)
			}
		}
	}
	// ENOTTY (not an NVMe namespace) is not supported, but not an illegal request.
	e := &Error{Op: "open", Class: ErrNotSupported}
	if !errors.Is(e, pr.ErrNotSupported) || errors.Is(e, pr.ErrIllegalRequest) {
		t.Errorf("ENOTTY error: not supported %v, illegal request %v", errors.Is(e, pr.ErrNotSupported), errors.Is(e, pr.ErrIllegalRequest))
	}
	lost := &Error{Op: "preempt", Class: pr.ErrTimeout, OutcomeUnknown: true}
	if !errors.Is(lost, pr.ErrOutcomeUnknown) || !errors.Is(lost, pr.ErrTimeout) {
		t.Error("a lost reply must match pr.ErrOutcomeUnknown and pr.ErrTimeout")
	}
}
