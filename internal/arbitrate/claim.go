package arbitrate

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// mode is what a unit looked like at the first read of prepare.
type mode int

const (
	modeFree  mode = iota // no registration of another key, no reservation
	modeHeld              // reserved by us, no other key
	modeOwned             // another key registered or holding
)

// unitState is Acquire's working state for one unit.
type unitState struct {
	mode      mode
	s0, s1    view     // before and after our registration
	owners    []pr.Key // foreign keys to remove when taking
	needWait  bool     // an owner not yet proven silent: watch for W
	waited    bool     // the owners were watched for W and stayed silent
	displaced bool     // we preempted a previous owner here
}

// lostOutcome is the outcome when our key vanished or another server's
// reservation appeared: on a free LU a racer won, on an owned one the owner
// (or another challenger) is alive.
func (u *unit) lostOutcome() Outcome {
	if u.acq.mode == modeFree {
		return LostRace
	}
	return OwnerAlive
}

// prepare reads the unit, refuses a duplicated key, registers our key
// through every path and classifies what it sees. Owners in silent were
// already watched for W on the first LU and stayed silent.
func (u *unit) prepare(ctx context.Context, c *Config, silent []pr.Key) (Outcome, error) {
	s := &u.acq
	var err error
	if s.s0, err = readView(ctx, c, u.dev()); err != nil {
		return Failed, describe("acquire "+u.name()+": read state", err)
	}
	if s.mode, err = u.classify(c); err != nil {
		return Failed, err
	}
	if err := u.probeOwn(ctx, c); err != nil {
		return Failed, err
	}
	known := s.s0.count(c.Key) // registrations of our key, all ours (probeOwn)
	for _, t := range u.paths {
		if err := u.register(ctx, c, t, &known); err != nil {
			return Failed, err
		}
	}
	if s.s1, err = readView(ctx, c, u.dev()); err != nil {
		return Failed, fmt.Errorf("acquire %s: snapshot: %w", u.name(), err)
	}
	c.logf("acquire %s: %v", u.name(), s.s1)
	if err := u.checkDuplicate(ctx, c, s.s1); err != nil {
		return Failed, err
	}
	if !s.s1.registered(c.Key) {
		c.logf("acquire %s: our key %v was removed by another server", u.name(), c.Key)
		return u.lostOutcome(), nil
	}
	if !s.s0.othersSame(s.s1, c.Key) {
		if s.mode != modeFree || s.s1.res.Present {
			c.logf("acquire %s: another server is active: before %v; after %v", u.name(), s.s0, s.s1)
			return u.lostOutcome(), nil
		}
		c.logf("acquire %s: racing %v for a free LU", u.name(), s.s1.foreign(c.Key))
		if out, err := u.yieldToRacers(ctx, c); err != nil || out != Acquired {
			return out, err
		}
	}
	s.owners = s.s1.foreign(c.Key)
	s.needWait = s.mode != modeFree && len(s.owners) > 0 &&
		slices.ContainsFunc(s.owners, func(k pr.Key) bool { return !slices.Contains(silent, k) })
	for _, t := range u.paths {
		t.res.Owners = s.owners
	}
	return Acquired, nil
}

// classify tells the mode of the unit from the first read.
func (u *unit) classify(c *Config) (mode, error) {
	s0 := u.acq.s0
	switch {
	case len(s0.foreign(c.Key)) > 0:
		return modeOwned, nil
	case !s0.res.Present:
		return modeFree, nil
	case s0.heldBy(c.Key, c.Type):
		return modeHeld, nil
	}
	return modeFree, fmt.Errorf("acquire %s: holds a %v reservation but %v is configured; release it first",
		u.name(), s0.res.Type, c.Type)
}

// yieldToRacers: two servers that register on a free LU at once would
// PREEMPT each other, and two PREEMPTs naming each other at one instant
// deadlock the Linux target, LIO, for good (docs/fencing-race.md). The
// server with the lower key goes on at once; the other waits RaceYield and
// reads again: our key gone or a reservation there means the lower key
// won (LostRace); otherwise (the racer withdrew, or is dead or slow) it
// goes on with what it sees now.
func (u *unit) yieldToRacers(ctx context.Context, c *Config) (Outcome, error) {
	s := &u.acq
	lower := slices.ContainsFunc(s.s1.foreign(c.Key), func(k pr.Key) bool { return k < c.Key })
	if c.RaceYield <= 0 || !lower {
		return Acquired, nil
	}
	c.logf("acquire %s: a racer with a lower key has priority: waiting %v", u.name(), c.RaceYield)
	if err := c.sleep(ctx, c.RaceYield); err != nil {
		return Failed, err
	}
	v, err := readView(ctx, c, u.dev())
	if err != nil {
		return Failed, fmt.Errorf("acquire %s: re-read after yielding: %w", u.name(), err)
	}
	if !v.registered(c.Key) || v.res.Present {
		c.logf("acquire %s: the racer won: %v", u.name(), v)
		return LostRace, nil
	}
	s.s1 = v
	return Acquired, nil
}

