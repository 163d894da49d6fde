package fence

import (
	"context"

	"github.com/fence-scsi-go/fence_scsi_go/internal/keys"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/texts"
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
func On(ctx context.Context, o Options, devices []string, key pr.Key) error {
	r := &runner{o: o.withDefaults()}
	targets, err := r.prepare(ctx, devices, false, true)
	if err != nil {
		return err
	}
	defer r.finish(targets)
	if err := r.o.Store.WriteKey(key); err != nil {
		r.debug("writing %s: %v\n", r.o.Store.KeyFile, err)
		return err
	}
	results := make([]deviceResult, len(targets))
	added := make([]bool, len(targets))
	r.forEachTarget(targets, func(i int) {
		results[i] = r.onDevice(ctx, targets[i], key)
		if results[i].verified {
			added[i], results[i].err = r.recordDevice(targets[i].path, results[i].err)
		}
	})
	// The devices were appended as each was verified; put the new ones in
	// configured order, as fence_scsi's sequential loop writes them.
	var order []string
	seen := map[string]bool{}
	for i, t := range targets {
		if added[i] && !seen[t.path] {
			seen[t.path] = true
			order = append(order, t.path)
		}
	}
	if err := r.o.Store.OrderTail(order); err != nil {
		r.debug("writing %s: %v\n", r.o.Store.DevFile, err)
		return err
	}
	return r.ctxErr(ctx, summarize(results))
}

// recordDevice adds a verified device to the dev file at once, so the
// watchdog check watches it even if this process is killed before the other
// devices are done. A failure to write the file outranks the device's own
// error.
func (r *runner) recordDevice(path string, devErr error) (added bool, err error) {
	r.devMu.Lock()
	defer r.devMu.Unlock()
	added, werr := r.o.Store.AddDevice(path)
	if werr != nil {
		r.debug("writing %s: %v\n", r.o.Store.DevFile, werr)
		return false, werr
	}
	return added, devErr
}

func (r *runner) onDevice(ctx context.Context, t *target, key pr.Key) deviceResult {
	if err := r.register(ctx, t, key); err != nil {
		return deviceResult{err: err}
	}
	kl, err := r.readKeys(ctx, t.dev)
	if err != nil {
		return deviceResult{err: err}
	}
	if !kl.Contains(key) {
		r.debug(texts.RegisterFailed, keys.Format(key), t.path)
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
			r.debug(texts.ReserveFailed, keys.Format(key), t.path)
			return deviceResult{verified: true, failed: true}
		}
	}
	return deviceResult{verified: true}
}

// Status reports whether key is registered on at least one device
// (fence_scsi's "Status: ON"); a device that cannot be read is an error even
// if another one shows the key.
func Status(ctx context.Context, o Options, devices []string, key pr.Key) (bool, error) {
	r := &runner{o: o.withDefaults()}
	targets, err := r.prepare(ctx, devices, r.o.ReadOnly, false)
	if err != nil {
		return false, err
	}
	defer r.finish(targets)
	on := false
	for _, t := range targets {
		if t.keys.Contains(key) {
			on = true
		} else {
			r.debug(texts.NoRegistration, keys.Format(key), t.path)
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
