package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLeanImports fails when the watchdog check's binary links a package whose
// initialisation or size every start would pay and that the check does not need: the
// logging library, regular expressions, cryptography, process execution, JSON, the
// network, the agent's command-line and XML libraries. The check is started every few
// seconds on every node; docs/benchmarks.md measures what each of these costs.
func TestLeanImports(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps gave %d packages: %q", len(deps), out)
	}
	have := map[string]bool{}
	for _, d := range deps {
		have[d] = true
		for _, bad := range []string{"log/slog", "regexp", "crypto/", "os/exec", "encoding/json",
			"net", "text/template", "github.com/urfave/", "github.com/beevik/"} {
			if d == bad || strings.HasPrefix(d, bad) && strings.HasSuffix(bad, "/") ||
				strings.HasPrefix(d, bad+"/") {
				t.Errorf("fence_scsi_check links %s", d)
			}
		}
	}
	// The check itself must be there: a broken list would pass the loop above.
	for _, want := range []string{"github.com/fence-scsi-go/fence_scsi_go/internal/check",
		"github.com/fence-scsi-go/fence_scsi_go/internal/pr/prdev", "golang.org/x/sys/unix"} {
		if !have[want] {
			t.Errorf("fence_scsi_check does not link %s", want)
		}
	}
}
