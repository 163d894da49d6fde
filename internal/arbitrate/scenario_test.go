package arbitrate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

var scenarioTypes = []scsi.ReservationType{
	scsi.TypeWriteExclusiveAllRegistrants,  // the default
	scsi.TypeWriteExclusiveRegistrantsOnly, // fence_scsi's type
	scsi.TypeWriteExclusive,                // holder-only, single path
}

// forEach runs f for every target profile and reservation type.
func forEach(t *testing.T, f func(t *testing.T, q sim.Quirks, typ scsi.ReservationType)) {
	for _, p := range profiles {
		for _, typ := range scenarioTypes {
			t.Run(p.name+"/"+typ.String(), func(t *testing.T) { f(t, p.quirks, typ) })
		}
	}
}

// TestInconvenientCase is the "inconvenient case" of NEC's EXPRESSCLUSTER SCSI-PR write-up in memory: node1
// acquires and defends two LUNs; it freezes (its nexuses paused, its
// defender asleep) for longer than the wait window; node2 acquires; node1
// resumes, its writes are refused and its defender reports the loss in the
// first cycle after it wakes up.
func TestInconvenientCase(t *testing.T) {
	forEach(t, func(t *testing.T, q sim.Quirks, typ scsi.ReservationType) {
		lus := newLUs(q, 2)
		n1, n2 := newNode("node1", false, lus), newNode("node2", true, lus)
		mustAcquire(t, n1.cfg(t, key1, typ))
		checkOwner(t, lus, typ, "node1", key1, "node2")

		ctx := context.Background()
		block := make([]byte, sim.BlockSize)
		w1, w2 := lus[0].Connect("node1"), lus[0].Connect("node2") // the writers' paths
		if err := sim.WriteBlock(ctx, w1, 0, block); err != nil {
			t.Fatalf("node1 write while owning: %v", err)
		}
		var r2 Result
		var err2, inflight error
		n1.clk.hook = func(n int, d time.Duration) {
			if n != 2 { // node1 defends for two cycles, then freezes in its second sleep
				return
			}
			var resume []func()
			for _, lu := range lus {
				resume = append(resume, lu.Pause("node1"))
			}
			// The frozen writer's last write is queued in the target.
			done := make(chan error)
			go func() { done <- sim.WriteBlock(ctx, w1, 1, block) }()
			for i := 0; lus[0].Pending("node1") == 0; i++ {
				if i > 1000 {
					t.Fatal("node1's write never reached the paused nexus")
				}
				time.Sleep(time.Millisecond)
			}
			r2, err2 = Acquire(ctx, n2.cfg(t, key2, typ))
			for _, f := range resume {
				f()
			}
			inflight = <-done
		}
		err := Defend(ctx, n1.cfg(t, key1, typ), false)
		if err2 != nil || r2.Outcome != Acquired || !r2.Waited {
			t.Fatalf("node2 Acquire = %+v, %v; want acquired after waiting", r2, err2)
		}
		// node2 names the LUs in reverse: its path to the first LU in order.
		want := fmt.Sprintf("/dev/sd%c", 'b'+len(lus)-1-luOrder(t, lus)[0])
		if got := r2.Devices[0]; got.Name != want || !slices.Equal(got.Owners, []scsi.Key{key1}) || got.Action != "preempted" {
			t.Errorf("node2 first device = %+v; want %s (the first LU by identity) preempted from %v", got, want, key1)
		}
		if !errors.Is(err, ErrLost) {
			t.Fatalf("node1 Defend = %v; want ErrLost", err)
		}
		if n := n1.clk.count(); n != 2 {
			t.Errorf("node1 Defend slept %d times; want the loss found in the first cycle after resuming", n)
		}
		if !errors.Is(inflight, scsi.ErrAborted) {
			t.Errorf("node1's write queued during the freeze = %v; want aborted by PREEMPT AND ABORT", inflight)
		}
		if err := sim.WriteBlock(ctx, w1, 2, block); !errors.Is(err, scsi.ErrReservationConflict) {
			t.Errorf("node1 write after waking up = %v; want RESERVATION CONFLICT", err)
		}
		if err := sim.WriteBlock(ctx, w2, 2, block); err != nil {
			t.Errorf("node2 write after the takeover = %v", err)
		}
		checkOwner(t, lus, typ, "node2", key2, "node1")
		if err := Defend(ctx, n2.cfg(t, key2, typ), true); err != nil {
			t.Errorf("node2 Defend(once) after node1 woke up = %v; want held", err)
		}
	})
}

