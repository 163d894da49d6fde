package fence

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/fence-scsi-go/fence_scsi_go/internal/clock"
	"github.com/fence-scsi-go/fence_scsi_go/internal/keys"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/texts"
)

// unit is one logical unit of the device set: the configured devices that
// name it, in configured order. PR commands go through the first one.
type unit struct {
	targets []*target
	lu      string
}

func (u *unit) t() *target { return u.targets[0] }

// units groups targets by logical unit in race order: the logical units
// with an identity sorted by it (every node computes the same order from
// the storage itself, whatever its local device names), then the others in
// configured order.
func (r *runner) units(targets []*target) []*unit {
	var us []*unit
	for _, g := range r.groupTargets(targets) {
		u := &unit{lu: targets[g[0]].lu}
		for _, i := range g {
			u.targets = append(u.targets, targets[i])
		}
		us = append(us, u)
	}
	sort.SliceStable(us, func(i, j int) bool {
		a, b := us[i].lu, us[j].lu
		if a == "" || b == "" {
			return a != "" && b == ""
		}
		return a < b
	})
	return us
}

// Off fences the node whose key is victim. It is the fencing race of
// docs/fencing-race.md: the logical units are decided in one order that
// every node derives from the storage, the first one alone; on each, a node
// that finds its own key gone has lost and stops without sending anything
// more; otherwise it sends PREEMPT AND ABORT (type 5, RK = own key, SARK =
// victim) and verifies that its key is there, the victim's is gone and a
// reservation exists (reserving a logical unit that has none). Only a
// winner of the first logical unit goes on to the others, concurrently.
//
// Off never registers the node's own key (fence_scsi HEAD does, which lets
// a node that has just been fenced come back and fence the winner).
//
// When the victim's key is on no device, Off sends no PREEMPT: it reports
// AlreadyOff once every logical unit has a reservation, reserving with the
// node's own key any that has registrations but none (an unfence killed
// between REGISTER and RESERVE), and fails where it cannot.
func Off(ctx context.Context, o Options, devices []string, victim pr.Key) (OffResult, error) {
	r := &runner{o: o.withDefaults()}
	targets, err := r.prepare(ctx, devices, false, true)
	if err != nil {
		return PoweredOff, err
	}
	defer r.finish(targets)
	us := r.units(targets)
	present := false
	for _, t := range targets {
		present = present || t.keys.Contains(victim)
	}
	if !present {
		return AlreadyOff, r.ctxErr(ctx, r.alreadyOff(ctx, us, victim))
	}
	host, err := r.o.Store.ReadKey()
	if err != nil {
		r.debug("reading %s: %v\n", r.o.Store.KeyFile, err)
		return PoweredOff, err
	}
	if host == victim {
		return PoweredOff, ErrSelfFence
	}
	return PoweredOff, r.ctxErr(ctx, r.race(ctx, us, host, victim))
}

// race decides us[0] alone, then the others concurrently; a lost unit
// cancels the units not yet started. Errors are reported in race order.
func (r *runner) race(ctx context.Context, us []*unit, host, victim pr.Key) error {
	if err := r.yield(ctx, us[0].t(), host, victim); err != nil {
		return err
	}
	first := r.offUnit(ctx, us[0], host, victim)
	if first.err != nil || first.failed {
		// Only a winner of the first logical unit goes on: a node that did
		// not remove the victim there has not won it.
		return summarize([]deviceResult{first})
	}
	results := make([]deviceResult, len(us))
	results[0] = first
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	forEach(len(us)-1, r.o.Parallelism, func(i int) {
		if rctx.Err() != nil {
			results[i+1] = deviceResult{err: errRaceStopped}
			return
		}
		results[i+1] = r.offUnit(rctx, us[i+1], host, victim)
		var lost *LostError
		if errors.As(results[i+1].err, &lost) {
			cancel()
		}
	})
	return summarizeRace(results)
}

