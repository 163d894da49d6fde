package scsi

import (
	"errors"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// TestPRTypeCodes pins the SPC-4 TYPE code of every neutral type, both ways.
func TestPRTypeCodes(t *testing.T) {
	golden := []struct {
		n    pr.Type
		code ReservationType
		name string
	}{
		{pr.WE, 1, "WE"}, {pr.EA, 3, "EA"}, {pr.WERO, 5, "WE-RO"},
		{pr.EARO, 6, "EA-RO"}, {pr.WEAR, 7, "WE-AR"}, {pr.EAAR, 8, "EA-AR"},
	}
	if len(golden) != len(pr.Types()) {
		t.Fatalf("%d golden rows for %d types", len(golden), len(pr.Types()))
	}
	for _, g := range golden {
		if got := FromPR(g.n); got != g.code {
			t.Errorf("FromPR(%v) = %d, want %d", g.n, got, g.code)
		}
		if got := g.code.PR(); got != g.n {
			t.Errorf("ReservationType(%d).PR() = %v, want %v", g.code, got, g.n)
		}
		if g.n.String() != g.name || g.code.String() != g.name {
			t.Errorf("names %q / %q, want %q", g.n, g.code, g.name)
		}
	}
	if FromPR(pr.TypeNone) != 0 || FromPR(pr.TypeUnknown) != 0 || FromPR(pr.Type(42)) != 0 {
		t.Error("a non-type must map to TYPE 0")
	}
	if ReservationType(0).PR() != pr.TypeNone {
		t.Error("TYPE 0 must map to pr.TypeNone")
	}
	for _, c := range []ReservationType{2, 4, 9, 15} {
		if c.PR() != pr.TypeUnknown {
			t.Errorf("TYPE %d.PR() = %v, want unknown", c, c.PR())
		}
	}
}

// TestPRErrorClasses: a SCSI error matches pr's class sentinels, which are
// the scsi sentinels themselves.
func TestPRErrorClasses(t *testing.T) {
	conflict := &Error{Op: "reserve", Class: ErrReservationConflict, Status: StatusReservationConflict}
	ua := &Error{Op: "register", Class: ErrUnitAttention, Sense: &Sense{Key: SenseUnitAttention, ASC: 0x2A, ASCQ: 0x05}}
	invalid := &Error{Op: "preempt-and-abort", Class: ErrIllegalRequest, Sense: &Sense{Key: SenseIllegalRequest, ASC: 0x24}}
	opcode := &Error{Op: "read-keys", Class: ErrNotSupported, Sense: &Sense{Key: SenseIllegalRequest, ASC: 0x20}}
	lost := &Error{Op: "preempt", Class: ErrTimeout, OutcomeUnknown: true}
	cases := []struct {
		err  error
		want []error
		not  []error
	}{
		{conflict, []error{pr.ErrReservationConflict}, []error{pr.ErrIllegalRequest, pr.ErrOutcomeUnknown}},
		{ua, []error{pr.ErrUnitAttention, pr.ErrRegistrationsPreempted}, []error{pr.ErrReservationsPreempted}},
		{invalid, []error{pr.ErrIllegalRequest}, []error{pr.ErrNotSupported}},
		{opcode, []error{pr.ErrNotSupported, pr.ErrIllegalRequest}, nil},
		{lost, []error{pr.ErrTimeout, pr.ErrOutcomeUnknown}, []error{pr.ErrReservationConflict}},
		{ErrNoIdentity, []error{pr.ErrNoIdentity}, nil},
	}
	for _, c := range cases {
		for _, w := range c.want {
			if !errors.Is(c.err, w) {
				t.Errorf("%v does not match %v", c.err, w)
			}
		}
		for _, w := range c.not {
			if errors.Is(c.err, w) {
				t.Errorf("%v matches %v", c.err, w)
			}
		}
	}
}
