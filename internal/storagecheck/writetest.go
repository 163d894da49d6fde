package storagecheck

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/logging"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// ScratchKey is the prefix of the keys --write-test registers: "SCRATCH" in
// ASCII followed by the nexus number (0x53435241544348nn: ...01 through the
// first path, ...02 through the second), so a key left behind by an
// interrupted test is recognisable, reported (rule scratch-key) and removed
// by --cleanup, which touches no other key.
const ScratchKey scsi.Key = 0x5343524154434800

// IsScratch reports whether k is a check-storage scratch key.
func IsScratch(k scsi.Key) bool { return k>>8 == ScratchKey>>8 && k&0xFF != 0 }

func scratch(i int) scsi.Key { return ScratchKey | scsi.Key(i+1) }

// WriteTestOptions tune WriteTest.
type WriteTestOptions struct {
	// Force allows a LU with registrations or a reservation: they are never
	// touched, the reservation steps run only if nobody holds one, and no
	// data is written (the other registrants may be writing).
	Force bool
	// StepDelay pauses after each step (to test an interrupted run).
	StepDelay time.Duration
	// Log receives each step at INFO as it is done ("DEVICE: write test:
	// STEP"). May be nil.
	Log *slog.Logger
}

// WriteTestResult is the outcome of WriteTest on one device.
type WriteTestResult struct {
	Device string `json:"device"`
	// Nexuses are the paths used: the first and, if any, the second I_T nexus.
	Nexuses []string `json:"nexuses"`
	Ran     bool     `json:"ran"`
	OK      bool     `json:"ok"`
	Steps   []string `json:"steps"`
	// Error is the first failure; Cleanup lists what the clean-up did after it.
	Error   string   `json:"error,omitempty"`
	Cleanup []string `json:"cleanup,omitempty"`
	// StateBefore and StateAfter are the PR state (READ FULL STATUS, or READ
	// KEYS, and READ RESERVATION) without the generation.
	StateBefore []string `json:"state_before"`
	StateAfter  []string `json:"state_after"`
	// Restored: StateAfter equals StateBefore.
	Restored bool `json:"restored"`
}

// WriteTest exercises PR OUT on a LU nobody has registered on (see
// docs/check-storage.md): scratch registration and WE-RO reservation read
// back with the generation advancing; with a second nexus, the write of an
// unregistered nexus refused and of a registered one accepted, and PREEMPT
// AND ABORT removing the other key; release, unregister and the PR state
// proven exactly as found. Any failure ends in Cleanup.
func WriteTest(ctx context.Context, t Target, opt WriteTestOptions) WriteTestResult {
	w := &writeTest{r: newWriteTestResult(t.Name), opt: opt}
	if err := w.precheck(ctx, t); err != nil {
		w.r.Error = "refused: " + err.Error()
		return w.r
	}
	w.r.Ran = true
	err := w.run(ctx)
	if err != nil {
		w.r.Error = err.Error()
		c := Cleanup(ctx, t)
		w.r.Cleanup = append(c.Removed, c.Errors...)
	}
	after, _, aerr := prState(ctx, w.a.Dev)
	if after != nil {
		w.r.StateAfter = after
	}
	w.r.Restored = aerr == nil && strings.Join(after, "\n") == strings.Join(w.r.StateBefore, "\n")
	if aerr != nil {
		w.r.Cleanup = append(w.r.Cleanup, "the final state could not be read: "+aerr.Error())
	} else if !w.r.Restored {
		w.r.Cleanup = append(w.r.Cleanup, "the LU is NOT as it began: compare state_before and state_after; run check-storage --cleanup (it removes only scratch keys)")
	}
	w.r.OK = err == nil && w.r.Restored
	return w.r
}

func newWriteTestResult(device string) WriteTestResult {
	return WriteTestResult{Device: device, Nexuses: []string{}, Steps: []string{}, StateBefore: []string{}, StateAfter: []string{}}
}

type writeTest struct {
	r    WriteTestResult
	opt  WriteTestOptions
	a, b *Path
	// base is the PR state found: other nexuses' keys and reservation.
	base   []scsi.Key
	baseRe *scsi.Reservation
	gen    uint32
	// writes: data writes are tested (a LU nobody else is registered on).
	writes bool
	block  []byte
}

