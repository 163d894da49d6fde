package metadata

import (
	"regexp"
	"testing"
)

// roffRE is fence-agents' expression for the roff markers, the oracle of
// stripRoff.
var roffRE = regexp.MustCompile(`\\f[BPIR]|\.P|\.TP|\.br\n`)

func TestStripRoff(t *testing.T) {
	for _, s := range []string{"", `\fBbold\fP text.P more.TP x.br` + "\n" + "y", `\f`, `\fX`, `\\fB`, ".T.TP.P.br",
		".br", ".br\n.br\n", `\fI.TP\fR`, "..PP", "\xff\\fB\xfe"} {
		if got, want := stripRoff(s), roffRE.ReplaceAllString(s, ""); got != want {
			t.Errorf("stripRoff(%q) = %q, want %q", s, got, want)
		}
	}
}

func FuzzStripRoff(f *testing.F) {
	f.Add(`fence_scsi \fBon\fP.TP .br` + "\n")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := stripRoff(s), roffRE.ReplaceAllString(s, ""); got != want {
			t.Fatalf("stripRoff(%q) = %q, want %q", s, got, want)
		}
	})
}
