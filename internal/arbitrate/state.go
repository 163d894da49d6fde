package arbitrate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// view is one consistent PR IN snapshot of a device: READ KEYS and READ
// RESERVATION taken at the same PRgeneration.
type view struct {
	keys *scsi.KeyList
	res  *scsi.Reservation
}

// registered reports whether k is registered through at least one nexus.
func (v view) registered(k scsi.Key) bool { return v.keys.Contains(k) }

// foreign returns the distinct keys other than own that are registered or
// named as the reservation holder, the holder first, then in ascending order.
func (v view) foreign(own scsi.Key) []scsi.Key {
	var out []scsi.Key
	for _, k := range v.keys.Keys {
		if k != own && k != 0 && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	if h := v.res.Key; v.res.Present && h != 0 && h != own {
		out = slices.DeleteFunc(out, func(k scsi.Key) bool { return k == h })
		out = append([]scsi.Key{h}, out...)
	}
	return out
}

// heldBy reports whether own holds a reservation of type t: under WE-AR/EA-AR
// every registrant holds (READ RESERVATION names no key), otherwise the
// holder key must be own.
func (v view) heldBy(own scsi.Key, t scsi.ReservationType) bool {
	if !v.res.Present || v.res.Type != t || !v.registered(own) {
		return false
	}
	return t.AllRegistrants() || v.res.Key == own
}

// same reports whether nothing observable changed between two snapshots.
func (v view) same(w view) bool {
	return v.keys.Generation == w.keys.Generation &&
		slices.Equal(v.keys.Keys, w.keys.Keys) &&
		v.res.Present == w.res.Present && v.res.Type == w.res.Type && v.res.Key == w.res.Key
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
// both come from the same PRgeneration (spec §6.13).
func readView(ctx context.Context, c *Config, d scsi.Device) (view, error) {
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

// command runs one SCSI command under the command timeout.
func command(ctx context.Context, c *Config, f func(context.Context) error) error {
	cctx, cancel := context.WithTimeout(ctx, c.CommandTimeout)
	defer cancel()
	return f(cctx)
}

// retry runs an idempotent command, re-sending it up to c.Retries times
// after a transient failure (spec §9.5: only idempotent commands are re-sent).
func retry(ctx context.Context, c *Config, f func(context.Context) error) error {
	var err error
	for i := 0; i <= c.Retries; i++ {
		if err = command(ctx, c, f); err == nil || !transient(err) || ctx.Err() != nil {
			return err
		}
	}
	return err
}

// readViewRetry is readView with transient failures retried.
func readViewRetry(ctx context.Context, c *Config, d scsi.Device) (view, error) {
	var v view
	var err error
	for i := 0; i <= c.Retries; i++ {
		if v, err = readView(ctx, c, d); err == nil || !transient(err) || ctx.Err() != nil {
			break
		}
	}
	return v, err
}

// preemptedUA reports a unit attention that says PR state changed under us
// (2A/03 reservations preempted, 2A/04 released, 2A/05 registrations
// preempted). It is evidence only once a follow-up read confirms it.
func preemptedUA(err error) bool {
	return errors.Is(err, scsi.ErrRegistrationsPreempted) ||
		errors.Is(err, scsi.ErrReservationsPreempted) ||
		errors.Is(err, scsi.ErrReservationsReleased)
}

// transient reports an error that says nothing about PR state: the command
// may succeed if sent again (spec §9.4, §9.5).
func transient(err error) bool {
	for _, e := range []error{scsi.ErrBusy, scsi.ErrNotReady, scsi.ErrTransport, scsi.ErrTimeout,
		scsi.ErrAborted, scsi.ErrOutcomeUnknown, context.DeadlineExceeded} {
		if errors.Is(err, e) {
			return true
		}
	}
	return errors.Is(err, scsi.ErrUnitAttention)
}

// ordered returns the devices sorted by unit serial number (VPD 0x80), then
// by name, so every node visits one LUN set in the same order even when its
// paths are named differently: two racing attackers then collide on the
// first device and one of them stops there. Devices that report the same
// serial are paths of one LU; with a holder-only type (WE, EA) only the
// reserving path could write, so that configuration is refused.
func ordered(ctx context.Context, c *Config) ([]scsi.Device, error) {
	type ent struct {
		serial, name string
		d            scsi.Device
	}
	es := make([]ent, len(c.Devices))
	for i, d := range c.Devices {
		es[i] = ent{serial: "\xff", name: d.Name(), d: d} // unknown serials sort last
		var page []byte
		err := command(ctx, c, func(ctx context.Context) (err error) {
			page, err = d.InquiryVPD(ctx, scsi.VPDUnitSerialNumber)
			return err
		})
		if err == nil {
			if s, err := scsi.ParseUnitSerialNumber(page); err == nil && s != "" {
				es[i].serial = s
			}
		}
	}
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].serial != es[j].serial {
			return es[i].serial < es[j].serial
		}
		return es[i].name < es[j].name
	})
	out := make([]scsi.Device, len(es))
	for i, e := range es {
		out[i] = e.d
		if i > 0 && e.serial != "\xff" && e.serial == es[i-1].serial && !c.Type.AllRegistrants() && !c.Type.RegistrantsOnly() {
			return nil, fmt.Errorf("%w: %s and %s are paths of one LU (serial %q): with type %v only the reserving path may write; use type 7 (WE-AR)",
				ErrConfig, es[i-1].name, e.name, e.serial, c.Type)
		}
	}
	return out, nil
}