// yield waits Options.RaceYield before the first logical unit when the
// victim has priority there: it holds the reservation, or no registrant
// of the two does and the victim's key is the lower. Both nodes of a race
// read the same reservation, so one of them goes at once and the other
// waits, then reads the keys again (offUnit) and stops if its own key has
// gone. The outcome does not depend on it (every interleaving is safe, see
// docs/fencing-race.md); it keeps two PREEMPTs naming each other from
// reaching one logical unit at the same instant, which deadlocks the Linux
// target (LIO) for good, and it makes the incumbent holder the winner.
func (r *runner) yield(ctx context.Context, t *target, host, victim pr.Key) error {
	if r.o.RaceYield <= 0 {
		return nil
	}
	res := t.res
	if res == nil || !t.keysCurrent {
		var err error
		if res, err = r.readReservation(ctx, t.dev); err != nil {
			return err
		}
	}
	if res.Present && res.Key == host {
		return nil
	}
	if !(res.Present && res.Key == victim) && host < victim {
		return nil
	}
	r.debug("the victim has priority on %s: waiting %s before preempting it\n", t.path, r.o.RaceYield)
	t.keysCurrent = false
	return clock.Sleep(ctx, r.o.RaceYield)
}

// summarizeRace prefers a LostError (the cause) to the units it stopped.
func summarizeRace(results []deviceResult) error {
	for _, res := range results {
		var lost *LostError
		if errors.As(res.err, &lost) {
			return res.err
		}
	}
	return summarize(results)
}

// offUnit runs the race step on one logical unit.
func (r *runner) offUnit(ctx context.Context, u *unit, host, victim pr.Key) deviceResult {
	t := u.t()
	kl := t.keys
	if !t.keysCurrent {
		var err error
		if kl, err = r.readKeys(ctx, t.dev); err != nil {
			return deviceResult{err: err}
		}
	}
	if !kl.Contains(host) {
		return deviceResult{err: &LostError{Device: t.path, Key: host}}
	}
	preempted := kl.Contains(victim)
	if preempted {
		if err := r.preemptVictim(ctx, t, host, victim); err != nil {
			return deviceResult{err: err}
		}
	}
	res := r.verifyOff(ctx, t, host, victim, preempted)
	if res.err != nil || res.failed {
		return res
	}
	return r.verifyOtherNames(ctx, u, victim)
}

// verifyOtherNames reads the keys through the unit's other configured
// names: they name the same logical unit, so the victim must be gone there
// too. A device whose identity only looked the same (a target that gives
// two logical units one designator) fails verification instead of staying
// unfenced unnoticed.
func (r *runner) verifyOtherNames(ctx context.Context, u *unit, victim pr.Key) deviceResult {
	for _, t := range u.targets[1:] {
		kl, err := r.readKeys(ctx, t.dev)
		if err != nil {
			return deviceResult{err: err}
		}
		if kl.Contains(victim) {
			r.debug(texts.RemoveFailedAlias, keys.Format(victim), t.path, u.t().path)
			return deviceResult{failed: true}
		}
	}
	return deviceResult{}
}

// preemptVictim sends PREEMPT AND ABORT. A RESERVATION CONFLICT means this
// I_T nexus is not registered: the node has lost if its key is gone from the
// logical unit, and is told to unfence again if the key is still there
// through another nexus (NexusError). It never registers its key here.
func (r *runner) preemptVictim(ctx context.Context, t *target, host, victim pr.Key) error {
	args := fmt.Sprintf("type 5, key %s, victim %s", keys.Format(host), keys.Format(victim))
	err := t.dev.PreemptAndAbort(ctx, host, victim, typeWERO)
	if errors.Is(err, pr.ErrIllegalRequest) && !errors.Is(err, pr.ErrNotSupported) {
		// tgt refuses PREEMPT AND ABORT as an invalid field (24/00) but
		// implements PREEMPT: the victim's registration goes all the same;
		// only its commands already queued are not aborted.
		r.debug("preempt-and-abort on %s refused (%v): sending PREEMPT\n", t.path, err)
		err = t.dev.Preempt(ctx, host, victim, typeWERO)
		args = "no abort, " + args
	}
	if !errors.Is(err, pr.ErrReservationConflict) {
		return r.prOut("preempt-and-abort", t.dev, args, err)
	}
	r.debug("preempt-and-abort on %s (%s): reservation conflict: this I_T nexus is not registered\n", t.path, args)
	return r.unregisteredNexus(ctx, t, host)
}

