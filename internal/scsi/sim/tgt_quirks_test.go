package sim

import (
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// One test per quirk bit that tests/lio found on tgtd 1.0.85 (run.sh --target tgt) and the
// conformance suite or the probes did not cover before: each bit alone, against strict SPC-4.

func TestQuirkPreemptZeroInvalidCDB(t *testing.T) {
	for _, s := range []scenario{
		{name: "strict", setup: withSetup(step{"a", reserve, 5, 1, 0, ""}), steps: []step{{"b", preempt, 5, 2, 0, "CC 5/26/00"}}, regs: "a=1 b=2", res: "5@a"},
		{name: "quirk", quirks: QuirkPreemptZeroInvalidCDB, setup: withSetup(step{"a", reserve, 5, 1, 0, ""}), steps: []step{{"b", preempt, 5, 2, 0, "CC 5/24/00"}}, regs: "a=1 b=2", res: "5@a"},
		// Under an all-registrants reservation SARK 0 is valid: the quirk does not apply.
		{name: "quirk AR", quirks: QuirkPreemptZeroInvalidCDB, setup: withSetup(step{"a", reserve, 7, 1, 0, ""}), steps: []step{{"b", preempt, 5, 2, 0, "GOOD"}}, regs: "b=2", res: "5@b", genDiff: 1,
			uas: map[string][]string{"a": {"CC 6/2A/05"}}},
	} {
		t.Run(s.name, s.run)
	}
}

func TestQuirkPreemptKeepsSender(t *testing.T) {
	three := withSetup(step{"c", regIgn, 0, 0, 2, ""}, step{"a", reserve, 5, 1, 0, ""})
	for _, s := range []scenario{
		{name: "strict", setup: three, steps: []step{{"b", preempt, 5, 2, 2, "GOOD"}}, regs: "a=1", res: "5@a", genDiff: 1,
			uas: map[string][]string{"c": {"CC 6/2A/05"}}},
		{name: "quirk", quirks: QuirkPreemptKeepsSender, setup: three, steps: []step{{"b", preempt, 5, 2, 2, "GOOD"}}, regs: "a=1 b=2", res: "5@a", genDiff: 1,
			uas: map[string][]string{"c": {"CC 6/2A/05"}}},
		{name: "quirk alone with the key", quirks: QuirkPreemptKeepsSender, setup: withSetup(step{"a", reserve, 5, 1, 0, ""}), steps: []step{{"b", preempt, 5, 2, 2, "GOOD"}}, regs: "a=1 b=2", res: "5@a", genDiff: 1},
		{name: "quirk unknown key", quirks: QuirkPreemptKeepsSender, setup: withSetup(step{"a", reserve, 5, 1, 0, ""}), steps: []step{{"b", preempt, 5, 2, 9, "CONFLICT"}}, regs: "a=1 b=2", res: "5@a"},
	} {
		t.Run(s.name, s.run)
	}
}

func TestQuirkReserveIgnoresKey(t *testing.T) {
	for _, s := range []scenario{
		{name: "strict", setup: ab, steps: []step{{"a", reserve, 5, 2, 0, "CONFLICT"}}, regs: "a=1 b=2"},
		{name: "quirk", quirks: QuirkReserveIgnoresKey, setup: ab, steps: []step{{"a", reserve, 5, 2, 0, "GOOD"}}, regs: "a=1 b=2", res: "5@a"},
		{name: "quirk unregistered", quirks: QuirkReserveIgnoresKey, setup: ab, steps: []step{{"c", reserve, 5, 1, 0, "CONFLICT"}}, regs: "a=1 b=2"},
	} {
		t.Run(s.name, s.run)
	}
}

func TestQuirkUAReleasedMisrouted(t *testing.T) {
	q := QuirkUAReleasedMisrouted
	for _, s := range []scenario{
		// RELEASE of an RO reservation: strict sends 2A/04 to the other registrant only.
		{name: "release RO", quirks: q, setup: withSetup(step{"a", reserve, 5, 1, 0, ""}), steps: []step{{"a", release, 5, 1, 0, "GOOD"}},
			regs: "a=1 b=2", uas: map[string][]string{"a": {"CC 6/2A/04"}, "c": {"CC 6/2A/04"}}},
		// The holder unregisters: every type but AR, WE included; the sender too gets it.
		{name: "unregister WE holder", quirks: q, setup: withSetup(step{"a", reserve, 1, 1, 0, ""}), steps: []step{{"a", regIgn, 0, 0, 0, "GOOD"}},
			regs: "b=2", genDiff: 1, uas: map[string][]string{"a": {"CC 6/2A/04"}, "c": {"CC 6/2A/04"}}},
		// Two other registrants: every nexus gets it once per other registrant it is not.
		{name: "release RO two others", quirks: q, setup: withSetup(step{"c", regIgn, 0, 0, 3, ""}, step{"a", reserve, 5, 1, 0, ""}), steps: []step{{"a", release, 5, 1, 0, "GOOD"}},
			regs: "a=1 b=2 c=3", uas: map[string][]string{"a": {"CC 6/2A/04", "CC 6/2A/04"}, "b": {"CC 6/2A/04"}, "c": {"CC 6/2A/04"}}},
	} {
		t.Run(s.name, s.run)
	}
}

// TestQuirkRejectOptionalBitsFirst: tgt looks at APTPL/ALL_TG_PT/SPEC_I_PT before the key, so an
// unregistered nexus with a wrong RK gets 24/00, not RESERVATION CONFLICT; and for every
// service action, RESERVE included.
func TestQuirkRejectOptionalBitsFirst(t *testing.T) {
	for _, tc := range []struct {
		q    Quirks
		want string
	}{{QuirkNone, "CONFLICT"}, {QuirkRejectOptionalBits, "CC 5/24/00"}} {
		lu := NewLU(WithQuirks(tc.q))
		a := lu.Connect("a")
		if got := outcome(run(t, a, prOutCmd(saRegister, 0, 1, 0, flagAPTPL))); got != tc.want {
			t.Errorf("quirks %#x: REGISTER RK=1 APTPL from an unregistered nexus: %s, want %s", tc.q, got, tc.want)
		}
		run(t, a, prOutCmd(saRegisterAndIgnore, 0, 0, 1, 0))
		got := outcome(run(t, a, prOutCmd(saReserve, 5, 1, 0, flagAllTgPt)))
		if want := map[Quirks]string{QuirkNone: "GOOD", QuirkRejectOptionalBits: "CC 5/24/00"}[tc.q]; got != want {
			t.Errorf("quirks %#x: RESERVE with ALL_TG_PT: %s, want %s", tc.q, got, want)
		}
	}
}

func TestQuirkMinAllocationCapabilities(t *testing.T) {
	for _, tc := range []struct {
		q    Quirks
		want string
	}{{QuirkNone, "GOOD"}, {QuirkMinAllocation, "GOOD"}, {QuirkMinAllocation | QuirkMinAllocationCapabilities, "CC 5/24/00"}} {
		lu := NewLU(WithQuirks(tc.q))
		if got := outcome(run(t, lu.Connect("a"), prInCmd(byte(scsi.PRInReportCapabilities), 6))); got != tc.want {
			t.Errorf("quirks %#x: REPORT CAPABILITIES, allocation 6: %s, want %s", tc.q, got, tc.want)
		}
	}
}