// TestLiveDefenderWins: while node1's defender runs, node2's Acquire sees
// the renewal during its wait, returns OwnerAlive (exit 3) and disturbs
// nothing; node1 never loses write access.
func TestLiveDefenderWins(t *testing.T) {
	forEach(t, func(t *testing.T, q sim.Quirks, typ scsi.ReservationType) {
		lus := newLUs(q, 2)
		n1, n2 := newNode("node1", false, lus), newNode("node2", true, lus)
		mustAcquire(t, n1.cfg(t, key1, typ))
		var defendErr error
		n2.clk.hook = func(int, time.Duration) {
			for _, lu := range lus {
				if !lu.MayWrite("node1") {
					t.Errorf("node1 lost write access during node2's wait")
				}
			}
			defendErr = Defend(context.Background(), n1.cfg(t, key1, typ), true)
		}
		if r, err := Acquire(context.Background(), n2.cfg(t, key2, typ)); err != nil || r.Outcome != OwnerAlive {
			t.Errorf("node2 Acquire = %v, %v; want owner alive", r.Outcome, err)
		}
		if defendErr != nil {
			t.Errorf("node1 Defend(once) during the wait = %v", defendErr)
		}
		checkOwner(t, lus, typ, "node1", key1, "node2")
	})
}

// TestRenewalAloneIsSeen: an owner that only renews (same-key REGISTER, no
// preempt of the challenger) is seen alive through PRgeneration, and the
// challenger withdraws its own fresh registration.
func TestRenewalAloneIsSeen(t *testing.T) {
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) {
			lus := newLUs(p.quirks, 1)
			n1, n2 := newNode("node1", false, lus), newNode("node2", false, lus)
			mustAcquire(t, n1.cfg(t, key1, defaultSCSI))
			n2.clk.hook = func(int, time.Duration) {
				if err := n1.devs[0].Register(context.Background(), key1, key1, pr.RegisterOptions{}); err != nil {
					t.Errorf("renewal: %v", err)
				}
			}
			r, err := Acquire(context.Background(), n2.cfg(t, key2, defaultSCSI))
			if err != nil || r.Outcome != OwnerAlive {
				t.Fatalf("Acquire = %v, %v; want owner alive", r.Outcome, err)
			}
			checkOwner(t, lus, defaultSCSI, "node1", key1, "node2")
		})
	}
}

// TestReleaseAndHandOver: a released set is taken at once, without waiting,
// and the old owner's late release or defend does not disturb the new owner.
func TestReleaseAndHandOver(t *testing.T) {
	forEach(t, func(t *testing.T, q sim.Quirks, typ scsi.ReservationType) {
		lus := newLUs(q, 2)
		n1, n2 := newNode("node1", false, lus), newNode("node2", true, lus)
		mustAcquire(t, n1.cfg(t, key1, typ))
		if err := Release(context.Background(), n1.cfg(t, key1, typ)); err != nil {
			t.Fatalf("node1 Release = %v", err)
		}
		for i, lu := range lus {
			if ks, rs := keysOn(lu), lu.ReservationState(); len(ks) != 0 || rs.Present {
				t.Fatalf("LU %d after release: keys %v, reservation %+v; want clean", i, ks, rs)
			}
		}
		r := mustAcquire(t, n2.cfg(t, key2, typ))
		if r.Waited || n2.clk.count() != 0 {
			t.Errorf("node2 waited on released LUs")
		}
		// A late release or defend by the old owner must not disturb node2.
		if err := Release(context.Background(), n1.cfg(t, key1, typ)); err != nil {
			t.Errorf("second release by node1 = %v", err)
		}
		if err := Defend(context.Background(), n1.cfg(t, key1, typ), true); !errors.Is(err, ErrLost) {
			t.Errorf("node1 Defend(once) after hand-over = %v; want ErrLost", err)
		}
		checkOwner(t, lus, typ, "node2", key2, "node1")
	})
}

// TestAcquireWithoutPR: a LUN that does not implement persistent
// reservations fails clearly, and the other LUN is left as it was.
func TestAcquireWithoutPR(t *testing.T) {
	lus := newLUs(sim.QuirkLIO, 2)
	for _, op := range []byte{0x5E, 0x5F} {
		lus[1].Inject("node1", sim.Fault{Kind: sim.FaultPRUnsupported, Count: -1, Opcodes: []byte{op}})
	}
	n1 := newNode("node1", false, lus)
	gen := lus[0].Generation()
	r, err := Acquire(context.Background(), n1.cfg(t, key1, defaultSCSI))
	if !errors.Is(err, ErrNoPR) || !strings.Contains(err.Error(), "/dev/sdc") || r.Outcome != Failed {
		t.Fatalf("Acquire = %v, %v; want ErrNoPR naming /dev/sdc", r.Outcome, err)
	}
	if ks := keysOn(lus[0]); len(ks) != 0 {
		t.Errorf("LU a keeps registrations %v after the failed acquire", ks)
	}
	// Nothing was sent to the good LU: every device answers PR IN first.
	if g := lus[0].Generation(); g != gen {
		t.Errorf("LU a's PR generation moved from %d to %d: a PR OUT reached it", gen, g)
	}
}

