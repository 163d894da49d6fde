package host

import (
	"strings"
	"testing"
)

func TestBanner(t *testing.T) {
	b := Banner("the packaging test (tests/packaging)", "not root (needs apt-get and dpkg)", "packaging")
	lines := strings.Split(strings.Trim(b, "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("banner has %d lines, want 5:\n%s", len(lines), b)
	}
	for _, l := range lines {
		if len(l) != 70 {
			t.Errorf("line %q is %d characters wide, want 70", l, len(l))
		}
	}
	for _, want := range []string{"SKIPPED: the packaging test", "did NOT run: not root", "sudo make packaging"} {
		if !strings.Contains(b, want) {
			t.Errorf("banner lacks %q:\n%s", want, b)
		}
	}
}

func TestMissing(t *testing.T) {
	got := Missing([]Package{{"present", "/"}, {"absent", "/nonexistent/fsg-host-test"}})
	if len(got) != 1 || got[0] != "absent" {
		t.Errorf("Missing = %v, want [absent]", got)
	}
}
