package metadata_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/fence-scsi-go/fence_scsi_go/internal/fenceproto"
	"github.com/fence-scsi-go/fence_scsi_go/internal/metadata"
)

// refDir holds fence_scsi's own output (fence-agents upstream HEAD: -o metadata and -h).
const refDir = "testdata/"

func readRef(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(refDir + name)
	if err != nil {
		t.Fatalf("reference file missing: %v", err)
	}
	return string(b)
}

var longdesc = regexp.MustCompile(`(?s)<longdesc>.*?</longdesc>`)

// TestMetadataMatchesUpstreamHead diffs our metadata against the upstream
// HEAD reference with only the agent name and the long description
// replaced by ours.
func TestMetadataMatchesUpstreamHead(t *testing.T) {
	ref := readRef(t, "fence_scsi.metadata.upstream-head.xml")
	got := string(metadata.XML(fenceproto.Agent("fence_scsi_go"), false))
	ourLong := strings.ReplaceAll(fenceproto.LongDesc, ".P", "")
	want := strings.Replace(ref, `<resource-agent name="fence_scsi" `, `<resource-agent name="fence_scsi_go" `, 1)
	want = longdesc.ReplaceAllLiteralString(want, "<longdesc>"+ourLong+"</longdesc>")
	if got != want {
		gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("metadata differs at line %d:\n got %q\nwant %q", i+1, g, w)
			}
		}
	}
	// And it is well-formed XML that etree reads back.
	doc := etree.NewDocument()
	if err := doc.ReadFromString(got); err != nil {
		t.Fatal(err)
	}
	if n := len(doc.FindElements("//parameter")); n != strings.Count(ref, "<parameter ") {
		t.Fatalf("%d parameters, want as many as the reference", n)
	}
}

func TestManpageKeepsRoffMarkers(t *testing.T) {
	man := string(metadata.XML(fenceproto.Agent("x"), true))
	meta := string(metadata.XML(fenceproto.Agent("x"), false))
	if !strings.Contains(man, "\n.P\n") || strings.Contains(meta, ".P") {
		t.Fatalf("manpage must keep .P and metadata drop it")
	}
	if strings.Replace(man, ".P", "", 1) != meta {
		t.Fatalf("manpage and metadata differ by more than .P")
	}
}

func TestHelpMatchesUpstreamHead(t *testing.T) {
	ref := readRef(t, "fence_scsi.help.upstream-head.txt")
	got := fenceproto.Usage("fence_scsi_go")
	want := strings.Replace(ref, "\tfence_scsi [options]", "\tfence_scsi_go [options]", 1)
	if got != want {
		t.Fatalf("help differs:\n%s", got)
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		in     string
		indent int
		want   string
	}{
		{"short", 3, "short"},
		{"a  b", 3, "a  b"},
		// A tab is 8 spaces, the other whitespace characters one each.
		{"a\tb\nc\r\vd\fe", 3, "a        b c  d e"},
		// A word longer than the line stays whole on its own line.
		{"x " + strings.Repeat("y", 90) + " z", 3, "x\n" + strings.Repeat(" ", 40) + strings.Repeat("y", 90) + "\n" + strings.Repeat(" ", 40) + "z"},
		{strings.Repeat("word ", 20), 3, strings.TrimSpace(strings.Repeat("word ", 16)) + "\n" + strings.Repeat(" ", 40) + strings.TrimSpace(strings.Repeat("word ", 4))},
	}
	for _, tc := range tests {
		if got := metadata.Wrap(tc.in, tc.indent); got != tc.want {
			t.Errorf("Wrap(%q):\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
	if got := metadata.JoinWords([]string{"a", "b", "c"}, " or "); got != "a, b or c" {
		t.Errorf("JoinWords = %q", got)
	}
}
