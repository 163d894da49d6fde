package arbitrate

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// Outcome is what Acquire achieved.
type Outcome int

// Acquire outcomes.
const (
	Failed     Outcome = iota // nothing taken; see the error (kept takes are named in it)
	Acquired                  // every device reserved by our key, our key alone registered
	OwnerAlive                // a foreign owner was active during the wait; nothing disturbed
	LostRace                  // another server took the first LU first; nothing of it disturbed
)

func (o Outcome) String() string {
	return [...]string{"failed", "acquired", "owner alive", "lost the race"}[o]
}

// DeviceResult is what Acquire found and did on one device.
type DeviceResult struct {
	Name string
	// Owners are the foreign keys found after our registration (holder first).
	Owners []pr.Key
	// Action is "held", "reserved", "preempted", or "" when nothing was taken.
	Action string
}

// Result is the outcome of Acquire, with the devices in processing order.
type Result struct {
	Outcome Outcome
	Devices []DeviceResult
	// Waited is set when a wait window was observed.
	Waited bool
}

// ErrNoPR is matched when a device does not implement persistent
// reservations (SCSI ILLEGAL REQUEST 20/00 or SG_IO refused by the driver;
// NVMe Invalid Command Opcode, or not an NVMe namespace).
var ErrNoPR = pr.ErrNotSupported

// ErrDuplicateKey is matched when our key is registered through an I_T
// nexus that is not one of ours: another server is configured with the
// same key (docs/arbitration.md, "Duplicated keys").
var ErrDuplicateKey = errors.New("key registered by another initiator")

// target is one configured device (one I_T nexus) during Acquire.
type target struct {
	d     pr.Device
	res   *DeviceResult
	had   bool // our key was registered through this nexus before Acquire
	added bool // Acquire registered our key through this nexus
}

// Acquire is the attacker. The devices are grouped by LU and the LUs put
// in one order that every node computes alike (VPD 0x83 identity). The
// first LU is decided alone, and only a winner there goes on to the others
// (concurrently). On each LU Acquire registers, and
//   - on a free LU, takes it at once; a key that appeared since the first
//     read is a racer: if it reserved first we lost (LostRace), otherwise
//     we remove it with PREEMPT, and whoever's PREEMPT lands first wins;
//   - on an owned LU, watches it for cfg.Wait without sending PR OUT; an
//     owner that renewed wins (OwnerAlive, our registrations withdrawn), a
//     silent one is preempted with PREEMPT AND ABORT.
//
// A server that finds its own key gone, or a reservation it did not see
// before, has lost: it stops and never re-registers. Our key registered
// through a nexus that is not ours is refused (ErrDuplicateKey). On failure
// Acquire withdraws only its own fresh registrations, and keeps the LUs on
// which it displaced a previous owner (never leaving them unreserved).
func Acquire(ctx context.Context, cfg Config) (Result, error) {
	c := &cfg
	if err := c.Validate(); err != nil {
		return Result{}, err
	}
	us, err := units(ctx, c)
	if err != nil {
		return Result{}, err
	}
	a := &acquisition{c: c, units: us}
	for _, u := range us {
		for _, t := range u.paths {
			a.r.Devices = append(a.r.Devices, DeviceResult{Name: t.d.Name()})
		}
	}
	i := 0
	for _, u := range us {
		for _, t := range u.paths {
			t.res = &a.r.Devices[i]
			i++
		}
	}
	out, err := a.run(ctx)
	if err != nil || out != Acquired {
		kept := a.rollback(ctx)
		if err != nil && len(kept) > 0 {
			err = fmt.Errorf("%w; kept %v (their previous owner was preempted): run release to give them up", err, kept)
		}
		for i := range a.r.Devices {
			a.r.Devices[i].Action = ""
		}
		if err != nil {
			out = Failed
		}
	}
	a.r.Outcome = out
	return a.r, err
}

// acquisition is one Acquire run.
type acquisition struct {
	c     *Config
	units []*unit
	r     Result
	mu    sync.Mutex // guards r.Waited
}

// run decides the first LU alone, then the others together, then checks
// that every LU (the first one too) is still ours.
func (a *acquisition) run(ctx context.Context) (Outcome, error) {
	// Every device must answer PR IN before any PR OUT is sent to any of
	// them: a device without PR support fails here, leaving no trace.
	for _, u := range a.units {
		if _, err := readView(ctx, a.c, u.dev()); err != nil {
			return Failed, describe("acquire "+u.name()+": read state", err)
		}
	}
	first := a.units[0]
	if out, err := a.phase(ctx, a.units[:1], nil, nil); err != nil || out != Acquired {
		return out, err
	}
	var silent []pr.Key // owners of the first LU proven silent for W
	if first.acq.waited {
		silent = first.acq.owners
	}
	if out, err := a.phase(ctx, a.units[1:], silent, a.units[:1]); err != nil || out != Acquired {
		return out, err
	}
	return a.each(a.units, func(u *unit) (Outcome, error) { return u.verify(ctx, a.c) })
}

