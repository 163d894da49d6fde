package main

import (
	"os/exec"
	"strings"
	"testing"
)

// buildTags are make build's tags: urfave_cli_no_docs leaves urfave/cli's man and markdown
// generator out, and with it go-md2man and blackfriday, whose package initialisation would run
// at every start (every fence call and every watchdog check).
const buildTags = "urfave_cli_no_docs"

// TestNoDocGenerator fails when a change brings the documentation generator's packages (or
// other start-up weight that the agent does not use) back into the agent built as make build
// builds it.
func TestNoDocGenerator(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command("go", "list", "-deps", "-tags", buildTags, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 20 {
		t.Fatalf("go list -deps gave %d packages: %q", len(deps), out)
	}
	for _, d := range deps {
		for _, bad := range []string{"go-md2man", "blackfriday"} {
			if strings.Contains(d, bad) {
				t.Errorf("the agent links %s (build tag %s lost, or a new import of urfave/cli's docs?)", d, buildTags)
			}
		}
		// check-storage and the arbitration mode run in fence_scsi_go_tools (tools.go): their
		// packages and urfave/cli stay out of the binary every fence call starts.
		for _, bad := range []string{"github.com/urfave/", "/internal/arbcli", "/internal/arbitrate", "/internal/storagecheck"} {
			if strings.Contains(d, bad) {
				t.Errorf("the agent links %s, which belongs in fence_scsi_go_tools", d)
			}
		}
		// Packages whose initialisation every start would pay for code a fence call does not
		// run: net (log/syslog's transport; internal/fenceproto/syslog.go writes to the
		// socket itself), regexp (and the Unicode tables it keeps; the metadata's two
		// expressions are matched by hand), the crypto packages (crypto/md5 brings the FIPS
		// module's initialisation; internal/keys/nodekey/md5.go).
		if d == "net" || d == "log/syslog" || d == "regexp" || strings.HasPrefix(d, "crypto") || strings.HasPrefix(d, "vendor/golang.org/x/net") {
			t.Errorf("the agent links %s again", d)
		}
	}
	if !strings.Contains(string(out), "github.com/fence-scsi-go/fence_scsi_go/internal/agent\n") {
		t.Errorf("go list -deps does not list internal/agent: %q", out)
	}
}
