package fence

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// nexus is one opened device path. dev is w: every command goes through
// the watch.
type nexus struct {
	path string
	dev  pr.Device
	w    *watched
}

// target is one configured device, opened and validated.
type target struct {
	nexus
	// keys is the READ KEYS answer of the validation pass.
	keys *pr.KeyList
	// keysCurrent: nothing was sent to the device since keys was read, so
	// the first registration may use keys instead of reading them again.
	// Cleared for a second name of the same device node (forEachTarget).
	keysCurrent bool
	// paths are the multipath path devices registrations go through; nil
	// means register through the configured path itself.
	paths []nexus
	// lu names the logical unit or namespace (pr.Device.Identity), the same on every path
	// and every node; "" when the device did not tell (then its resolved
	// path stands for it). Set for on and off only.
	lu string
	// res is the reservation read with keys (READ FULL STATUS, see
	// Options.PrefetchReservation); nil when keys came from READ KEYS. It
	// is current as long as keysCurrent is.
	res *pr.Reservation
	// noFullStatus: the device refused READ FULL STATUS in this process
	// (readStatus).
	noFullStatus bool
}

// luKey is the name that groups the targets of one logical unit: its
// identity, else its resolved path.
func (r *runner) luKey(t *target) string {
	if t.lu != "" {
		return t.lu
	}
	real, err := r.o.Realpath(t.path)
	if err != nil {
		real = t.path
	}
	return "path:" + real
}

func (t *target) close() {
	if t.dev != nil {
		t.dev.Close()
	}
	for _, p := range t.paths {
		p.dev.Close()
	}
}

// forEach runs fn(i) for i in [0, n) on at most par goroutines, the
// caller's among them: min(n, par) workers take the indexes in order, each
// running one fn at a time. A worker goes on to the next index instead of a
// new goroutine being started for it, so a run over 64 devices starts 15
// goroutines, not 64, and each grows its stack once (a goroutine start is
// also a thread wake-up, which every action would pay for every device).
func forEach(n, par int, fn func(i int)) {
	if n <= 0 {
		return
	}
	var next atomic.Int64
	work := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			fn(i)
		}
	}
	var wg sync.WaitGroup
	for w := 1; w < min(n, max(par, 1)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
}