// phase takes the units us together: prepare, one shared wait window if
// any unit needs it (renewing the units in hold meanwhile), take.
func (a *acquisition) phase(ctx context.Context, us []*unit, silent []pr.Key, hold []*unit) (Outcome, error) {
	if len(us) == 0 {
		return Acquired, nil
	}
	if out, err := a.each(us, func(u *unit) (Outcome, error) { return u.prepare(ctx, a.c, silent) }); err != nil || out != Acquired {
		return out, err
	}
	var waiting []*unit
	for _, u := range us {
		if u.acq.needWait {
			waiting = append(waiting, u)
		}
	}
	if len(waiting) > 0 {
		a.c.logf("acquire: foreign owner present; watching for %v without issuing PR OUT", a.c.Wait)
		if err := a.wait(ctx, hold); err != nil {
			return Failed, err
		}
		a.mu.Lock()
		a.r.Waited = true
		a.mu.Unlock()
		if out, err := a.each(waiting, func(u *unit) (Outcome, error) { return u.recheck(ctx, a.c) }); err != nil || out != Acquired {
			return out, err
		}
	}
	return a.each(us, func(u *unit) (Outcome, error) { return u.take(ctx, a.c) })
}

// each runs f on every unit concurrently. Any error makes the result
// Failed; otherwise the first unit (in order) that did not end Acquired
// decides the outcome.
func (a *acquisition) each(us []*unit, f func(*unit) (Outcome, error)) (Outcome, error) {
	outs := make([]Outcome, len(us))
	errs := make([]error, len(us))
	var wg sync.WaitGroup
	for i, u := range us {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = f(u)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Failed, err
	}
	for _, o := range outs {
		if o != Acquired {
			return o, nil
		}
	}
	return Acquired, nil
}

// wait sleeps the wait window W. Units already taken (hold) are renewed
// every period meanwhile, as their defender would, so that a challenger
// watching them sees their owner alive.
func (a *acquisition) wait(ctx context.Context, hold []*unit) error {
	c := a.c
	if len(hold) == 0 {
		if err := c.sleep(ctx, c.Wait); err != nil {
			return fmt.Errorf("acquire: wait interrupted: %w", err)
		}
		return nil
	}
	for left := c.Wait; left > 0; left -= c.Period {
		if err := c.sleep(ctx, min(left, c.Period)); err != nil {
			return fmt.Errorf("acquire: wait interrupted: %w", err)
		}
		for _, u := range hold {
			for _, t := range u.paths {
				if err := command(ctx, c, func(ctx context.Context) error { return t.d.Register(ctx, c.Key, c.Key, pr.RegisterOptions{}) }); err != nil {
					return fmt.Errorf("acquire %s: renew during the wait: %w", t.d.Name(), err)
				}
			}
		}
	}
	return nil
}

// rollback withdraws our fresh registrations (REGISTER with our key and
// service action key 0: it can only remove this nexus's own registration
// with our key, never another's). Units where we displaced a previous
// owner, or already held before, are kept: withdrawing there would leave a
// LUN unreserved to its preempted owner. Unregistering also releases a
// reservation we took on a free LU (SPC-4 5.14.11.2.3).
func (a *acquisition) rollback(ctx context.Context) (kept []string) {
	// Roll back even when ctx was cancelled (SIGTERM from the cluster
	// manager): each command stays bounded by the command timeout.
	ctx = context.WithoutCancel(ctx)
	c := a.c
	for _, u := range a.units {
		if u.acq.displaced || u.acq.mode == modeHeld {
			c.logf("acquire %s: kept (%s); run release to give it up", u.name(), u.keptWhy())
			if u.acq.displaced {
				kept = append(kept, u.name())
			}
			continue
		}
		for _, t := range u.paths {
			if !t.added {
				continue
			}
			err := command(ctx, c, func(ctx context.Context) error { return t.d.Register(ctx, c.Key, 0, pr.RegisterOptions{}) })
			switch {
			case err == nil:
				c.logf("acquire %s: rolled back (unregistered %v)", t.d.Name(), c.Key)
			case errors.Is(err, pr.ErrReservationConflict):
				c.logf("acquire %s: rollback: %v was no longer registered", t.d.Name(), c.Key)
			default:
				c.logf("acquire %s: rollback: unregister %v: %v", t.d.Name(), c.Key, err)
			}
		}
	}
	return kept
}

func (u *unit) keptWhy() string {
	if u.acq.displaced {
		return "its previous owner was preempted"
	}
	return "it was ours before"
}
