package conformance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

// H is the per-case harness: the target, a deadline, its quirks and
// assertion helpers that name the failed step.
type H struct {
	testing.TB
	Target Target
	Ctx    context.Context
	Q      sim.Quirks
}

// K returns the test key of node i (distinct, never 0, never cleanKey).
func K(i int) scsi.Key { return scsi.Key(0x00000000A1B20001 + uint64(i)) }

// Dev is the Device of nexus i.
func (h *H) Dev(i int) scsi.Device { return h.Target.Nexus(i) }

// Need skips the case unless the target offers n nexuses.
func (h *H) Need(n int) {
	if h.Target.Nexuses() < n {
		h.Skipf("needs %d I_T nexuses, target offers %d", n, h.Target.Nexuses())
	}
}

// OK fails the case if err is not nil.
func (h *H) OK(err error, format string, args ...any) {
	h.Helper()
	if err != nil {
		h.Fatalf("%s: %v", fmt.Sprintf(format, args...), err)
	}
}

// Conflict fails the case unless err is RESERVATION CONFLICT.
func (h *H) Conflict(err error, format string, args ...any) {
	h.Helper()
	if !errors.Is(err, scsi.ErrReservationConflict) {
		h.Fatalf("%s: got %v, want RESERVATION CONFLICT", fmt.Sprintf(format, args...), err)
	}
}

// Sense fails the case unless err is CHECK CONDITION with key/asc/ascq.
func (h *H) Sense(err error, key, asc, ascq uint8, format string, args ...any) {
	h.Helper()
	var e *scsi.Error
	if !errors.As(err, &e) || e.Sense == nil || e.Sense.Key != key || e.Sense.ASC != asc || e.Sense.ASCQ != ascq {
		h.Fatalf("%s: got %v, want sense %x/%02x/%02x", fmt.Sprintf(format, args...), err, key, asc, ascq)
	}
}

// Register is REGISTER AND IGNORE EXISTING KEY with key k on nexus i.
func (h *H) Register(i int, k scsi.Key) {
	h.Helper()
	h.OK(h.Dev(i).RegisterAndIgnore(h.Ctx, k, scsi.RegisterOptions{}), "nexus %d register-and-ignore %v", i, k)
}

// Unregister is REGISTER with RK = k, SARK = 0 on nexus i.
func (h *H) Unregister(i int, k scsi.Key) {
	h.Helper()
	h.OK(h.Dev(i).Register(h.Ctx, k, 0, scsi.RegisterOptions{}), "nexus %d unregister %v", i, k)
}

// Reserve is RESERVE with key k and type t on nexus i, which must succeed.
func (h *H) Reserve(i int, k scsi.Key, t scsi.ReservationType) {
	h.Helper()
	h.OK(h.Dev(i).Reserve(h.Ctx, k, t), "nexus %d reserve %v %v", i, k, t)
}

// Keys is READ KEYS through nexus i.
func (h *H) Keys(i int) *scsi.KeyList {
	h.Helper()
	kl, err := h.Dev(i).ReadKeys(h.Ctx)
	h.OK(err, "nexus %d read keys", i)
	return kl
}

// WantKeys checks the registered keys (one per nexus, order ignored) and
// returns the generation.
func (h *H) WantKeys(want ...scsi.Key) uint32 {
	h.Helper()
	kl := h.Keys(0)
	got := slices.Clone(kl.Keys)
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		h.Fatalf("registered keys %v, want %v", got, want)
	}
	return kl.Generation
}

// Res is READ RESERVATION through nexus i.
func (h *H) Res(i int) *scsi.Reservation {
	h.Helper()
	r, err := h.Dev(i).ReadReservation(h.Ctx)
	h.OK(err, "nexus %d read reservation", i)
	return r
}

