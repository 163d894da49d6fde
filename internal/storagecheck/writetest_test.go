package storagecheck

import (
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

func pristine(t *testing.T, lu *sim.LU) {
	t.Helper()
	if regs, res := lu.Registrations(), lu.ReservationState(); len(regs) != 0 || res.Present {
		t.Fatalf("LU not as it began: registrations %+v, reservation %+v", regs, res)
	}
}

func TestWriteTestTwoPaths(t *testing.T) {
	for _, q := range []sim.Quirks{sim.QuirkNone, sim.QuirkLIO} {
		lu := sim.NewLU(sim.WithQuirks(q))
		tg := Target{Name: "/dev/mapper/mpatha", Paths: []Path{path(lu, 1, 1), path(lu, 1, 2)}}
		r := WriteTest(ctx, tg)
		if !r.OK || !r.Ran || !r.Restored || r.Error != "" || len(r.Steps) != 5 {
			t.Fatalf("quirks %#x: %+v", q, r)
		}
		if !contains(r.Steps[2], "PREEMPT AND ABORT removed 0x5343524154434801") {
			t.Errorf("steps %q", r.Steps)
		}
		pristine(t, lu)
		if lu.Generation() == 0 {
			t.Error("no PR OUT reached the LU")
		}
	}
}

func TestWriteTestOnePath(t *testing.T) {
	lu := sim.NewLU()
	r := WriteTest(ctx, Target{Name: "/dev/sdd", Paths: []Path{path(lu, 1, 1)}})
	if !r.OK || !contains(r.Steps[2], "one path only") {
		t.Fatalf("%+v", r)
	}
	pristine(t, lu)
}

func TestWriteTestRefusesRegisteredLU(t *testing.T) {
	lu := sim.NewLU()
	unfence(t, lu, 2, 1, key2, false) // another node's registration, no reservation
	gen := lu.Generation()
	r := WriteTest(ctx, Target{Name: "/dev/sdd", Paths: []Path{path(lu, 1, 1), path(lu, 1, 2)}})
	if r.OK || r.Ran || !contains(r.Error, "refused") {
		t.Fatalf("%+v", r)
	}
	if lu.Generation() != gen || len(lu.Registrations()) != 1 || lu.Registrations()[0].Key != key2 {
		t.Fatal("a refused write test changed the LU")
	}
}

// A failure in the middle (PREEMPT AND ABORT not implemented, tgt) is
// cleaned up: both scratch keys and the reservation are gone.
func TestWriteTestCleanupAfterRejectedPreempt(t *testing.T) {
	lu := sim.NewLU(sim.WithQuirks(sim.QuirkNoPreemptAndAbort))
	r := WriteTest(ctx, Target{Name: "/dev/sdd", Paths: []Path{path(lu, 1, 1), path(lu, 1, 2)}})
	if r.OK || !r.Ran || !contains(r.Error, "preempt and abort") || !r.Restored || len(r.Cleanup) != 2 {
		t.Fatalf("%+v", r)
	}
	pristine(t, lu)
}

// A PR OUT that executed but whose answer was lost (injected timeout after
// execution) on the second path: the clean-up removes what it left.
func TestWriteTestCleanupAfterLostAnswer(t *testing.T) {
	lu := sim.NewLU()
	lu.Inject(nx(1, 2), sim.Fault{Kind: sim.FaultTimeoutAfter, Count: 1, Opcodes: []byte{0x5F}})
	r := WriteTest(ctx, Target{Name: "/dev/sdd", Paths: []Path{path(lu, 1, 1), path(lu, 1, 2)}})
	if r.OK || !r.Ran || !contains(r.Error, "register 0x5343524154434802") || !r.Restored {
		t.Fatalf("%+v", r)
	}
	if !contains(r.Cleanup[0], "unregistered 0x5343524154434801") || !contains(r.Cleanup[1], "unregistered 0x5343524154434802") {
		t.Errorf("cleanup %q", r.Cleanup)
	}
	pristine(t, lu)
}

// When the clean-up itself fails the result says the LU is not as it began.
func TestWriteTestCleanupFails(t *testing.T) {
	lu := sim.NewLU()
	lu.Inject(nx(1, 2), sim.Fault{Kind: sim.FaultTimeoutAfter, Count: -1, Opcodes: []byte{0x5F}})
	r := WriteTest(ctx, Target{Name: "/dev/sdd", Paths: []Path{path(lu, 1, 1), path(lu, 1, 2)}})
	if r.OK || r.Restored || len(r.Cleanup) != 3 || !contains(r.Cleanup[1], "failed") || !contains(r.Cleanup[2], "NOT as it began") {
		t.Fatalf("%+v", r)
	}
	if regs := lu.Registrations(); len(regs) != 1 || regs[0].Key != ScratchKey|2 {
		t.Fatalf("registrations %+v", regs)
	}
}