func (w *writeTest) step(format string, a ...any) {
	s := fmt.Sprintf(format, a...)
	w.r.Steps = append(w.r.Steps, s)
	logging.Infof(w.opt.Log, "%s: write test: %s", w.r.Device, s)
	time.Sleep(w.opt.StepDelay) // bounded to a minute by the flag's check

}

// precheck picks the nexuses and refuses a LU in use (unless Force) and a
// peer that reaches another LU; nothing is sent but INQUIRY and PR IN.
func (w *writeTest) precheck(ctx context.Context, t Target) error {
	if len(t.Paths) == 0 {
		return errors.New("no path could be opened")
	}
	w.a = &t.Paths[0]
	if t.Peer != nil {
		w.b = t.Peer
	} else if len(t.Paths) > 1 {
		w.b = &t.Paths[1]
	}
	w.r.Nexuses = append(w.r.Nexuses, w.a.Name)
	if w.b != nil {
		w.r.Nexuses = append(w.r.Nexuses, w.b.Name)
		// Nexus names without an ISID are just initiator names: two
		// paths of one initiator, not one nexus.
		full := strings.Contains(w.a.Nexus, ",i,0x") && strings.Contains(w.b.Nexus, ",i,0x")
		if w.b.Name == w.a.Name || (full && sameNexus(w.a.Nexus, w.b.Nexus)) {
			return fmt.Errorf("%s and %s are one I_T nexus: the second nexus must be another path", w.a.Name, w.b.Name)
		}
		if err := sameLU(ctx, w.a, w.b); err != nil {
			return err
		}
	}
	state, kl, err := prState(ctx, w.a.Dev)
	if err != nil {
		return err
	}
	w.r.StateBefore = state
	res, err := w.a.Dev.ReadReservation(ctx)
	if err != nil {
		return fmt.Errorf("read reservation: %w", err)
	}
	w.base, w.baseRe, w.gen = kl.Keys, res, kl.Generation
	if len(kl.Keys) > 0 || res.Present {
		if !w.opt.Force {
			return fmt.Errorf("the LU has %d registration(s) (%s), reservation %v: it may be in use, so nothing is sent without --force (which never touches those registrations)",
				len(kl.Keys), joinKeys(kl.Keys), res.Present)
		}
		w.step("--force: %d registration(s) of others found (%s), reservation held: %v; they are not touched and no data is written", len(kl.Keys), joinKeys(kl.Keys), res.Present)
	}
	w.writes = len(kl.Keys) == 0 && !res.Present && w.a.IO != nil
	return nil
}

// sameLU requires the second nexus to reach the first one's LU.
func sameLU(ctx context.Context, a, b *Path) error {
	ia, err := scsi.LUIdentity(ctx, a.Dev)
	if err != nil {
		return fmt.Errorf("identity of %s: %w", a.Name, err)
	}
	ib, err := scsi.LUIdentity(ctx, b.Dev)
	if err != nil {
		return fmt.Errorf("identity of %s: %w", b.Name, err)
	}
	if ia != ib {
		return fmt.Errorf("%s reaches LU %s but %s reaches LU %s: the second nexus must reach the same LU", a.Name, ia, b.Name, ib)
	}
	return nil
}

// prState is the PR state as lines (no generation): one per registered
// nexus (READ FULL STATUS, else READ KEYS) and the reservation.
func prState(ctx context.Context, dev scsi.Device) ([]string, *scsi.KeyList, error) {
	kl, err := dev.ReadKeys(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("read keys: %w", err)
	}
	var lines []string
	if fs, err := dev.ReadFullStatus(ctx); err == nil && !fs.Partial {
		for _, d := range fs.Descriptors {
			lines = append(lines, fmt.Sprintf("registration %s nexus %s all_tg_pt=%v rel_tgt_port=%d holder=%v",
				d.Key, TransportID(d.TransportID), d.AllTgPt, d.RelativeTargetPortID, d.ReservationHolder))
		}
	} else {
		for _, k := range kl.Keys {
			lines = append(lines, "registration "+k.String())
		}
	}
	sort.Strings(lines)
	res, err := dev.ReadReservation(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("read reservation: %w", err)
	}
	if res.Present {
		lines = append(lines, fmt.Sprintf("reservation %s type %s scope %d", res.Key, res.Type, res.Scope))
	} else {
		lines = append(lines, "reservation none")
	}
	return lines, kl, nil
}
