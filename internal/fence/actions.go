package fence

import (
	"context"
	"fmt"

	"github.com/fence-scsi-go/fence_scsi_go/internal/keys"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// deviceResult is the outcome of one device in On or Off.
type deviceResult struct {
	err      error // fatal, reported as is
	verified bool  // On: the key is listed (goes to the dev file)
	failed   bool  // counted in "Failed to verify N device(s)"
}

// On unfences the local node: it writes key to the key file, registers it
// on every device, reserves (type 5) the devices without a reservation,
// verifies, and adds the verified devices to the dev file (fence_scsi
// HEAD's set_status for "on"). Every device is checked and answers READ
// KEYS before the key file is written or any PR OUT is sent.
func On(ctx context.Context, o Options, devices []string, key scsi.Key) error {
	r := &runner{o: o.withDefaults()}
	targets, err := r.prepare(ctx, devices, false, true)
	if err != nil {
		return err
	}
	defer closeAll(targets)
	if err := r.o.Store.WriteKey(key); err != nil {
		r.debug("writing %s: %v\n", r.o.Store.KeyFile, err)
		return err
	}
	results := make([]deviceResult, len(targets))
	r.forEachTarget(targets, func(i int) {
		results[i] = r.onDevice(ctx, targets[i], key)
	})
	var verified []string
	for i, res := range results {
		if res.verified {
			verified = append(verified, targets[i].path)
		}
	}
	if len(verified) > 0 {
		if err := r.o.Store.AddDevices(verified...); err != nil {
			r.debug("writing %s: %v\n", r.o.Store.DevFile, err)
			return err
		}
	}
	return r.ctxErr(ctx, summarize(results))
}

func (r *runner) onDevice(ctx context.Context, t *target, key scsi.Key) deviceResult {
	if err := r.register(ctx, t, key); err != nil {
		return deviceResult{err: err}
	}
	kl, err := r.readKeys(ctx, t.dev)
	if err != nil {
		return deviceResult{err: err}
	}
	if !kl.Contains(key) {
		r.debug("Failed to register key %s on device %s\n", keys.Format(key), t.path)
		return deviceResult{failed: true}
	}
	res, err := r.readReservation(ctx, t.dev)
	if err != nil {
		return deviceResult{err: err, verified: true}
	}
	if !res.Present {
		err := t.dev.Reserve(ctx, key, typeWERO)
		if err := r.prOut("reserve", t.dev, "type 5, key "+keys.Format(key), err); err != nil {
			return deviceResult{err: err, verified: true}
		}
		if res, err = r.readReservation(ctx, t.dev); err != nil {
			return deviceResult{err: err, verified: true}
		}
		if !res.Present {
			r.debug("Failed to create reservation (key=%s, device=%s)\n", keys.Format(key), t.path)
			return deviceResult{verified: true, failed: true}
		}
	}
	return deviceResult{verified: true}
}

// Off fences the node whose key is victim (fence_scsi HEAD's get_status and
// set_status for "off"): AlreadyOff without any PR OUT when the key is on no
// device; otherwise, with the fencer's own key from the key file, it
// registers that key on every device, sends PREEMPT AND ABORT (type 5, RK =
// own key, SARK = victim) where the victim is listed, and verifies that the
// victim's key is gone and a reservation exists.
func Off(ctx context.Context, o Options, devices []string, victim scsi.Key) (OffResult, error) {
	r := &runner{o: o.withDefaults()}
	targets, err := r.prepare(ctx, devices, false, true)
	if err != nil {
		return PoweredOff, err
	}
	defer closeAll(targets)
	on := false
	for _, t := range targets {
		on = on || t.keys.Contains(victim)
	}
	if !on {
		return AlreadyOff, nil
	}
	host, err := r.o.Store.ReadKey()
	if err != nil {
		r.debug("reading %s: %v\n", r.o.Store.KeyFile, err)
		return PoweredOff, err
	}
	if host == victim {
		return PoweredOff, ErrSelfFence
	}
	results := make([]deviceResult, len(targets))
	r.forEachTarget(targets, func(i int) {
		results[i] = r.offDevice(ctx, targets[i], host, victim)
	})
	return PoweredOff, r.ctxErr(ctx, summarize(results))
}

func (r *runner) offDevice(ctx context.Context, t *target, host, victim scsi.Key) deviceResult {
	if err := r.register(ctx, t, host); err != nil {
		return deviceResult{err: err}
	}
	kl, err := r.readKeys(ctx, t.dev)
	if err != nil {
		return deviceResult{err: err}
	}
	if kl.Contains(victim) {
		err := t.dev.PreemptAndAbort(ctx, host, victim, typeWERO)
		args := fmt.Sprintf("type 5, key %s, victim %s", keys.Format(host), keys.Format(victim))
		if err := r.prOut("preempt-and-abort", t.dev, args, err); err != nil {
			return deviceResult{err: err}
		}
	}
	// Verification (fence_scsi's second pass).
	if kl, err = r.readKeys(ctx, t.dev); err != nil {
		return deviceResult{err: err}
	}
	if kl.Contains(victim) {
		r.debug("Failed to remove key %s from device %s\n", keys.Format(victim), t.path)
		return deviceResult{failed: true}
	}
	res, err := r.readReservation(ctx, t.dev)
	if err != nil {
		return deviceResult{err: err}
	}
	if !res.Present {
		r.debug("No reservation exists on device %s\n", t.path)
		return deviceResult{failed: true}
	}
	return deviceResult{}
}

// Status reports whether key is registered on at least one device
// (fence_scsi's "Status: ON"); a device that cannot be read is an error even
// if another one shows the key.
func Status(ctx context.Context, o Options, devices []string, key scsi.Key) (bool, error) {
	r := &runner{o: o.withDefaults()}
	targets, err := r.prepare(ctx, devices, r.o.ReadOnly, false)
	if err != nil {
		return false, err
	}
	defer closeAll(targets)
	on := false
	for _, t := range targets {
		if t.keys.Contains(key) {
			on = true
		} else {
			r.debug("No registration for key %s on device %s\n", keys.Format(key), t.path)
		}
	}
	return on, nil
}

// summarize returns the first fatal error in configured order, else a
// VerifyError if any device failed verification.
func summarize(results []deviceResult) error {
	failed := 0
	for _, res := range results {
		if res.err != nil {
			return res.err
		}
		if res.failed {
			failed++
		}
	}
	if failed > 0 {
		return &VerifyError{Devices: failed}
	}
	return nil
}

func closeAll(targets []*target) {
	for _, t := range targets {
		t.close()
	}
}
