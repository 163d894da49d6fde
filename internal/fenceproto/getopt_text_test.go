package fenceproto

import (
	"regexp"
	"testing"
)

// getoptRE is fence-agents' expression for the getopt part of a help text,
// the oracle of getoptText.
var getoptRE = regexp.MustCompile(`(?s)^(.*?--\S+)\s+`)

func checkGetoptText(t *testing.T, s string) {
	t.Helper()
	got, ok := getoptText(s)
	m := getoptRE.FindStringSubmatch(s)
	if ok != (m != nil) || (ok && got != m[1]) {
		t.Fatalf("getoptText(%q) = %q, %v; the expression gives %q", s, got, ok, m)
	}
}

// TestGetoptText: the hand-written match equals the expression on every
// help text of the option table and on edge cases.
func TestGetoptText(t *testing.T) {
	n := 0
	for _, o := range Table {
		checkGetoptText(t, o.Help)
		if _, ok := getoptText(o.Help); ok {
			n++
		}
	}
	if n == 0 {
		t.Fatal("no help text of the table has a getopt part")
	}
	for _, s := range []string{"", "--", "-- ", "--x", "--x ", "a --x\tb", "--\n--y\nz", "a--b--c d", "---a  b",
		"-k, --key=[key] Key", "--a\u00a0b c", "x -- y", "\xff--\xfe \x00", "--é\r"} {
		checkGetoptText(t, s)
	}
}

func FuzzGetoptText(f *testing.F) {
	for _, o := range Table {
		f.Add(o.Help)
	}
	f.Fuzz(func(t *testing.T, s string) { checkGetoptText(t, s) })
}
