package testutil

import (
	"errors"
	"fmt"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// TypeCodes pins a transport's codes of the reservation types both ways:
// codes holds the code of each of pr.Types, in that order; from must give
// it, back must give the type again, and the code's String is the type's
// name. The zero code and pr.TypeNone map to each other, pr.TypeUnknown and
// any other non-type to the zero code, and every code of unknown (codes
// that name none of the six) back to pr.TypeUnknown.
func TypeCodes[C interface {
	~uint8
	fmt.Stringer
}](t *testing.T, codes []C, from func(pr.Type) C, back func(C) pr.Type, unknown ...C) {
	t.Helper()
	if len(codes) != len(pr.Types()) {
		t.Fatalf("%d codes for %d types", len(codes), len(pr.Types()))
	}
	for i, n := range pr.Types() {
		c := codes[i]
		if got := from(n); got != c {
			t.Errorf("code of %v = %d, want %d", n, got, c)
		}
		if got := back(c); got != n {
			t.Errorf("type of code %d = %v, want %v", c, got, n)
		}
		if c.String() != n.String() {
			t.Errorf("code %d is named %q, want %q", c, c, n)
		}
	}
	for _, n := range []pr.Type{pr.TypeNone, pr.TypeUnknown, 42} {
		if got := from(n); got != 0 {
			t.Errorf("code of the non-type %v = %d, want 0", n, got)
		}
	}
	if got := back(0); got != pr.TypeNone {
		t.Errorf("type of code 0 = %v, want none", got)
	}
	for _, c := range unknown {
		if got := back(c); got != pr.TypeUnknown {
			t.Errorf("type of code %d = %v, want unknown", c, got)
		}
	}
}

// prClasses are the error classes of internal/pr.
var prClasses = []error{pr.ErrReservationConflict, pr.ErrNotSupported, pr.ErrIllegalRequest,
	pr.ErrUnitAttention, pr.ErrRegistrationsPreempted, pr.ErrReservationsPreempted,
	pr.ErrReservationsReleased, pr.ErrNotReady, pr.ErrBusy, pr.ErrTransport, pr.ErrTimeout,
	pr.ErrAborted, pr.ErrMalformed, pr.ErrDevice, pr.ErrOutcomeUnknown, pr.ErrNoIdentity}

// Classes checks that err matches (errors.Is) every error class of
// internal/pr in want and no other.
func Classes(t *testing.T, err error, want ...error) {
	t.Helper()
	for _, c := range prClasses {
		is := false
		for _, w := range want {
			is = is || w == c
		}
		if got := errors.Is(err, c); got != is {
			t.Errorf("%v: errors.Is(%v) = %v, want %v", err, c, got, is)
		}
	}
}
