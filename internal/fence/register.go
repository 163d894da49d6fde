package fence

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/keys"
	"github.com/fence-scsi-go/fence_scsi_go/internal/logging"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// typeWERO is the reservation type fence_scsi uses: Write Exclusive – Registrants Only.
const typeWERO = pr.WERO

type runner struct {
	o     Options
	devMu sync.Mutex    // serialises the dev file writes of concurrent devices
	seq   atomic.Uint64 // numbers the commands of the action (watched)

	// start is when the action began, before its first command (set with
	// a KeyMemo): the memo dates every answer of the action by it, one
	// clock reading instead of one per READ KEYS.
	start time.Time
}

func (r *runner) debug(format string, args ...any) { logging.Debugf(r.o.Log, format, args...) }

// debugging reports whether debug lines are taken: the lines logged once per
// device and command check it first, since boxing their arguments allocates
// even when the line is dropped.
func (r *runner) debugging() bool { return logging.DebugEnabled(r.o.Log) }

// ctxErr replaces err by a timeout error when the context has ended: the
// device errors are then only consequences.
func (r *runner) ctxErr(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return timeoutError{cause: ctx.Err()}
	}
	return err
}

// prOut logs the result of a PR OUT. Its result is not trusted either way:
// the caller verifies by reading back, as fence_scsi does. Only a device
// without PR support stops the sequence.
func (r *runner) prOut(op string, dev pr.Device, args string, err error) error {
	if err == nil {
		if r.debugging() {
			r.debug("%s on %s (%s): ok\n", op, dev.Name(), args)
		}
		return nil
	}
	switch {
	case errors.Is(err, pr.ErrNotSupported):
		return &DeviceError{Device: dev.Name(), Problem: DeviceNoPR, Err: err}
	case errors.Is(err, pr.ErrOutcomeUnknown):
		r.debug("%s on %s (%s): outcome unknown, verifying by reading back: %v\n", op, dev.Name(), args, err)
	case errors.Is(err, pr.ErrReservationConflict):
		r.debug("%s on %s (%s): reservation conflict: %v\n", op, dev.Name(), args, err)
	default:
		r.debug("%s on %s (%s): %v\n", op, dev.Name(), args, err)
	}
	return nil
}

func (r *runner) registerAndIgnore(ctx context.Context, dev pr.Device, key pr.Key) error {
	err := dev.RegisterAndIgnore(ctx, key, pr.RegisterOptions{PersistThroughPowerLoss: r.o.APTPL})
	return r.prOut("register-and-ignore", dev, fmt.Sprintf("key %s, aptpl %t", keys.Format(key), r.o.APTPL), err)
}

// register is fence_scsi HEAD's register_dev: through every multipath path
// when t has paths (only the first one self-preempts: a later path's
// preempt would remove the registrations of the earlier paths), else
// through the configured path.
//
// The first nexus uses the keys prepare has just read through the configured
// path (the same logical unit, nothing sent in between: t.keysCurrent)
// instead of reading them again; later paths read their own, since the
// first registration changed the list.
func (r *runner) register(ctx context.Context, t *target, key pr.Key) error {
	var known *pr.KeyList
	if t.keysCurrent {
		known = t.keys
	}
	if t.paths == nil {
		return r.registerNexus(ctx, t.dev, key, true, known)
	}
	for i, p := range t.paths {
		if i > 0 {
			known = nil
		}
		if err := r.registerNexus(ctx, p.dev, key, i == 0, known); err != nil {
			return err
		}
	}
	return nil
}

// registerNexus registers key through one I_T nexus. If the key was
// already registered (possibly through a stale nexus, e.g. an old iSCSI
// ISID), it self-preempts (PREEMPT type 5, RK = SARK = key) to purge the
// stale registrations, then registers again unless it holds the
// reservation, because a self-preempt by a non-holder also removes the
// sender's registration (SPC-4 5.13, preempting). known, if not nil, is the
// logical unit's key list read just before; nil reads it.
//
// Deliberate difference: fence_scsi stops after a failed REGISTER AND
// IGNORE or PREEMPT. An error does not prove the command did not execute
// (LIO answers NOT READY after registering when it cannot save APTPL
// state), and the following commands are harmless when it did not, so we
// go on and let the read-back decide.
func (r *runner) registerNexus(ctx context.Context, dev pr.Device, key pr.Key, selfPreempt bool, known *pr.KeyList) error {
	kl := known
	if kl == nil {
		var err error
		if kl, err = r.readKeys(ctx, dev); err != nil {
			return err
		}
	}
	if err := r.registerAndIgnore(ctx, dev, key); err != nil {
		return err
	}
	if !kl.Contains(key) {
		return nil
	}
	if selfPreempt {
		err := dev.Preempt(ctx, key, key, typeWERO)
		if err := r.prOut("preempt", dev, "self, key "+keys.Format(key), err); err != nil {
			return err
		}
	}
	// fence_scsi reads the reservation without failing here.
	res, err := dev.ReadReservation(ctx)
	if err != nil {
		r.debug("read reservation on %s: %v\n", dev.Name(), err)
	}
	if err != nil || !res.Present || res.Key != key {
		return r.registerAndIgnore(ctx, dev, key)
	}
	return nil
}
