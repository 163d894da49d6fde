package arbitrate

import (
	"context"
	"errors"
	"fmt"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// take removes the unit's owners (PREEMPT AND ABORT for owners watched for
// W, plain PREEMPT for racers that never held it), makes sure a
// reservation of our type exists, and verifies.
func (u *unit) take(ctx context.Context, c *Config) (Outcome, error) {
	abort := u.acq.mode != modeFree
	for _, o := range u.acq.owners {
		out, err := u.preempt(ctx, c, o, abort)
		if err != nil || out != Acquired {
			return out, err
		}
		if abort {
			u.acq.displaced = true
			u.setAction("preempted")
			c.logf("acquire %s: preempted owner %v", u.name(), o)
		} else {
			c.logf("acquire %s: removed racer %v", u.name(), o)
		}
	}
	v, err := readView(ctx, c, u.dev())
	if err != nil {
		return Failed, fmt.Errorf("acquire %s: read after preempt: %w", u.name(), err)
	}
	if !v.heldBy(c.Key, c.Type) {
		if out, err := u.reserve(ctx, c, v); err != nil || out != Acquired {
			return out, err
		}
	}
	return u.verify(ctx, c)
}

// preempt removes the registrations of key o. It is sent once (PREEMPT is
// not idempotent); an error is resolved by reading the state: our key gone
// means another server removed us first (we lost), o gone and ours there
// means done.
func (u *unit) preempt(ctx context.Context, c *Config, o pr.Key, abort bool) (Outcome, error) {
	d := u.dev()
	send := func(ctx context.Context) error { return d.Preempt(ctx, c.Key, o, c.Type) }
	if abort {
		send = func(ctx context.Context) error { return d.PreemptAndAbort(ctx, c.Key, o, c.Type) }
	}
	err := command(ctx, c, send)
	if err != nil && abort && c.PreemptFallback && errors.Is(err, pr.ErrIllegalRequest) && !errors.Is(err, pr.ErrNotSupported) {
		c.logf("acquire %s: PREEMPT AND ABORT rejected (%v); falling back to PREEMPT", u.name(), err)
		err = command(ctx, c, func(ctx context.Context) error { return d.Preempt(ctx, c.Key, o, c.Type) })
	}
	if err == nil {
		return Acquired, nil
	}
	if permanent(err) {
		return Failed, describe(fmt.Sprintf("acquire %s: preempt %v", u.name(), o), err)
	}
	v, rerr := readView(ctx, c, d)
	switch {
	case rerr != nil:
		return Failed, fmt.Errorf("acquire %s: preempt %v: %w (state unreadable: %v)", u.name(), o, err, rerr)
	case !v.registered(c.Key):
		c.logf("acquire %s: preempt %v: %v, and our key is gone: another server won", u.name(), o, err)
		return LostRace, nil
	case !v.registered(o) && !(v.res.Present && v.res.Key == o):
		return Acquired, nil
	}
	return Failed, fmt.Errorf("acquire %s: preempt %v: %w", u.name(), o, err)
}

// reserve sends RESERVE; an error is resolved by reading the state.
func (u *unit) reserve(ctx context.Context, c *Config, v view) (Outcome, error) {
	if v.res.Present {
		c.logf("acquire %s: another server's reservation appeared: %v", u.name(), v)
		return LostRace, nil
	}
	err := command(ctx, c, func(ctx context.Context) error { return u.dev().Reserve(ctx, c.Key, c.Type) })
	if err == nil {
		u.setAction("reserved")
		return Acquired, nil
	}
	if permanent(err) {
		return Failed, describe(fmt.Sprintf("acquire %s: reserve %v", u.name(), c.Type), err)
	}
	w, rerr := readView(ctx, c, u.dev())
	switch {
	case rerr != nil:
		return Failed, fmt.Errorf("acquire %s: reserve %v: %w (state unreadable: %v)", u.name(), c.Type, err, rerr)
	case !w.registered(c.Key) || (w.res.Present && !w.heldBy(c.Key, c.Type)):
		c.logf("acquire %s: reserve: %v; another server won: %v", u.name(), err, w)
		return LostRace, nil
	case w.heldBy(c.Key, c.Type):
		u.setAction("reserved")
		return Acquired, nil
	}
	return Failed, fmt.Errorf("acquire %s: reserve %v: %w", u.name(), c.Type, err)
}

// verify checks that the unit is ours alone: our key registered, the
// reservation ours, no other key, no registration of our key through
// another initiator. A key that registered after our last read (a late
// racer; it will find our reservation and withdraw) gets RaceYield to
// withdraw (awaitWithdrawal) and is then removed with PREEMPT, in up to
// three rounds.
func (u *unit) verify(ctx context.Context, c *Config) (Outcome, error) {
	for round := 0; ; round++ {
		v, err := readView(ctx, c, u.dev())
		if err != nil {
			return Failed, fmt.Errorf("acquire %s: verify: %w", u.name(), err)
		}
		if !v.registered(c.Key) || !v.heldBy(c.Key, c.Type) {
			c.logf("acquire %s: verify: no longer ours: %v", u.name(), v)
			return LostRace, nil
		}
		if err := u.checkDuplicate(ctx, c, v); err != nil {
			return Failed, err
		}
		late := v.foreign(c.Key)
		if len(late) == 0 {
			if u.action() == "" {
				u.setAction("held")
			}
			return Acquired, nil
		}
		if round == 3 {
			return Failed, fmt.Errorf("acquire %s: verify: other keys %v keep registering: %v", u.name(), late, v)
		}
		if round == 0 && c.RaceYield > 0 {
			if err := u.awaitWithdrawal(ctx, c, late); err != nil {
				return Failed, err
			}
			continue
		}
		for _, k := range late {
			if out, err := u.preempt(ctx, c, k, false); err != nil || out != Acquired {
				return out, err
			}
			c.logf("acquire %s: removed late registrant %v", u.name(), k)
		}
	}
}

// awaitWithdrawal gives late registrants RaceYield to withdraw. A racer
// that registered after our first read stops when it sees our reservation
// and removes its own registration; a PREEMPT of its key sent at that same
// instant can deadlock the Linux target (LIO): the racer's REGISTER holds a
// reference on its registration while it waits for the LU's reservation
// lock, and our PREEMPT holds that lock while it waits for the reference to
// go (docs/fencing-race.md). So we wait first, and preempt only the keys
// that are still there after the wait.
func (u *unit) awaitWithdrawal(ctx context.Context, c *Config, late []pr.Key) error {
	c.logf("acquire %s: verify: late registrants %v: waiting %v for them to withdraw", u.name(), late, c.RaceYield)
	return c.sleep(ctx, c.RaceYield)
}

func (u *unit) setAction(a string) {
	for _, t := range u.paths {
		t.res.Action = a
	}
}

func (u *unit) action() string { return u.paths[0].res.Action }
