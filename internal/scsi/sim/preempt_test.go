package sim

import "testing"

// abc registers a=1, b=2, c=3 (c plays the "other path" or third node).
func abc(extra ...step) []step {
	return append(withSetup(step{"c", regIgn, 0, 0, 3, ""}), extra...)
}

// TestPreemptTable walks the cases of SPC-4 5.13 (preempting): reservation
// type, holder or not, SARK 0 or the holder's key.
func TestPreemptTable(t *testing.T) {
	ua := func(s ...string) []string { return s }
	for _, s := range []scenario{
		{name: "none, SARK 0", setup: ab, steps: []step{{"b", preempt, 5, 2, 0, "CC 5/26/00"}}, regs: "a=1 b=2"},
		{name: "none, SARK 0 tgt", quirks: QuirkTGT, setup: ab, steps: []step{{"b", preempt, 5, 2, 0, "GOOD"}}, regs: "a=1 b=2", genDiff: 1},
		{name: "none, SARK matches", setup: ab, steps: []step{{"b", preempt, 3, 2, 1, "GOOD"}}, regs: "b=2", genDiff: 1,
			uas: map[string][]string{"a": ua("CC 6/2A/05")}},
		{name: "none, SARK matches tgt UA", quirks: QuirkTGT, setup: ab, steps: []step{{"b", preempt, 3, 2, 1, "GOOD"}}, regs: "b=2", genDiff: 1,
			uas: map[string][]string{"a": ua("CC 6/2A/03")}},
		{name: "none, SARK unmatched", setup: ab, steps: []step{{"b", preempt, 5, 2, 9, "CONFLICT"}}, regs: "a=1 b=2"},
		{name: "unregistered sender", setup: ab, steps: []step{{"c", preempt, 5, 0, 1, "CONFLICT"}}, regs: "a=1 b=2"},
		{name: "wrong RK", setup: ab, steps: []step{{"b", preempt, 5, 1, 1, "CONFLICT"}}, regs: "a=1 b=2"},
		{name: "bad type", setup: ab, steps: []step{{"b", preempt, 4, 2, 1, "CC 5/24/00"}}, regs: "a=1 b=2"},
		{name: "RO, SARK 0", setup: withSetup(step{"a", reserve, 5, 1, 0, ""}), steps: []step{{"b", preempt, 5, 2, 0, "CC 5/26/00"}}, regs: "a=1 b=2", res: "5@a"},
		{name: "RO, non-holder key", setup: abc(step{"a", reserve, 5, 1, 0, ""}), steps: []step{{"b", preempt, 5, 2, 3, "GOOD"}},
			regs: "a=1 b=2", res: "5@a", genDiff: 1, uas: map[string][]string{"c": ua("CC 6/2A/05")}},
		{name: "RO, holder key, same type", setup: abc(step{"a", reserve, 5, 1, 0, ""}), steps: []step{{"b", preempt, 5, 2, 1, "GOOD"}},
			regs: "b=2 c=3", res: "5@b", genDiff: 1, uas: map[string][]string{"a": ua("CC 6/2A/05")}},
		{name: "RO, holder key, type change", setup: abc(step{"a", reserve, 5, 1, 0, ""}), steps: []step{{"b", preempt, 6, 2, 1, "GOOD"}},
			regs: "b=2 c=3", res: "6@b", genDiff: 1, uas: map[string][]string{"a": ua("CC 6/2A/05"), "c": ua("CC 6/2A/04")}},
		{name: "RO, holder key shared by sender", setup: withSetup(step{"c", regIgn, 0, 0, 1, ""}, step{"a", reserve, 5, 1, 0, ""}),
			steps: []step{{"c", preempt, 5, 1, 1, "GOOD"}}, regs: "b=2 c=1", res: "5@c", genDiff: 1, uas: map[string][]string{"a": ua("CC 6/2A/05")}},
		{name: "self-preempt by holder", setup: withSetup(step{"c", regIgn, 0, 0, 1, ""}, step{"a", reserve, 5, 1, 0, ""}),
			steps: []step{{"a", preempt, 5, 1, 1, "GOOD"}}, regs: "a=1 b=2", res: "5@a", genDiff: 1, uas: map[string][]string{"c": ua("CC 6/2A/05")}},
		{name: "self-preempt by non-holder", setup: withSetup(step{"c", regIgn, 0, 0, 2, ""}, step{"a", reserve, 5, 1, 0, ""}),
			steps: []step{{"b", preempt, 5, 2, 2, "GOOD"}}, regs: "a=1", res: "5@a", genDiff: 1, uas: map[string][]string{"c": ua("CC 6/2A/05")}},
		{name: "self-preempt, no reservation", setup: withSetup(step{"c", regIgn, 0, 0, 1, ""}),
			steps: []step{{"a", preempt, 5, 1, 1, "GOOD"}}, regs: "b=2", genDiff: 1, uas: map[string][]string{"c": ua("CC 6/2A/05")}},
		{name: "AR, SARK 0", setup: abc(step{"a", reserve, 7, 1, 0, ""}), steps: []step{{"b", preempt, 5, 2, 0, "GOOD"}},
			regs: "b=2", res: "5@b", genDiff: 1, uas: map[string][]string{"a": ua("CC 6/2A/05"), "c": ua("CC 6/2A/05")}},
		{name: "AR, SARK matches", setup: abc(step{"a", reserve, 8, 1, 0, ""}), steps: []step{{"b", preempt, 5, 2, 1, "GOOD"}},
			regs: "b=2 c=3", res: "8@*", genDiff: 1, uas: map[string][]string{"a": ua("CC 6/2A/05")}},
		{name: "AR, SARK unmatched", setup: withSetup(step{"a", reserve, 8, 1, 0, ""}), steps: []step{{"b", preempt, 5, 2, 9, "CONFLICT"}}, regs: "a=1 b=2", res: "8@*"},
		{name: "abort, holder", setup: withSetup(step{"a", reserve, 5, 1, 0, ""}), steps: []step{{"b", abort, 5, 2, 1, "GOOD"}},
			regs: "b=2", res: "5@b", genDiff: 1, uas: map[string][]string{"a": ua("CC 6/2A/05")}},
		{name: "abort tgt", quirks: QuirkTGT, setup: withSetup(step{"a", reserve, 5, 1, 0, ""}), steps: []step{{"b", abort, 5, 2, 1, "CC 5/24/00"}},
			regs: "a=1 b=2", res: "5@a"},
	} {
		t.Run(s.name, s.run)
	}
}
