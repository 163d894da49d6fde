package arbitrate

import (
	"context"
	"errors"
	"fmt"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// Outcome is what Acquire achieved.
type Outcome int

// Acquire outcomes; the CLI maps them to exit codes 1, 0 and 3.
const (
	Failed     Outcome = iota // nothing held; partial takes rolled back
	Acquired                  // every device reserved by our key
	OwnerAlive                // a foreign owner renewed during the wait; nothing disturbed
)

func (o Outcome) String() string {
	return [...]string{"failed", "acquired", "owner alive"}[o]
}

// DeviceResult is what Acquire found and did on one device.
type DeviceResult struct {
	Name string
	// Owners are the foreign keys found after our registration (holder first).
	Owners []scsi.Key
	// Action is "held", "reserved", "preempted", or "" when nothing was taken.
	Action string
}

// Result is the outcome of Acquire, with the devices in processing order.
type Result struct {
	Outcome Outcome
	Devices []DeviceResult
	// Waited is set when the wait window was observed.
	Waited bool
}

// ErrNoPR is matched when a device does not implement persistent
// reservations (ILLEGAL REQUEST 20/00, or SG_IO refused by the driver).
var ErrNoPR = scsi.ErrNotSupported

// target is Acquire's per-device working state.
type target struct {
	d          scsi.Device
	wasHolder  bool // we already held the reservation before Acquire
	registered bool // our REGISTER AND IGNORE was sent
	before     view // snapshot after our registration
	res        *DeviceResult
}

// Acquire is the attacker (field-map §1.6 "Challenger"): register on every
// device, and if a foreign key owns any of them, watch them for cfg.Wait
// without sending PR OUT. An owner that renewed wins (OwnerAlive, our fresh
// registrations are withdrawn); an owner that stayed silent is preempted
// with PREEMPT AND ABORT. All or nothing: any failure rolls back every
// device we touched, and the error names the device.
func Acquire(ctx context.Context, cfg Config) (Result, error) {
	c := &cfg
	if err := c.Validate(); err != nil {
		return Result{}, err
	}
	devs, err := ordered(ctx, c)
	if err != nil {
		return Result{}, err
	}
	r := Result{Devices: make([]DeviceResult, len(devs))}
	ts := make([]*target, len(devs))
	for i, d := range devs {
		r.Devices[i].Name = d.Name()
		ts[i] = &target{d: d, res: &r.Devices[i]}
	}
	fail := func(err error) (Result, error) {
		rollback(ctx, c, ts)
		for i := range r.Devices {
			r.Devices[i].Action = ""
		}
		r.Outcome = Failed
		return r, err
	}

	// Every device must answer PR IN before any PR OUT is sent to any of
	// them: a device without PR support fails here, leaving no trace on the
	// owner's devices (not even a registration that is rolled back later).
	for _, t := range ts {
		v, err := readViewRetry(ctx, c, t.d)
		if err != nil {
			return fail(describe("acquire "+t.d.Name()+": read state", err))
		}
		t.wasHolder = v.heldBy(c.Key, c.Type)
	}

	// Register everywhere, then snapshot: the baseline must be taken after
	// all our own registrations, which bump PRgeneration themselves (two
	// devices may be two paths of one LU).
	for _, t := range ts {
		if err := t.register(ctx, c); err != nil {
			return fail(err)
		}
	}
	foreign := false
	for _, t := range ts {
		v, err := readViewRetry(ctx, c, t.d)
		if err != nil {
			return fail(fmt.Errorf("acquire %s: snapshot: %w", t.d.Name(), err))
		}
		t.before, t.res.Owners = v, v.foreign(c.Key)
		if len(t.res.Owners) == 0 && v.res.Present && !v.heldBy(c.Key, c.Type) {
			return fail(fmt.Errorf("acquire %s: holds a %v reservation but %v is configured; release it first",
				t.d.Name(), v.res.Type, c.Type))
		}
		foreign = foreign || len(t.res.Owners) > 0
		c.logf("acquire %s: %v", t.d.Name(), v)
	}

	if foreign {
		c.logf("acquire: foreign owner present; watching for %v without issuing PR OUT", c.Wait)
		if err := c.sleep(ctx, c.Wait); err != nil {
			return fail(fmt.Errorf("acquire: wait interrupted: %w", err))
		}
		r.Waited = true
		for _, t := range ts {
			v, err := readViewRetry(ctx, c, t.d)
			if err != nil {
				return fail(fmt.Errorf("acquire %s: re-read after wait: %w", t.d.Name(), err))
			}
			if !v.same(t.before) {
				c.logf("acquire %s: owner alive: before %v; after %v", t.d.Name(), t.before, v)
				rollback(ctx, c, ts)
				r.Outcome = OwnerAlive
				return r, nil
			}
		}
	}

	for _, t := range ts {
		if err := t.take(ctx, c); err != nil {
			return fail(err)
		}
	}
	for _, t := range ts {
		v, err := readViewRetry(ctx, c, t.d)
		if err != nil {
			return fail(fmt.Errorf("acquire %s: verify: %w", t.d.Name(), err))
		}
		if !v.heldBy(c.Key, c.Type) {
			return fail(fmt.Errorf("acquire %s: verify: reservation not held by %v: %v", t.d.Name(), c.Key, v))
		}
	}
	r.Outcome = Acquired
	return r, nil
}

// register registers our key with REGISTER AND IGNORE EXISTING KEY
// (replaces a stale key of this nexus); t.wasHolder was set by the first pass.
func (t *target) register(ctx context.Context, c *Config) error {
	name := t.d.Name()
	t.registered = true
	err := retry(ctx, c, func(ctx context.Context) error {
		return t.d.RegisterAndIgnore(ctx, c.Key, scsi.RegisterOptions{})
	})
	if errors.Is(err, scsi.ErrReservationConflict) {
		return fmt.Errorf("acquire %s: register: %w (an SPC-2 RESERVE is held on the LUN)", name, err)
	}
	if err != nil && transient(err) {
		// Outcome unknown, or a target that answers NOT READY although the
		// registration took effect (LIO without its APTPL directory): the
		// postcondition decides (spec §9.5).
		if v, rerr := readViewRetry(ctx, c, t.d); rerr == nil && v.registered(c.Key) {
			c.logf("acquire %s: register answered %v, but %v is registered", name, err, c.Key)
			return nil
		}
	}
	return describe("acquire "+name+": register", err)
}

// describe wraps err, naming a device without persistent reservations clearly.
func describe(what string, err error) error {
	switch {
	case err == nil:
		return nil
	case !errors.Is(err, ErrNoPR) && isInvalidOpcode(err):
		return fmt.Errorf("%s: %w: %w", what, ErrNoPR, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// isInvalidOpcode reports ILLEGAL REQUEST 20/00 (spec §9.3: no PR support).
func isInvalidOpcode(err error) bool {
	var se *scsi.Error
	return errors.As(err, &se) && se.Sense != nil && se.Sense.ASC == 0x20 && se.Sense.ASCQ == 0
}

// take preempts every foreign owner key and makes sure a reservation of our
// type exists (RESERVE is the device-side arbiter if someone races us).
func (t *target) take(ctx context.Context, c *Config) error {
	name := t.d.Name()
	for _, o := range t.res.Owners {
		if err := preemptOwner(ctx, c, t.d, o); err != nil {
			return fmt.Errorf("acquire %s: preempt-and-abort %v: %w", name, o, err)
		}
		t.res.Action = "preempted"
		c.logf("acquire %s: preempted owner %v", name, o)
	}
	v, err := readViewRetry(ctx, c, t.d)
	if err != nil {
		return fmt.Errorf("acquire %s: read after preempt: %w", name, err)
	}
	if v.heldBy(c.Key, c.Type) {
		if t.res.Action == "" {
			t.res.Action = "held"
		}
		return nil
	}
	if err := retry(ctx, c, func(ctx context.Context) error { return t.d.Reserve(ctx, c.Key, c.Type) }); err != nil {
		return describe(fmt.Sprintf("acquire %s: reserve %v", name, c.Type), err)
	}
	if t.res.Action == "" {
		t.res.Action = "reserved"
	}
	return nil
}

// preemptOwner sends PREEMPT AND ABORT once (it is not idempotent, spec
// §9.5) and resolves an unknown outcome or a conflict by reading the state:
// success is "owner key gone, our key registered".
func preemptOwner(ctx context.Context, c *Config, d scsi.Device, owner scsi.Key) error {
	err := command(ctx, c, func(ctx context.Context) error { return d.PreemptAndAbort(ctx, c.Key, owner, c.Type) })
	if err != nil && c.PreemptFallback && errors.Is(err, scsi.ErrIllegalRequest) && !isInvalidOpcode(err) {
		c.logf("acquire %s: PREEMPT AND ABORT rejected (%v); falling back to PREEMPT", d.Name(), err)
		err = command(ctx, c, func(ctx context.Context) error { return d.Preempt(ctx, c.Key, owner, c.Type) })
	}
	if err == nil || !(transient(err) || errors.Is(err, scsi.ErrReservationConflict)) {
		return err
	}
	v, rerr := readViewRetry(ctx, c, d)
	if rerr != nil {
		return fmt.Errorf("%w (state unreadable: %v)", err, rerr)
	}
	if v.registered(c.Key) && !v.registered(owner) && !(v.res.Present && v.res.Key == owner) {
		return nil
	}
	return err
}

// rollback withdraws our registration from every device we registered on
// and did not already hold. Unregistering also releases a reservation we
// took (spec §6.5.1): holder-type reservations go with the holder, an
// all-registrants reservation goes with its last registrant. A preempted
// owner is not restored; it stays fenced.
func rollback(ctx context.Context, c *Config, ts []*target) {
	// Roll back even when ctx was cancelled (SIGTERM from the cluster
	// manager): each command stays bounded by the command timeout.
	ctx = context.WithoutCancel(ctx)
	for _, t := range ts {
		if !t.registered || t.wasHolder {
			continue
		}
		err := retry(ctx, c, func(ctx context.Context) error {
			return t.d.RegisterAndIgnore(ctx, 0, scsi.RegisterOptions{})
		})
		if err != nil {
			c.logf("acquire %s: rollback: unregister %v: %v", t.d.Name(), c.Key, err)
			continue
		}
		c.logf("acquire %s: rolled back (unregistered %v)", t.d.Name(), c.Key)
	}
}
