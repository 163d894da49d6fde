package sim

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

const (
	register = 0x00
	reserve  = 0x01
	release  = 0x02
	clearSA  = 0x03
	preempt  = 0x04
	abort    = 0x05
	regIgn   = 0x06
)

// step is one PR OUT from a nexus ("a", "b", "c") and its expected outcome.
type step struct {
	nexus    string
	sa, typ  byte
	rk, sark uint64
	want     string
}

// scenario runs setup steps (which must all be GOOD), then the steps under
// test, and compares the resulting state.
type scenario struct {
	name   string
	quirks Quirks
	setup  []step
	steps  []step
	// Expected state afterwards.
	regs    string // "a=1 b=2" in registration order
	res     string // "" or "5@a" (type@holder, holder "*" for AR)
	genDiff uint32 // generation change caused by steps
	uas     map[string][]string
}

func (s scenario) run(t *testing.T) {
	lu := NewLU(WithQuirks(s.quirks))
	ports := map[string]scsi.Transport{}
	port := func(n string) scsi.Transport {
		if ports[n] == nil {
			ports[n] = lu.Connect(n)
		}
		return ports[n]
	}
	for _, st := range s.setup {
		if got := outcome(prOut(t, port(st.nexus), st.sa, st.typ, st.rk, st.sark)); got != "GOOD" {
			t.Fatalf("setup %+v: %s", st, got)
		}
	}
	for _, n := range []string{"a", "b", "c"} {
		drainUA(t, port(n))
	}
	gen := lu.Generation()
	for _, st := range s.steps {
		if got := outcome(prOut(t, port(st.nexus), st.sa, st.typ, st.rk, st.sark)); got != st.want {
			t.Errorf("step %+v: got %s, want %s", st, got, st.want)
		}
	}
	var regs []string
	for _, r := range lu.Registrations() {
		regs = append(regs, fmt.Sprintf("%s=%d", r.Nexus, r.Key))
	}
	if got := strings.Join(regs, " "); got != s.regs {
		t.Errorf("registrations %q, want %q", got, s.regs)
	}
	rs := lu.ReservationState()
	res := ""
	if rs.Present {
		h := rs.Holder
		if h == "" {
			h = "*"
		}
		res = fmt.Sprintf("%d@%s", rs.Type, h)
	}
	if res != s.res {
		t.Errorf("reservation %q, want %q", res, s.res)
	}
	if d := lu.Generation() - gen; d != s.genDiff {
		t.Errorf("generation changed by %d, want %d", d, s.genDiff)
	}
	for _, n := range []string{"a", "b", "c"} {
		if got := drainUA(t, port(n)); !reflect.DeepEqual(got, s.uas[n]) {
			t.Errorf("UAs of %s: %q, want %q", n, got, s.uas[n])
		}
	}
}

var ab = []step{{"a", regIgn, 0, 0, 1, "GOOD"}, {"b", regIgn, 0, 0, 2, "GOOD"}}

func withSetup(extra ...step) []step { return append(append([]step(nil), ab...), extra...) }

