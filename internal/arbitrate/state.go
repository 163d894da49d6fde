package arbitrate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// view is one consistent PR IN snapshot of a device: READ KEYS and READ
// RESERVATION taken at the same PRgeneration.
type view struct {
	keys *pr.KeyList
	res  *pr.Reservation
}

// registered reports whether k is registered through at least one nexus.
func (v view) registered(k pr.Key) bool { return v.keys.Contains(k) }

// count is the number of I_T nexuses registered with k (READ KEYS lists
// one key per registered nexus, SPC-4 6.16.2).
func (v view) count(k pr.Key) int {
	n := 0
	for _, x := range v.keys.Keys {
		if x == k {
			n++
		}
	}
	return n
}

// foreign returns the distinct keys other than own that are registered or
// named as the reservation holder, the holder first, then in ascending order.
func (v view) foreign(own pr.Key) []pr.Key {
	var out []pr.Key
	for _, k := range v.keys.Keys {
		if k != own && k != 0 && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	if h := v.res.Key; v.res.Present && h != 0 && h != own {
		out = slices.DeleteFunc(out, func(k pr.Key) bool { return k == h })
		out = append([]pr.Key{h}, out...)
	}
	return out
}

// heldBy reports whether own holds a reservation of type t: under WE-AR/EA-AR
// every registrant holds (READ RESERVATION names no key), otherwise the
// holder key must be own.
func (v view) heldBy(own pr.Key, t pr.Type) bool {
	if !v.res.Present || v.res.Type != t || !v.registered(own) {
		return false
	}
	return t.AllRegistrants() || v.res.Key == own
}

// same reports whether nothing observable changed between two snapshots.
func (v view) same(w view) bool {
	return v.keys.Generation == w.keys.Generation && slices.Equal(v.keys.Keys, w.keys.Keys) && v.sameReservation(w)
}

func (v view) sameReservation(w view) bool {
	return v.res.Present == w.res.Present && v.res.Type == w.res.Type && v.res.Key == w.res.Key
}

// othersSame reports whether the registrations of keys other than own and
// the reservation are the same in both snapshots: only own's registrations
// (and the generation) may differ.
func (v view) othersSame(w view, own pr.Key) bool {
	strip := func(ks []pr.Key) []pr.Key {
		out := slices.DeleteFunc(slices.Clone(ks), func(k pr.Key) bool { return k == own })
		slices.Sort(out)
		return out
	}
	return slices.Equal(strip(v.keys.Keys), strip(w.keys.Keys)) && v.sameReservation(w)
}

// String renders a snapshot for logs, e.g. "gen 7, keys [0xa 0xb], WE-AR held by 0x0".
func (v view) String() string {
	ks := make([]string, len(v.keys.Keys))
	for i, k := range v.keys.Keys {
		ks[i] = k.String()
	}
	r := "no reservation"
	if v.res.Present {
		r = fmt.Sprintf("%v reservation, holder key %v", v.res.Type, v.res.Key)
	}
	return fmt.Sprintf("generation %d, keys [%s], %s", v.keys.Generation, strings.Join(ks, " "), r)
}

// readView reads keys and reservation, re-reading (up to three times) until
// both come from the same PRgeneration (SPC-4 6.16: PRGENERATION).
func readView(ctx context.Context, c *Config, d pr.Device) (view, error) {
	var v view
	for i := 0; i < 3; i++ {
		var err error
		if err = command(ctx, c, func(ctx context.Context) error {
			v.keys, err = d.ReadKeys(ctx)
			return err
		}); err != nil {
			return view{}, err
		}
		if err = command(ctx, c, func(ctx context.Context) error {
			v.res, err = d.ReadReservation(ctx)
			return err
		}); err != nil {
			return view{}, err
		}
		if v.keys.Generation == v.res.Generation {
			break
		}
	}
	return v, nil
}

// command runs one SCSI command under the command timeout T. The SG_IO
// layer's retry policy (internal/scsi/retry.go: UNIT ATTENTION, BUSY,
// becoming-ready and transient path errors) runs inside that deadline, so
// T bounds the command with all its retries; this package never re-sends.
func command(ctx context.Context, c *Config, f func(context.Context) error) error {
	cctx, cancel := context.WithTimeout(ctx, c.CommandTimeout)
	defer cancel()
	return f(cctx)
}

// ErrPermanent is matched by a device error that no repetition can cure:
// persistent reservations not supported, or ILLEGAL REQUEST.
var ErrPermanent = errors.New("permanent device error")

// permanent reports the error classes that no repetition can cure.
func permanent(err error) bool {
	return errors.Is(err, pr.ErrNotSupported) || errors.Is(err, pr.ErrIllegalRequest)
}

// describe wraps err with what was being done; a permanent device error
// also matches ErrPermanent (and ErrNoPR when PR is not supported).
func describe(what string, err error) error {
	switch {
	case err == nil:
		return nil
	case permanent(err):
		return fmt.Errorf("%s: %w: %w", what, ErrPermanent, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// preemptedUA reports a unit attention that says PR state changed under us
// (2A/03 reservations preempted, 2A/04 released, 2A/05 registrations
// preempted). It is evidence only once a follow-up read confirms it.
func preemptedUA(err error) bool {
	return errors.Is(err, pr.ErrRegistrationsPreempted) ||
		errors.Is(err, pr.ErrReservationsPreempted) ||
		errors.Is(err, pr.ErrReservationsReleased)
}