// groupTargets returns the targets by logical unit: indexes into targets,
// each group in configured order, groups in the order of their first
// target. Two names of one logical unit (a dm device and one of its paths,
// two paths, a by-id link and its node) form one group, so they are never
// worked on from two goroutines through the same I_T nexus.
func (r *runner) groupTargets(targets []*target) [][]int {
	if len(targets) == 1 {
		// One target is one group: no name to resolve.
		return [][]int{{0}}
	}
	var groups [][]int
	seen := map[string]int{}
	for i, t := range targets {
		k := r.luKey(t)
		g, ok := seen[k]
		if !ok {
			g = len(groups)
			seen[k] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
		if len(groups[g]) > 1 {
			t.keysCurrent = false
		}
	}
	return groups
}

// forEachTarget runs fn(i) for every target on the worker pool. Targets of
// the same logical unit are done one after the other in configured order,
// so two names of one device see the same sequence as in fence_scsi's
// sequential loop.
func (r *runner) forEachTarget(targets []*target, fn func(i int)) {
	groups := r.groupTargets(targets)
	forEach(len(groups), r.o.Parallelism, func(g int) {
		for _, i := range groups[g] {
			fn(i)
		}
	})
}

// firstError returns the first non-nil error in configured order, which is
// the one fence_scsi's sequential loop would have stopped at.
func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// prepare checks every device (exists, is a block device), opens it, reads
// its keys and, with fanout, resolves and checks its multipath paths — all
// before any PR OUT is sent, so a bad device leaves the others untouched.
// On error nothing stays open.
func (r *runner) prepare(ctx context.Context, devices []string, readOnly, fanout bool) ([]*target, error) {
	if len(devices) == 0 {
		return nil, ErrNoDevices
	}
	if r.o.Memo != nil {
		// Before any command: every answer of the action is younger.
		r.start = r.o.Memo.now()
	}
	targets := make([]*target, len(devices))
	errs := make([]error, len(devices))
	forEach(len(devices), r.o.Parallelism, func(i int) {
		targets[i], errs[i] = r.prepareOne(ctx, devices[i], readOnly, fanout, len(devices) > 1)
	})
	if err := firstError(errs); err != nil {
		for _, t := range targets {
			if t != nil {
				t.close()
			}
		}
		return nil, r.ctxErr(ctx, err)
	}
	return targets, nil
}

// prepareOne prepares one device; ordered reads its identity (with
// fanout, or for Options.PrefetchIdentity), which orders and groups the
// devices when there are several.
func (r *runner) prepareOne(ctx context.Context, path string, readOnly, fanout, ordered bool) (*target, error) {
	fi, err := statBlockDevice(r.o.Stat, path)
	if err != nil {
		return nil, err
	}
	t := &target{}
	if t.nexus, err = r.open(path, readOnly); err != nil {
		return nil, err
	}
	if t.keys, t.res, err = r.startKeys(ctx, t); err != nil {
		t.close()
		return nil, err
	}
	t.keysCurrent = true
	if !fanout {
		if ordered && r.o.PrefetchIdentity {
			r.identity(ctx, t.dev)
		}
		return t, nil
	}
	if ordered {
		t.lu = r.identity(ctx, t.dev)
	}
	var paths []string
	if !scsiDisk(fi) {
		paths, err = r.o.multipathPaths(path)
	}
	if err != nil {
		t.close()
		return nil, err
	}
	for _, p := range paths {
		n, err := r.open(p, readOnly)
		if err == nil {
			t.paths = append(t.paths, n)
			_, err = r.readKeys(ctx, n.dev)
		}
		if err != nil {
			t.close()
			return nil, err
		}
	}
	if len(paths) > 0 {
		r.debug("%s is a multipath device; registering through %v\n", path, paths)
	}
	return t, nil
}

func (r *runner) open(path string, readOnly bool) (nexus, error) {
	dev, err := r.o.Open(path, readOnly)
	if err != nil {
		if errors.Is(err, pr.ErrNotSupported) {
			return nexus{}, &DeviceError{Device: path, Problem: DeviceNoPR, Err: err}
		}
		return nexus{}, &DeviceError{Device: path, Problem: DeviceKeysUnreadable, Err: err}
	}
	w := &watched{d: dev, seq: &r.seq}
	return nexus{path: path, dev: w, w: w}, nil
}

// startKeys is the validation pass's READ KEYS of t (READ FULL STATUS with
// Options.PrefetchReservation), or the answer the previous action of the
// process left in the memo for it. The reservation is nil unless read
// with the keys.
func (r *runner) startKeys(ctx context.Context, t *target) (*pr.KeyList, *pr.Reservation, error) {
	if e, age, ok := r.o.Memo.take(t.path); ok {
		if r.debugging() {
			r.debug("registration keys of %s as read at most %v ago by the previous step: %v\n", t.path, age.Round(time.Microsecond), e.kl.Keys)
		}
		return e.kl, e.res, nil
	}
	if r.o.PrefetchReservation {
		return r.readStatus(ctx, t)
	}
	kl, err := r.readKeys(ctx, t.dev)
	return kl, nil, err
}

// readKeys is fence_scsi's get_registration_keys: a failure is fatal.
func (r *runner) readKeys(ctx context.Context, dev pr.Device) (*pr.KeyList, error) {
	kl, err := dev.ReadKeys(ctx)
	if err != nil {
		return nil, r.keysError(dev, err)
	}
	if r.debugging() {
		r.debug("registration keys on %s: %v\n", dev.Name(), kl.Keys)
	}
	return kl, nil
}

// keysError is the fatal error of a failed read of dev's keys.
func (r *runner) keysError(dev pr.Device, err error) error {
	r.debug("read keys on %s: %v\n", dev.Name(), err)
	if errors.Is(err, pr.ErrNotSupported) {
		return &DeviceError{Device: dev.Name(), Problem: DeviceNoPR, Err: err}
	}
	return &DeviceError{Device: dev.Name(), Problem: DeviceKeysUnreadable, Err: err}
}

// readReservation is fence_scsi's get_reservation_key with fail=True.
func (r *runner) readReservation(ctx context.Context, dev pr.Device) (*pr.Reservation, error) {
	res, err := dev.ReadReservation(ctx)
	if err != nil {
		r.debug("read reservation on %s: %v\n", dev.Name(), err)
		return nil, &DeviceError{Device: dev.Name(), Problem: DeviceReservationUnreadable, Err: err}
	}
	r.debugReservation(dev, res)
	return res, nil
}

func (r *runner) debugReservation(dev pr.Device, res *pr.Reservation) {
	if !r.debugging() {
		return
	}
	if res.Present {
		r.debug("reservation on %s: key %v type %v\n", dev.Name(), res.Key, res.Type)
	} else {
		r.debug("no reservation on %s\n", dev.Name())
	}
}

// identity is the device's pr.Device.Identity, or "" (logged) when it does not
// tell: the name only orders and groups devices, so a device without one is
// still fenced, in configured order after the named ones.
func (r *runner) identity(ctx context.Context, dev pr.Device) string {
	id, err := dev.Identity(ctx)
	if err != nil {
		r.debug("no logical unit identity for %s: %v\n", dev.Name(), err)
		return ""
	}
	if r.debugging() {
		r.debug("%s is logical unit %s\n", dev.Name(), id)
	}
	return id
}