// holderPreempt copes with a target on which a preempt sent by the holder
// of a registrants-only reservation changes nothing but the reservation
// type, whatever key it names: the Linux NVMe target (nvmet_pr_preempt in
// drivers/nvme/target/pr.c), against NVMe Base 2.0 section 8.19 and SPC-4's
// PREEMPT rules, under which the victim's registrations go. It is a probe, not a
// vendor check: when the victim is still registered after preemptVictim and
// this node holds a registrants-only reservation, it preempts once with type
// WE-AR (every registrant could already write under WE-RO, so nobody gains
// access) and then preempts and aborts the victim, which such a target does
// apply under an all-registrants type. The logical unit is left WE-AR;
// releasing and reserving WE-RO again would leave it unreserved, open to
// the victim, in between. It reports whether it sent the two preempts;
// verifyOff then reads back again.
func (r *runner) holderPreempt(ctx context.Context, t *target, host, victim pr.Key) (bool, error) {
	res, err := r.readReservation(ctx, t.dev)
	if err != nil || !res.Present || res.Key != host || res.Type.AllRegistrants() {
		return false, err
	}
	r.debug(texts.HolderPreempt, keys.Format(victim), t.path, res.Type)
	for _, abort := range []bool{false, true} {
		op, f := "preempt", t.dev.Preempt
		if abort {
			op, f = "preempt-and-abort", t.dev.PreemptAndAbort
		}
		err := f(ctx, host, victim, pr.WEAR)
		if errors.Is(err, pr.ErrReservationConflict) {
			return false, r.unregisteredNexus(ctx, t, host)
		}
		args := fmt.Sprintf("type %v, key %s, victim %s", pr.WEAR, keys.Format(host), keys.Format(victim))
		if err := r.prOut(op, t.dev, args, err); err != nil {
			return false, err
		}
	}
	return true, nil
}

// unregisteredNexus tells why this I_T nexus is not registered: LostError
// when the key is gone from the logical unit, else NexusError.
func (r *runner) unregisteredNexus(ctx context.Context, t *target, host pr.Key) error {
	kl, err := r.readKeys(ctx, t.dev)
	if err != nil {
		return err
	}
	if !kl.Contains(host) {
		return &LostError{Device: t.path, Key: host}
	}
	return &NexusError{Device: t.path, Key: host}
}

// verifyOff is the read-back: host registered, victim gone, a reservation
// (created with host's key if the logical unit has none).
//
// When this node has just preempted the victim and still finds it, the
// holder's preempt may have been ignored (holderPreempt); once that is
// redone, the read-back starts again.
func (r *runner) verifyOff(ctx context.Context, t *target, host, victim pr.Key, preempted bool) deviceResult {
	kl, res, err := r.readStatus(ctx, t)
	if err != nil {
		return deviceResult{err: err}
	}
	if !kl.Contains(host) {
		return deviceResult{err: &LostError{Device: t.path, Key: host}}
	}
	if kl.Contains(victim) && preempted {
		redone, err := r.holderPreempt(ctx, t, host, victim)
		if err != nil {
			return deviceResult{err: err}
		}
		if redone {
			return r.verifyOff(ctx, t, host, victim, false)
		}
	}
	if kl.Contains(victim) {
		r.debug(texts.RemoveFailed, keys.Format(victim), t.path)
		return deviceResult{failed: true}
	}
	return r.ensureReservation(ctx, t, host, res)
}

