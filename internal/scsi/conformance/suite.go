// Package conformance is the persistent-reservation conformance suite:
// the PR cases of libiscsi's test-tool (test_prin_*.c, test_prout_*.c),
// extra scenarios derived from SPC-4 5.13, and fence_scsi's exact on/off
// sequences (fence-agents agents/scsi/fence_scsi.py, set_status). It is a plain package so that the same
// cases run against the simulator (internal/scsi/sim) and against a real
// target (the LIO harness of tests/vm): pass another Target factory.
package conformance

import (
	"context"
	"testing"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

// Target is one logical unit reachable through at least two I_T nexuses
// (two initiators, or two paths). Run cleans it before every case.
type Target interface {
	// Nexuses is the number of I_T nexuses offered (at least 2; some
	// cases use a third and skip without it).
	Nexuses() int
	// Nexus returns the Device for I_T nexus i (0 <= i < Nexuses()).
	Nexus(i int) scsi.Device
	// Quirks lists the documented deviations (docs/pr-notes.md) this target
	// shows; cases expecting a deviating answer say which bit they follow.
	Quirks() sim.Quirks
}

// BlockIO is implemented by targets that can do block I/O through a nexus
// (READ(10)/WRITE(10) on the simulator, an O_DIRECT read or write of
// /dev/sdX on real storage). A conflict must satisfy
// errors.Is(err, scsi.ErrReservationConflict). Cases needing it skip without it.
type BlockIO interface {
	Read(i int) error
	Write(i int) error
}

// RawAccess is implemented by targets that expose each nexus' Transport,
// for the checklist rows the Device API cannot express (allocation
// lengths, reserved service actions).
type RawAccess interface {
	Transport(i int) scsi.Transport
}

// ExactUnitAttentions is implemented by targets where nothing but the suite
// consumes unit attentions, so TEST UNIT READY through RawAccess sees
// exactly what the LU queued. A Linux /dev/sdX is not one: the kernel's own
// I/O may consume them (docs/pr-notes.md); UA expectations are then not checked.
type ExactUnitAttentions interface {
	RawAccess
	ExactUnitAttentions() bool
}

// Case is one conformance case.
type Case struct {
	// Name is "Suite.Test", as libiscsi names its CUnit tests where one matches.
	Name string
	Run  func(h *H)
}

// Cases returns every case, in the order Run executes them.
func Cases() []Case {
	var all []Case
	all = append(all, libiscsiCases()...)
	all = append(all, extraCases()...)
	all = append(all, fenceSCSICases()...)
	return all
}

// Run executes every case as a subtest, each on a fresh target from
// newTarget, cleaned of leftover registrations first.
func Run(t *testing.T, newTarget func(t *testing.T) Target) {
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) { RunCase(t, newTarget(t), c) })
	}
}

// RunCase cleans tgt and runs one case on it, reporting through tb.
func RunCase(tb testing.TB, tgt Target, c Case) {
	tb.Helper()
	if tgt.Nexuses() < 2 {
		tb.Fatalf("target offers %d nexuses, the suite needs 2", tgt.Nexuses())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	h := &H{TB: tb, Target: tgt, Ctx: ctx, Q: tgt.Quirks()}
	h.clean()
	c.Run(h)
}

// cleanKey is the key the clean-up registers with; the cases never use it.
const cleanKey scsi.Key = 0x00C1EA4000000000

// clean removes leftovers the way libiscsi's test-tool set-up does:
// every nexus registers-and-ignores and unregisters; if keys or a
// reservation remain (from nexuses not under our control), register and
// CLEAR. Then unit attentions are drained and the LU must be empty.
func (h *H) clean() {
	h.Helper()
	for i := 0; i < h.Target.Nexuses(); i++ {
		h.TUR(i)
		h.OK(h.Dev(i).RegisterAndIgnore(h.Ctx, cleanKey, scsi.RegisterOptions{}), "clean: register-and-ignore on nexus %d", i)
		h.OK(h.Dev(i).Register(h.Ctx, cleanKey, 0, scsi.RegisterOptions{}), "clean: unregister on nexus %d", i)
	}
	if len(h.Keys(0).Keys) > 0 || h.Res(0).Present {
		h.OK(h.Dev(0).RegisterAndIgnore(h.Ctx, cleanKey, scsi.RegisterOptions{}), "clean: register-and-ignore")
		h.OK(h.Dev(0).Clear(h.Ctx, cleanKey), "clean: clear")
	}
	for i := 0; i < h.Target.Nexuses(); i++ {
		h.TUR(i)
	}
	if kl, r := h.Keys(0), h.Res(0); len(kl.Keys) > 0 || r.Present {
		h.Fatalf("clean: LU still has keys %v, reservation %+v", kl.Keys, r)
	}
}
