package arbitrate

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// ErrLost is matched when the defender has positive evidence that another
// key took the devices: stop the service, never retry.
var ErrLost = errors.New("reservation lost")

// ErrGaveUp is matched when more than Misses consecutive defender cycles
// failed without evidence either way.
var ErrGaveUp = errors.New("defender gave up")

// Defend is the defender. Every period it
// checks every device (in parallel, one goroutine per device) and returns
//   - an error matching ErrLost as soon as one device shows positive evidence
//     of loss: a foreign holder, our key absent, RESERVATION CONFLICT on our
//     own renewal or preempt, a 2A/03-05 unit attention confirmed by a read;
//   - an error matching ErrGaveUp after Misses+1 consecutive failed cycles;
//   - an error matching ErrPermanent at once when a device answers that no
//     repetition can cure (persistent reservations not supported, ILLEGAL
//     REQUEST): that is a configuration error, not a missed beat;
//   - ctx.Err() when ctx is cancelled.
//
// The renewal is the first command of every cycle, sent as soon as the
// devices are open (no INQUIRY first), so a `defend --once` run renews
// within one command timeout of its start.
//
// It preempts foreign registrations by key (never CLEAR), renews by
// re-registering our key (REGISTER with RK = SARK = key, which advances
// PRgeneration and, unlike REGISTER AND IGNORE, can never bring back a
// preempted registration), and re-reserves when the reservation is gone
// but our key is still registered. With once set it runs one cycle and
// returns nil (held) or the cycle's error.
func Defend(ctx context.Context, cfg Config, once bool) error {
	c := &cfg
	if err := c.Validate(); err != nil {
		return err
	}
	devs := c.Devices
	start := c.now()
	misses := 0
	for k := 1; ; k++ {
		err := cycle(ctx, c, devs)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err == nil:
			misses = 0
		case errors.Is(err, ErrLost), errors.Is(err, ErrPermanent):
			return err
		default:
			misses++
			c.logf("defend: cycle failed (%d of %d tolerated): %v", misses, c.Misses, err)
			if once {
				return err
			}
			if misses > c.Misses {
				return fmt.Errorf("%w after %d consecutive failed cycles: %w", ErrGaveUp, misses, err)
			}
		}
		if once {
			return nil
		}
		// Cycles start on a fixed grid so a slow cycle does not push the
		// next renewal later; an overrun restarts the grid now.
		next := start.Add(time.Duration(k) * c.Period)
		d := next.Sub(c.now())
		if d < 0 {
			start, d = c.now().Add(-time.Duration(k)*c.Period), 0
		}
		if err := c.sleep(ctx, d); err != nil {
			return err
		}
	}
}

// cycle checks every device once, in parallel under one deadline of one
// period. Loss on any device wins over failures elsewhere; device order
// decides which loss is reported.
func cycle(ctx context.Context, c *Config, devs []pr.Device) error {
	cctx, cancel := context.WithTimeout(ctx, c.Period)
	defer cancel()
	errs := make([]error, len(devs))
	var wg sync.WaitGroup
	for i, d := range devs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = defendDevice(cctx, c, d)
		}()
	}
	wg.Wait()
	var failed []error
	for _, err := range errs {
		if errors.Is(err, ErrLost) {
			return err
		}
	}
	for _, err := range errs {
		if errors.Is(err, ErrPermanent) {
			return err
		}
		if err != nil {
			failed = append(failed, err)
		}
	}
	return errors.Join(failed...)
}

// defendDevice runs one defender cycle on one device: renew, read and
// check, remove challengers, re-reserve. The renewal comes first, so it
// completes within one command timeout of the cycle start — the
// "+ timeout" of the renewal-gap invariant.
func defendDevice(ctx context.Context, c *Config, d pr.Device) error {
	df := &defender{c: c, d: d, name: d.Name()}
	if err := df.renew(ctx); err != nil {
		return err
	}
	v, err := df.check(ctx)
	if err != nil {
		return err
	}
	if err := df.removeChallengers(ctx, v); err != nil {
		return err
	}
	if !v.res.Present {
		return df.reserve(ctx)
	}
	return nil
}

// defender is one defender cycle on one device.
type defender struct {
	c    *Config
	d    pr.Device
	name string
}