// WantRes checks the reservation: none when t is TypeNone, else type t
// with holder key k (0 for the all-registrants types).
func (h *H) WantRes(t scsi.ReservationType, k scsi.Key) {
	h.Helper()
	r := h.Res(0)
	switch {
	case t == scsi.TypeNone && r.Present:
		h.Fatalf("reservation %v key %v present, want none", r.Type, r.Key)
	case t != scsi.TypeNone && (!r.Present || r.Type != t || r.Key != k || r.Scope != 0):
		h.Fatalf("reservation %+v, want type %v key %v", r, t, k)
	}
}

// TUR sends TEST UNIT READY through nexus i until GOOD (the Device retries
// unit attentions; a storm beyond its budget gets more tries here).
func (h *H) TUR(i int) {
	h.Helper()
	var err error
	for try := 0; try < 4; try++ {
		if err = h.Dev(i).TestUnitReady(h.Ctx); err == nil {
			return
		}
	}
	h.Fatalf("nexus %d test unit ready: %v", i, err)
}

// UAs drains the unit attentions of nexus i with raw TEST UNIT READY and
// returns them as "2A/05" strings; ok is false when the target cannot
// report them exactly (the queue is then drained through the Device).
func (h *H) UAs(i int) (uas []string, ok bool) {
	h.Helper()
	x, exact := h.Target.(ExactUnitAttentions)
	if !exact || !x.ExactUnitAttentions() {
		h.TUR(i)
		return nil, false
	}
	tr := x.Transport(i)
	for try := 0; try < 64; try++ {
		res, err := tr.Execute(h.Ctx, &scsi.Command{CDB: scsi.TestUnitReadyCDB(), Direction: scsi.DirNone})
		h.OK(err, "nexus %d raw test unit ready", i)
		e := scsi.Classify(res)
		if e == nil {
			return uas, true
		}
		if !errors.Is(e, scsi.ErrUnitAttention) {
			h.Fatalf("nexus %d raw test unit ready: %v", i, e)
		}
		uas = append(uas, fmt.Sprintf("%02X/%02X", e.Sense.ASC, e.Sense.ASCQ))
	}
	h.Fatalf("nexus %d: more than 64 unit attentions", i)
	return nil, false
}

// WantUAs checks the unit attentions queued on nexus i, oldest first, when
// the target reports them exactly; it drains them in any case. Call it
// before reading state through nexus i: the Device's retry policy consumes
// unit attentions.
func (h *H) WantUAs(i int, want ...string) {
	h.Helper()
	got, ok := h.UAs(i)
	if ok && !slices.Equal(got, want) {
		h.Errorf("nexus %d unit attentions %q, want %q", i, got, want)
	}
}

// Preempted is the UA a preempted registrant gets: 2A/05, or 2A/03 under
// QuirkUAPreemptedAsReservations (tgt).
func (h *H) Preempted() string {
	if h.Q.Has(sim.QuirkUAPreemptedAsReservations) {
		return "2A/03"
	}
	return "2A/05"
}

// IO returns the target's BlockIO or skips the case.
func (h *H) IO() BlockIO {
	io, ok := h.Target.(BlockIO)
	if !ok {
		h.Skip("target has no block I/O")
	}
	return io
}

// WantIO checks read and write access of nexus i (SPC-4 table 65 / SBC-4 4.17).
func (h *H) WantIO(i int, read, write bool) {
	h.Helper()
	io := h.IO()
	check := func(op string, err error, allowed bool) {
		h.Helper()
		switch {
		case allowed && err != nil:
			h.Errorf("nexus %d %s: %v, want success", i, op, err)
		case !allowed && !errors.Is(err, scsi.ErrReservationConflict):
			h.Errorf("nexus %d %s: %v, want RESERVATION CONFLICT", i, op, err)
		}
	}
	check("read", io.Read(i), read)
	check("write", io.Write(i), write)
}

// Raw returns the transport of nexus i or skips the case.
func (h *H) Raw(i int) scsi.Transport {
	r, ok := h.Target.(RawAccess)
	if !ok {
		h.Skip("target has no raw transport")
	}
	return r.Transport(i)
}
