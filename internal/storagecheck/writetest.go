package storagecheck

import (
	"context"
	"errors"
	"fmt"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// ScratchKey is the key --write-test registers through the first path:
// "SCRATCH" in ASCII followed by the path number (0x53435241544348nn), so a
// key left behind by an interrupted test is recognisable (and reported as
// the check-storage scratch key).
const ScratchKey scsi.Key = 0x5343524154434800

// WriteTestResult is the outcome of WriteTest on one device.
type WriteTestResult struct {
	Device string   `json:"device"`
	Ran    bool     `json:"ran"`
	OK     bool     `json:"ok"`
	Steps  []string `json:"steps"`
	// Error is the first failure; Cleanup lists what the clean-up did after it.
	Error   string   `json:"error,omitempty"`
	Cleanup []string `json:"cleanup,omitempty"`
	// Restored: the LU ended with no registrations and no reservation.
	Restored bool `json:"restored"`
}

// WriteTest exercises PR OUT on a LU that has no registrations at all:
// register a scratch key, reserve type 5, read back, then (with a second
// path) register a second scratch key there and PREEMPT AND ABORT the first,
// release, unregister, and check the LU ends as it began. It refuses a LU
// with any registration or reservation. On a failure it unregisters every
// scratch key it may have registered (best effort) and reports what it did.
func WriteTest(ctx context.Context, t Target) WriteTestResult {
	w := &writeTest{r: WriteTestResult{Device: t.Name, Steps: []string{}}, paths: t.Paths}
	if err := w.precheck(ctx); err != nil {
		w.r.Error = "refused: " + err.Error()
		return w.r
	}
	w.r.Ran = true
	err := w.run(ctx)
	if err != nil {
		w.r.Error = err.Error()
		w.cleanup(ctx)
	}
	final := w.empty(ctx)
	w.r.Restored = final == nil
	if !w.r.Restored {
		w.r.Cleanup = append(w.r.Cleanup, "the LU is NOT as it began: "+final.Error()+
			fmt.Sprintf("; remove keys 0x%x.. with sg_persist --out --register-ignore --param-sark=0 on each path", uint64(ScratchKey)>>8))
	}
	w.r.OK = err == nil && w.r.Restored
	return w.r
}

type writeTest struct {
	r     WriteTestResult
	paths []Path
}

func (w *writeTest) step(format string, a ...any) {
	w.r.Steps = append(w.r.Steps, fmt.Sprintf(format, a...))
}

func scratch(i int) scsi.Key { return ScratchKey | scsi.Key(i+1) }

// empty returns nil when the LU has no registrations and no reservation.
func (w *writeTest) empty(ctx context.Context) error {
	dev := w.paths[0].Dev
	kl, err := dev.ReadKeys(ctx)
	if err != nil {
		return err
	}
	res, err := dev.ReadReservation(ctx)
	if err != nil {
		return err
	}
	if len(kl.Keys) > 0 || res.Present {
		return fmt.Errorf("%d registration(s) %v, reservation present: %v", len(kl.Keys), kl.Keys, res.Present)
	}
	return nil
}

func (w *writeTest) precheck(ctx context.Context) error {
	if len(w.paths) == 0 {
		return errors.New("no path could be opened")
	}
	if err := w.empty(ctx); err != nil {
		return fmt.Errorf("the LU must have no registrations and no reservation: %v", err)
	}
	return nil
}

// run is the test sequence; the first failure ends it.
func (w *writeTest) run(ctx context.Context) error {
	a, ka := w.paths[0], scratch(0)
	if err := a.Dev.Register(ctx, 0, ka, scsi.RegisterOptions{}); err != nil {
		return fmt.Errorf("register %s through %s: %w", ka, a.Name, err)
	}
	if err := w.expect(ctx, []scsi.Key{ka}, false, 0); err != nil {
		return err
	}
	w.step("registered %s through %s", ka, a.Name)
	if err := a.Dev.Reserve(ctx, ka, scsi.TypeWriteExclusiveRegistrantsOnly); err != nil {
		return fmt.Errorf("reserve type 5 with %s through %s: %w", ka, a.Name, err)
	}
	if err := w.expect(ctx, []scsi.Key{ka}, true, ka); err != nil {
		return err
	}
	w.step("reserved WE-RO (type 5) with %s through %s, read back", ka, a.Name)
	holder, kh := a, ka
	if len(w.paths) > 1 {
		b, kb := w.paths[1], scratch(1)
		if err := b.Dev.Register(ctx, 0, kb, scsi.RegisterOptions{}); err != nil {
			return fmt.Errorf("register %s through %s: %w", kb, b.Name, err)
		}
		if err := b.Dev.PreemptAndAbort(ctx, kb, ka, scsi.TypeWriteExclusiveRegistrantsOnly); err != nil {
			return fmt.Errorf("preempt and abort %s with %s through %s: %w", ka, kb, b.Name, err)
		}
		if err := w.expect(ctx, []scsi.Key{kb}, true, kb); err != nil {
			return err
		}
		w.step("registered %s through %s, PREEMPT AND ABORT removed %s and moved the reservation", kb, b.Name, ka)
		holder, kh = b, kb
	} else {
		w.step("one path only: PREEMPT AND ABORT from a second nexus not tested")
	}
	if err := holder.Dev.Release(ctx, kh, scsi.TypeWriteExclusiveRegistrantsOnly); err != nil {
		return fmt.Errorf("release with %s through %s: %w", kh, holder.Name, err)
	}
	if err := w.expect(ctx, []scsi.Key{kh}, false, 0); err != nil {
		return err
	}
	w.step("released the reservation through %s", holder.Name)
	if err := holder.Dev.Register(ctx, kh, 0, scsi.RegisterOptions{}); err != nil {
		return fmt.Errorf("unregister %s through %s: %w", kh, holder.Name, err)
	}
	if err := w.empty(ctx); err != nil {
		return fmt.Errorf("after unregistering: %v", err)
	}
	w.step("unregistered %s: no registrations, no reservation", kh)
	return nil
}

// expect reads the PR state back through every path used so far.
func (w *writeTest) expect(ctx context.Context, keys []scsi.Key, reserved bool, holder scsi.Key) error {
	for _, p := range w.paths[:min(2, len(w.paths))] {
		kl, err := p.Dev.ReadKeys(ctx)
		if err != nil {
			return fmt.Errorf("read keys through %s: %w", p.Name, err)
		}
		if fmt.Sprint(kl.Keys) != fmt.Sprint(keys) {
			return fmt.Errorf("read keys through %s: %v, want %v", p.Name, kl.Keys, keys)
		}
		res, err := p.Dev.ReadReservation(ctx)
		if err != nil {
			return fmt.Errorf("read reservation through %s: %w", p.Name, err)
		}
		if res.Present != reserved || (reserved && (res.Key != holder || res.Type != scsi.TypeWriteExclusiveRegistrantsOnly)) {
			return fmt.Errorf("read reservation through %s: present=%v key=%s type=%s, want present=%v key=%s type WE-RO",
				p.Name, res.Present, res.Key, res.Type, reserved, holder)
		}
	}
	return nil
}

// cleanup removes every scratch registration the test may have made, path
// by path: REGISTER AND IGNORE EXISTING KEY with the path's scratch key, then
// unregister it (which also releases a reservation it held).
func (w *writeTest) cleanup(ctx context.Context) {
	for i, p := range w.paths[:min(2, len(w.paths))] {
		k := scratch(i)
		err := p.Dev.RegisterAndIgnore(ctx, k, scsi.RegisterOptions{})
		if err == nil {
			err = p.Dev.Register(ctx, k, 0, scsi.RegisterOptions{})
		}
		if err != nil {
			w.r.Cleanup = append(w.r.Cleanup, fmt.Sprintf("unregister %s through %s failed: %v", k, p.Name, err))
		} else {
			w.r.Cleanup = append(w.r.Cleanup, fmt.Sprintf("unregistered %s through %s", k, p.Name))
		}
	}
}