// readStatus reads the keys, and the reservation as the same answer shows
// it, with one READ FULL STATUS (NVMe: one Reservation Report), where
// fence_scsi reads the keys and then the reservation: off's read-back, and
// the status read before off (Options.PrefetchReservation). res is nil
// when the device refused READ FULL STATUS (tgt answers INVALID FIELD IN
// CDB) or could not list every registration: then the keys come from READ
// KEYS and the reservation is read where it is needed, as fence_scsi
// does. A refusal is remembered for the rest of the process.
func (r *runner) readStatus(ctx context.Context, t *target) (*pr.KeyList, *pr.Reservation, error) {
	if !t.noFullStatus && !r.o.Memo.fullStatusRefused(t.path) {
		regs, err := t.dev.ReadRegistrations(ctx)
		switch {
		case err == nil && !regs.Partial:
			kl, res := regs.KeyList(), &regs.Reservation
			if r.debugging() {
				r.debug("registration keys on %s: %v\n", t.dev.Name(), kl.Keys)
			}
			r.debugReservation(t.dev, res)
			return kl, res, nil
		case err == nil:
			r.debug("read full status on %s: not every registration fits; reading the keys and the reservation\n", t.path)
		case errors.Is(err, pr.ErrIllegalRequest):
			t.noFullStatus = true
			r.o.Memo.refuseFullStatus(t.path)
			r.debug("read full status on %s refused (%v): reading the keys and the reservation\n", t.path, err)
		default:
			return nil, nil, r.keysError(t.dev, err)
		}
	}
	kl, err := r.readKeys(ctx, t.dev)
	return kl, nil, err
}

// ensureReservation reserves (type 5, host's key) a logical unit that has
// registrations but no reservation, and verifies a reservation exists. res
// is the reservation read with the keys just before, or nil: then it reads
// it.
func (r *runner) ensureReservation(ctx context.Context, t *target, host pr.Key, res *pr.Reservation) deviceResult {
	if res == nil {
		var err error
		if res, err = r.readReservation(ctx, t.dev); err != nil {
			return deviceResult{err: err}
		}
	}
	if res.Present {
		return deviceResult{}
	}
	r.debug("no reservation on %s: reserving with key %s\n", t.path, keys.Format(host))
	err := t.dev.Reserve(ctx, host, typeWERO)
	if errors.Is(err, pr.ErrReservationConflict) {
		return deviceResult{err: r.unregisteredNexus(ctx, t, host)}
	}
	if err := r.prOut("reserve", t.dev, "type 5, key "+keys.Format(host), err); err != nil {
		return deviceResult{err: err}
	}
	if res, err = r.readReservation(ctx, t.dev); err != nil {
		return deviceResult{err: err}
	}
	if !res.Present {
		r.debug(texts.NoReservation, t.path)
		return deviceResult{failed: true}
	}
	return deviceResult{}
}

// alreadyOff checks that the victim, whose key is on no device, cannot
// write: every logical unit must have a reservation. One without is
// reserved with this node's key when that key is registered there;
// otherwise Off fails (UnreservedError).
func (r *runner) alreadyOff(ctx context.Context, us []*unit, victim pr.Key) error {
	results := make([]deviceResult, len(us))
	var hostOnce sync.Once
	var host pr.Key
	var hostErr error
	forEach(len(us), r.o.Parallelism, func(i int) {
		t := us[i].t()
		res, err := r.readReservation(ctx, t.dev)
		if err != nil || res.Present {
			results[i] = deviceResult{err: err}
			return
		}
		hostOnce.Do(func() { host, hostErr = r.o.Store.ReadKey() })
		if hostErr != nil {
			r.debug("reading %s: %v\n", r.o.Store.KeyFile, hostErr)
			results[i] = deviceResult{err: &UnreservedError{Device: t.path, NoKey: true}}
			return
		}
		if !t.keys.Contains(host) || host == victim {
			results[i] = deviceResult{err: &UnreservedError{Device: t.path, Key: host}}
			return
		}
		results[i] = r.ensureReservation(ctx, t, host, res)
	})
	return summarize(results)
}