// TestPartialTakeRolledBack: node1 is dead; node2 preempts it on the first
// LU but its registration on the second LU fails. node2 keeps the first LU
// reserved (withdrawing would leave it unreserved to the fenced node1) and
// says so; the second LU keeps node1's registration, untouched.
func TestPartialTakeRolledBack(t *testing.T) {
	forEach(t, func(t *testing.T, q sim.Quirks, typ scsi.ReservationType) {
		lus := newLUs(q, 2)
		order := luOrder(t, lus)
		first, second := lus[order[0]], lus[order[1]]
		n1, n2 := newNode("node1", false, lus), newNode("node2", false, lus)
		mustAcquire(t, n1.cfg(t, key1, typ))
		n2.clk.hook = func(int, time.Duration) {
			second.Inject("node2", sim.Fault{Kind: sim.FaultTimeoutBefore, Count: 1, Opcodes: []byte{0x5F}})
		}
		r, err := Acquire(context.Background(), n2.cfg(t, key2, typ))
		name2 := n2.devs[order[1]].Name()
		if err == nil || r.Outcome != Failed || !strings.Contains(err.Error(), name2) || !strings.Contains(err.Error(), "kept") {
			t.Fatalf("Acquire = %v, %v; want a failure naming %s and the kept LU", r.Outcome, err, name2)
		}
		if ks, rs := keysOn(first), first.ReservationState(); !slices.Equal(ks, []scsi.Key{key2}) || !rs.Present {
			t.Errorf("first LU after the failure: keys %v, reservation %+v; want node2's, reserved (node1 fenced)", ks, rs)
		}
		if ks := keysOn(second); !slices.Equal(ks, []scsi.Key{key1}) {
			t.Errorf("second LU after the failure: keys %v; want node1's untouched", ks)
		}
		if second.MayWrite("node2") || !second.MayWrite("node1") || first.MayWrite("node1") {
			t.Errorf("node1 must keep the second LU only, node2 must not write it")
		}
		// If node1 was only frozen, its defender reports the loss.
		if err := Defend(context.Background(), n1.cfg(t, key1, typ), true); !errors.Is(err, ErrLost) {
			t.Errorf("node1 Defend(once) after the partial take = %v; want ErrLost", err)
		}
	})
}

// TestAcquireRegisterNotReady: LIO without its APTPL directory answers
// NOT READY to a REGISTER that took effect; Acquire checks the
// postcondition instead of failing.
func TestAcquireRegisterNotReady(t *testing.T) {
	lus := newLUs(sim.QuirkLIO|sim.QuirkAPTPLDirMissing, 2)
	n1 := newNode("node1", false, lus)
	mustAcquire(t, n1.cfg(t, key1, defaultSCSI))
	checkOwner(t, lus, defaultSCSI, "node1", key1)
}

// TestAcquireCancelledDuringWait: SIGTERM during the wait window (the
// cluster manager stopping the start) leaves no trace of the challenger.
func TestAcquireCancelledDuringWait(t *testing.T) {
	lus := newLUs(sim.QuirkLIO, 2)
	n1, n2 := newNode("node1", false, lus), newNode("node2", false, lus)
	mustAcquire(t, n1.cfg(t, key1, defaultSCSI))
	ctx, cancel := context.WithCancel(context.Background())
	n2.clk.hook = func(int, time.Duration) { cancel() }
	if r, err := Acquire(ctx, n2.cfg(t, key2, defaultSCSI)); err == nil || r.Outcome != Failed {
		t.Errorf("Acquire cancelled during the wait = %v, %v; want failed", r.Outcome, err)
	}
	checkOwner(t, lus, defaultSCSI, "node1", key1, "node2")
}

// TestPreemptAndAbortFallback: on a target without PREEMPT AND ABORT
// (tgt) the take fails unless PreemptFallback is set.
func TestPreemptAndAbortFallback(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		lus := newLUs(sim.QuirkTGT, 1)
		n1, n2 := newNode("node1", false, lus), newNode("node2", false, lus)
		mustAcquire(t, n1.cfg(t, key1, defaultSCSI))
		c := n2.cfg(t, key2, defaultSCSI)
		c.PreemptFallback = fallback
		r, err := Acquire(context.Background(), c)
		if got := r.Outcome == Acquired; got != fallback {
			t.Errorf("fallback %v: Acquire = %v, %v", fallback, r.Outcome, err)
		}
		if fallback {
			checkOwner(t, lus, defaultSCSI, "node2", key2, "node1")
		}
	}
}
