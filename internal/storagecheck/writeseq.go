package storagecheck

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

const wero = scsi.TypeWriteExclusiveRegistrantsOnly

// run is the test sequence; the first failure ends it.
func (w *writeTest) run(ctx context.Context) error {
	a, ka := w.a, scratch(0)
	if err := register(ctx, a, ka); err != nil {
		return err
	}
	if err := w.expect(ctx, []scsi.Key{ka}, 0, true); err != nil {
		return err
	}
	w.step("registered %s through %s, read back, generation advanced to %d", ka, a.Name, w.gen)
	reserved := !w.baseRe.Present
	if reserved {
		if err := a.Dev.Reserve(ctx, ka, wero); err != nil {
			return fmt.Errorf("reserve type 5 with %s through %s: %w", ka, a.Name, err)
		}
		if err := w.expect(ctx, []scsi.Key{ka}, ka, false); err != nil {
			return err
		}
		w.step("reserved WE-RO (type 5) with %s through %s, read back", ka, a.Name)
	} else {
		w.step("a reservation is held already: RESERVE not tested")
	}
	if err := w.firstWrites(ctx); err != nil {
		return err
	}
	holder, kh := a, ka
	if w.b != nil {
		if err := w.twoNexus(ctx, reserved); err != nil {
			return err
		}
		holder, kh = w.b, scratch(1)
	} else {
		w.step("one nexus only: the second-nexus checks (writes, PREEMPT AND ABORT) need a multipath device or --peer-device")
	}
	return w.finish(ctx, holder, kh, reserved)
}

// twoNexus: an unregistered nexus may not write, a registered one may, and
// PREEMPT AND ABORT from the second nexus removes the first one's key.
func (w *writeTest) twoNexus(ctx context.Context, reserved bool) error {
	a, b, ka, kb := w.a, w.b, scratch(0), scratch(1)
	if w.writes {
		if err := w.mustConflict(ctx, b, a, "unregistered"); err != nil {
			return err
		}
	}
	if err := register(ctx, b, kb); err != nil {
		return err
	}
	holder := scsi.Key(0)
	if reserved {
		holder = ka
	}
	if err := w.expect(ctx, []scsi.Key{ka, kb}, holder, true); err != nil {
		return err
	}
	w.step("registered %s through %s, read back, generation advanced to %d", kb, b.Name, w.gen)
	if w.writes {
		if err := w.write(ctx, b); err != nil {
			return fmt.Errorf("WRITE through %s, registered with %s: %w", b.Name, kb, err)
		}
		w.step("WRITE through registered %s accepted (same data written back)", b.Name)
	}
	if err := b.Dev.PreemptAndAbort(ctx, kb, ka, wero); err != nil {
		return fmt.Errorf("preempt and abort %s with %s through %s: %w", ka, kb, b.Name, err)
	}
	if reserved {
		holder = kb
	}
	if err := w.expect(ctx, []scsi.Key{kb}, holder, true); err != nil {
		return err
	}
	res := "the reservation found is unchanged"
	if reserved {
		res = "reservation now held by " + holder.String()
	}
	w.step("PREEMPT AND ABORT through %s removed %s (%s), generation advanced to %d", b.Name, ka, res, w.gen)
	if w.writes {
		if err := w.mustConflict(ctx, a, b, "preempted"); err != nil {
			return err
		}
	}
	return nil
}

// finish releases and unregisters the last scratch key.
func (w *writeTest) finish(ctx context.Context, holder *Path, kh scsi.Key, reserved bool) error {
	if reserved {
		if err := holder.Dev.Release(ctx, kh, wero); err != nil {
			return fmt.Errorf("release with %s through %s: %w", kh, holder.Name, err)
		}
		if err := w.expect(ctx, []scsi.Key{kh}, 0, false); err != nil {
			return err
		}
		w.step("released the reservation through %s, read back", holder.Name)
	}
	if err := holder.Dev.Register(ctx, kh, 0, scsi.RegisterOptions{}); err != nil {
		return fmt.Errorf("unregister %s through %s: %w", kh, holder.Name, err)
	}
	// Not required to advance: LIO does not count an unregistration.
	if err := w.expect(ctx, nil, 0, false); err != nil {
		return err
	}
	w.step("unregistered %s through %s, read back (generation %d)", kh, holder.Name, w.gen)
	return nil
}

// register is REGISTER with a zero reservation key: a nexus already
// registered under any key refuses it, so no key is ever replaced.
func register(ctx context.Context, p *Path, k scsi.Key) error {
	err := p.Dev.Register(ctx, 0, k, scsi.RegisterOptions{})
	if errors.Is(err, scsi.ErrReservationConflict) {
		return fmt.Errorf("register %s through %s: RESERVATION CONFLICT: this nexus is registered under another key already (the write test never replaces a key): %w", k, p.Name, err)
	}
	if err != nil {
		return fmt.Errorf("register %s through %s: %w", k, p.Name, err)
	}
	return nil
}

// expect reads the PR state back through every nexus used: the keys found
// plus ours, our reservation (holder != 0) or the one found, and (advance)
// a generation larger than the last one read.
func (w *writeTest) expect(ctx context.Context, ours []scsi.Key, holder scsi.Key, advance bool) error {
	want := append(append([]scsi.Key{}, w.base...), ours...)
	sortKeys(want)
	for i, p := range []*Path{w.a, w.b} {
		if p == nil {
			continue
		}
		kl, err := p.Dev.ReadKeys(ctx)
		if err != nil {
			return fmt.Errorf("read keys through %s: %w", p.Name, err)
		}
		got := append([]scsi.Key{}, kl.Keys...)
		sortKeys(got)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("read keys through %s: %v, want %v", p.Name, got, want)
		}
		if i == 0 {
			if advance && kl.Generation <= w.gen {
				return fmt.Errorf("read keys through %s: PR generation %d did not advance from %d", p.Name, kl.Generation, w.gen)
			}
			w.gen = kl.Generation
		}
		if err := w.expectReservation(ctx, p, holder); err != nil {
			return err
		}
	}
	return nil
}

func (w *writeTest) expectReservation(ctx context.Context, p *Path, holder scsi.Key) error {
	res, err := p.Dev.ReadReservation(ctx)
	if err != nil {
		return fmt.Errorf("read reservation through %s: %w", p.Name, err)
	}
	want := *w.baseRe
	if holder != 0 {
		want = scsi.Reservation{Present: true, Key: holder, Type: wero}
	}
	if res.Present != want.Present || (want.Present && (res.Key != want.Key || res.Type != want.Type)) {
		return fmt.Errorf("read reservation through %s: present=%v key=%s type=%s, want present=%v key=%s type=%s",
			p.Name, res.Present, res.Key, res.Type, want.Present, want.Key, want.Type)
	}
	return nil
}

func sortKeys(ks []scsi.Key) { sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] }) }