// lost is the ErrLost error of this device.
func (df *defender) lost(format string, args ...any) error {
	return fmt.Errorf("defend %s: %w: %s", df.name, ErrLost, fmt.Sprintf(format, args...))
}

// confirm turns a conflict or a 2A/03-05 unit attention into evidence
// only if a read shows our key gone; otherwise the cycle failed.
func (df *defender) confirm(ctx context.Context, op string, err error) (view, error) {
	c := df.c
	v, rerr := readView(ctx, c, df.d)
	switch {
	case rerr != nil:
		return v, fmt.Errorf("defend %s: %s: %w (state unreadable: %v)", df.name, op, err, rerr)
	case !v.registered(c.Key):
		return v, df.lost("%s: %v, and key %v is no longer registered (%v)", op, err, c.Key, v)
	case v.res.Present && !v.heldBy(c.Key, c.Type):
		return v, df.lost("%s: %v, and the reservation is no longer ours (%v)", op, err, v)
	}
	return v, nil
}

// renew re-registers our key (REGISTER with RK = SARK = key). The device
// layer already re-sends a command that met a UNIT ATTENTION; a conflict
// is evidence only once a read confirms it.
func (df *defender) renew(ctx context.Context) error {
	c := df.c
	err := command(ctx, c, func(ctx context.Context) error { return df.d.Register(ctx, c.Key, c.Key, pr.RegisterOptions{}) })
	switch {
	case permanent(err):
		return describe("defend "+df.name+": renew", err)
	case errors.Is(err, pr.ErrReservationConflict) || preemptedUA(err):
		if _, cerr := df.confirm(ctx, "renew", err); cerr != nil {
			return cerr
		}
		return fmt.Errorf("defend %s: renew: %w", df.name, err)
	case err != nil:
		return fmt.Errorf("defend %s: renew: %w", df.name, err)
	}
	c.vlogf("defend %s: renewed %v", df.name, c.Key)
	return nil
}

// check reads the state: our key must be registered, and a reservation,
// if any, ours.
func (df *defender) check(ctx context.Context) (view, error) {
	c := df.c
	v, err := readView(ctx, c, df.d)
	if err != nil {
		return v, describe("defend "+df.name+": read", err)
	}
	if !v.registered(c.Key) {
		return v, df.lost("key %v is no longer registered (%v)", c.Key, v)
	}
	if v.res.Present && !v.heldBy(c.Key, c.Type) {
		return v, df.lost("reservation is no longer ours (%v)", v)
	}
	return v, nil
}

// removeChallengers keeps the sole-registrant invariant: it removes every
// foreign key by PREEMPT, never CLEAR.
func (df *defender) removeChallengers(ctx context.Context, v view) error {
	c := df.c
	for _, k := range v.foreign(c.Key) {
		err := command(ctx, c, func(ctx context.Context) error { return df.d.Preempt(ctx, c.Key, k, c.Type) })
		if err == nil {
			c.logf("defend %s: preempted foreign registration %v", df.name, k)
			continue
		}
		if errors.Is(err, pr.ErrReservationConflict) || preemptedUA(err) {
			w, cerr := df.confirm(ctx, fmt.Sprintf("preempt %v", k), err)
			if cerr != nil {
				return cerr
			}
			if !w.registered(k) {
				continue // the challenger withdrew by itself
			}
		}
		return describe(fmt.Sprintf("defend %s: preempt %v", df.name, k), err)
	}
	return nil
}

// reserve re-reserves a device where we are still registered but the
// reservation is gone (released, or the reserving nexus went away);
// RESERVE arbitrates any race.
func (df *defender) reserve(ctx context.Context) error {
	c := df.c
	c.logf("defend %s: no reservation while registered; reserving %v", df.name, c.Type)
	err := command(ctx, c, func(ctx context.Context) error { return df.d.Reserve(ctx, c.Key, c.Type) })
	if errors.Is(err, pr.ErrReservationConflict) {
		if _, cerr := df.confirm(ctx, "reserve", err); cerr != nil {
			return cerr
		}
	}
	if err != nil {
		return describe("defend "+df.name+": reserve", err)
	}
	return nil
}