// register registers our key through t with REGISTER AND IGNORE EXISTING
// KEY, unless probeOwn found it registered already; known counts the
// registrations of our key on the unit. An error other than a permanent one
// is resolved by reading the state: one more registration of our key means
// it took effect (LIO without its APTPL directory answers NOT READY to a
// registration that took effect); checkDuplicate then counts them all.
func (u *unit) register(ctx context.Context, c *Config, t *target, known *int) error {
	if t.had {
		return nil
	}
	name := t.d.Name()
	t.added = true
	err := command(ctx, c, func(ctx context.Context) error {
		return t.d.RegisterAndIgnore(ctx, c.Key, pr.RegisterOptions{})
	})
	switch {
	case err == nil:
		*known++
		return nil
	case errors.Is(err, pr.ErrReservationConflict):
		return fmt.Errorf("acquire %s: register: %w (an SPC-2 RESERVE is held on the LUN)", name, err)
	case permanent(err):
		return describe("acquire "+name+": register", err)
	}
	if v, rerr := readView(ctx, c, u.dev()); rerr == nil && v.count(c.Key) > *known {
		c.logf("acquire %s: register answered %v, but %v is registered", name, err, c.Key)
		*known++
		return nil
	}
	return fmt.Errorf("acquire %s: register: %w", name, err)
}

// renew is REGISTER with RK = SARK = our key: GOOD only through a nexus that
// is registered with our key (SPC-4 5.14.7: otherwise RESERVATION CONFLICT);
// it changes nothing but PRgeneration.
func (t *target) renew(ctx context.Context, c *Config) error {
	return command(ctx, c, func(ctx context.Context) error {
		return t.d.Register(ctx, c.Key, c.Key, pr.RegisterOptions{})
	})
}

// probeOwn finds out, when our key is already registered on the unit,
// through which of our nexuses: a registration of our key through none of
// them belongs to another initiator.
func (u *unit) probeOwn(ctx context.Context, c *Config) error {
	n := u.acq.s0.count(c.Key)
	if n == 0 {
		return nil
	}
	mine := 0
	for _, t := range u.paths {
		err := t.renew(ctx, c)
		switch {
		case err == nil:
			t.had = true
			mine++
		case !errors.Is(err, pr.ErrReservationConflict):
			return describe("acquire "+t.d.Name()+": check own registration", err)
		}
	}
	if n > mine {
		return u.duplicate(ctx, c, n, mine)
	}
	return nil
}

// checkDuplicate refuses v when more registrations carry our key than we
// have paths to the unit (on SCSI each path is one I_T nexus, registered
// once; on NVMe a host is one registration whatever its paths): the others
// are another initiator's. The detailed registration list (READ FULL
// STATUS, NVMe Reservation Report) counts them; the key list stands in when
// the device does not support it.
func (u *unit) checkDuplicate(ctx context.Context, c *Config, v view) error {
	n := v.count(c.Key)
	var regs *pr.Registrations
	err := command(ctx, c, func(ctx context.Context) (err error) {
		regs, err = u.dev().ReadRegistrations(ctx)
		return err
	})
	if err == nil && !regs.Partial {
		n = 0
		for _, r := range regs.List {
			if r.Key == c.Key {
				n++
			}
		}
	}
	if n > len(u.paths) {
		return u.duplicate(ctx, c, n, len(u.paths))
	}
	return nil
}

// duplicate builds the ErrDuplicateKey refusal, naming the initiators
// (SCSI TransportIDs, NVMe Host Identifiers) registered with our key.
func (u *unit) duplicate(ctx context.Context, c *Config, n, mine int) error {
	var who []string
	var regs *pr.Registrations
	err := command(ctx, c, func(ctx context.Context) (err error) {
		regs, err = u.dev().ReadRegistrations(ctx)
		return err
	})
	if err == nil {
		for _, r := range regs.List {
			if r.Key == c.Key {
				who = append(who, r.Initiator)
			}
		}
	}
	return fmt.Errorf("acquire %s: %w: key %v is registered through %d I_T nexuses, only %d of them this server's paths (initiators %v); give every server its own key",
		u.name(), ErrDuplicateKey, c.Key, n, mine, who)
}

// recheck compares the unit after the wait with the snapshot: any change
// (a renewal advances PRgeneration) means the owner is alive.
func (u *unit) recheck(ctx context.Context, c *Config) (Outcome, error) {
	v, err := readView(ctx, c, u.dev())
	if err != nil {
		return Failed, fmt.Errorf("acquire %s: re-read after wait: %w", u.name(), err)
	}
	if !v.same(u.acq.s1) {
		c.logf("acquire %s: owner alive: before %v; after %v", u.name(), u.acq.s1, v)
		return OwnerAlive, nil
	}
	u.acq.waited = true
	return Acquired, nil
}