func TestPROutSemantics(t *testing.T) {
	ua := func(s string) []string { return []string{s} }
	for _, s := range []scenario{
		// REGISTER (SPC-4 5.13, registering; 6.16.2)
		{name: "register unregistered RK=0", steps: []step{{"a", register, 0, 0, 7, "GOOD"}}, regs: "a=7", genDiff: 1},
		{name: "register unregistered RK≠0", steps: []step{{"a", register, 0, 3, 7, "CONFLICT"}}, genDiff: 0},
		{name: "register no-op", steps: []step{{"a", register, 0, 0, 0, "GOOD"}}, genDiff: 0},
		{name: "register no-op tgt", quirks: QuirkTGT, steps: []step{{"a", register, 0, 0, 0, "GOOD"}}, genDiff: 1},
		{name: "register wrong RK", setup: ab, steps: []step{{"a", register, 0, 0, 9, "CONFLICT"}}, regs: "a=1 b=2"},
		{name: "register replace", setup: ab, steps: []step{{"a", register, 0, 1, 9, "GOOD"}}, regs: "a=9 b=2", genDiff: 1},
		{name: "unregister", setup: ab, steps: []step{{"a", register, 0, 1, 0, "GOOD"}}, regs: "b=2", genDiff: 1},
		{name: "unregister LIO", quirks: QuirkLIO, setup: ab, steps: []step{{"a", register, 0, 1, 0, "GOOD"}}, regs: "b=2"},
		{name: "unregister RO holder", setup: withSetup(step{"a", reserve, 5, 1, 0, ""}),
			steps: []step{{"a", regIgn, 0, 0, 0, "GOOD"}}, regs: "b=2", genDiff: 1, uas: map[string][]string{"b": ua("CC 6/2A/04")}},
		{name: "unregister WE holder", setup: withSetup(step{"a", reserve, 1, 1, 0, ""}),
			steps: []step{{"a", regIgn, 0, 0, 0, "GOOD"}}, regs: "b=2", genDiff: 1},
		{name: "unregister AR registrant keeps", setup: withSetup(step{"a", reserve, 7, 1, 0, ""}),
			steps: []step{{"a", regIgn, 0, 0, 0, "GOOD"}}, regs: "b=2", res: "7@*", genDiff: 1},
		{name: "unregister last AR registrant", setup: withSetup(step{"a", reserve, 8, 1, 0, ""}),
			steps: []step{{"a", regIgn, 0, 0, 0, "GOOD"}, {"b", register, 0, 2, 0, "GOOD"}}, genDiff: 2},
		{name: "register-and-ignore ignores RK", setup: ab, steps: []step{{"a", regIgn, 0, 77, 5, "GOOD"}}, regs: "a=5 b=2", genDiff: 1},
		// RESERVE (SPC-4 5.13, reserving)
		{name: "reserve", setup: ab, steps: []step{{"a", reserve, 5, 1, 0, "GOOD"}, {"a", reserve, 5, 1, 0, "GOOD"}}, regs: "a=1 b=2", res: "5@a"},
		{name: "reserve bad type", setup: ab, steps: []step{{"a", reserve, 2, 1, 0, "CC 5/24/00"}}, regs: "a=1 b=2"},
		{name: "reserve bad scope", setup: ab, steps: []step{{"a", reserve, 0x15, 1, 0, "CC 5/24/00"}}, regs: "a=1 b=2"},
		{name: "reserve bad scope LIO", quirks: QuirkLIO, setup: ab, steps: []step{{"a", reserve, 0x15, 1, 0, "CC 5/26/00"}}, regs: "a=1 b=2"},
		{name: "reserve wrong key", setup: ab, steps: []step{{"a", reserve, 5, 2, 0, "CONFLICT"}}, regs: "a=1 b=2"},
		{name: "reserve unregistered", steps: []step{{"c", reserve, 5, 0, 0, "CONFLICT"}}},
		{name: "reserve unregistered LIO", quirks: QuirkLIO, steps: []step{{"c", reserve, 5, 0, 0, "CC 2/08/00"}, {"c", release, 5, 0, 0, "CC 2/08/00"}, {"c", clearSA, 0, 0, 0, "CC 2/08/00"}}},
		{name: "reserve unregistered LIO held", quirks: QuirkLIO, setup: withSetup(step{"a", reserve, 5, 1, 0, ""}),
			steps: []step{{"c", reserve, 5, 0, 0, "CONFLICT"}, {"c", release, 5, 0, 0, "CONFLICT"}, {"c", clearSA, 0, 0, 0, "CONFLICT"}, {"c", preempt, 5, 0, 1, "CONFLICT"}}, regs: "a=1 b=2", res: "5@a"},
		{name: "holder reserves other type", setup: withSetup(step{"a", reserve, 5, 1, 0, ""}), steps: []step{{"a", reserve, 6, 1, 0, "CONFLICT"}}, regs: "a=1 b=2", res: "5@a"},
		{name: "non-holder reserves", setup: withSetup(step{"a", reserve, 5, 1, 0, ""}), steps: []step{{"b", reserve, 5, 2, 0, "CONFLICT"}}, regs: "a=1 b=2", res: "5@a"},
		{name: "AR second registrant reserves", setup: withSetup(step{"a", reserve, 7, 1, 0, ""}), steps: []step{{"b", reserve, 7, 2, 0, "GOOD"}}, regs: "a=1 b=2", res: "7@*"},
		// RELEASE (SPC-4 5.13, releasing)
		{name: "release RO", setup: withSetup(step{"a", reserve, 5, 1, 0, ""}), steps: []step{{"a", release, 5, 1, 0, "GOOD"}},
			regs: "a=1 b=2", uas: map[string][]string{"b": ua("CC 6/2A/04")}},
		{name: "release WE", setup: withSetup(step{"a", reserve, 1, 1, 0, ""}), steps: []step{{"a", release, 1, 1, 0, "GOOD"}}, regs: "a=1 b=2"},
		{name: "release WE tgt", quirks: QuirkTGT, setup: withSetup(step{"a", reserve, 1, 1, 0, ""}), steps: []step{{"a", release, 1, 1, 0, "GOOD"}},
			regs: "a=1 b=2", uas: map[string][]string{"a": ua("CC 6/2A/04"), "c": ua("CC 6/2A/04")}},
		{name: "release AR by other registrant", setup: withSetup(step{"a", reserve, 8, 1, 0, ""}), steps: []step{{"b", release, 8, 2, 0, "GOOD"}},
			regs: "a=1 b=2", uas: map[string][]string{"a": ua("CC 6/2A/04")}},
		{name: "release wrong type", setup: withSetup(step{"a", reserve, 5, 1, 0, ""}), steps: []step{{"a", release, 6, 1, 0, "CC 5/26/04"}}, regs: "a=1 b=2", res: "5@a"},
		{name: "release wrong type LIO", quirks: QuirkLIO, setup: withSetup(step{"a", reserve, 5, 1, 0, ""}), steps: []step{{"a", release, 6, 1, 0, "CONFLICT"}}, regs: "a=1 b=2", res: "5@a"},
		{name: "release non-holder", setup: withSetup(step{"a", reserve, 5, 1, 0, ""}), steps: []step{{"b", release, 5, 2, 0, "GOOD"}}, regs: "a=1 b=2", res: "5@a"},
		{name: "release non-holder wrong key", setup: withSetup(step{"a", reserve, 5, 1, 0, ""}), steps: []step{{"b", release, 5, 9, 0, "CONFLICT"}}, regs: "a=1 b=2", res: "5@a"},
		{name: "release non-holder wrong key LIO", quirks: QuirkLIO, setup: withSetup(step{"a", reserve, 5, 1, 0, ""}), steps: []step{{"b", release, 5, 9, 0, "GOOD"}}, regs: "a=1 b=2", res: "5@a"},
		{name: "release holder wrong key LIO", quirks: QuirkLIO, setup: withSetup(step{"a", reserve, 5, 1, 0, ""}), steps: []step{{"a", release, 5, 9, 0, "CONFLICT"}}, regs: "a=1 b=2", res: "5@a"},
		// CLEAR (SPC-4 5.13, clearing)
		{name: "clear", setup: withSetup(step{"c", regIgn, 0, 0, 1, ""}, step{"a", reserve, 3, 1, 0, ""}), steps: []step{{"a", clearSA, 0, 1, 0, "GOOD"}},
			genDiff: 1, uas: map[string][]string{"b": ua("CC 6/2A/03"), "c": ua("CC 6/2A/03")}},
		{name: "clear wrong key", setup: ab, steps: []step{{"a", clearSA, 0, 2, 0, "CONFLICT"}}, regs: "a=1 b=2"},
	} {
		t.Run(s.name, s.run)
	}
}
