package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoDocGenerator: built as make build builds it (tag urfave_cli_no_docs),
// the helper links urfave/cli without its man and markdown generator.
func TestNoDocGenerator(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command("go", "list", "-deps", "-tags", "urfave_cli_no_docs", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	have := map[string]bool{}
	for _, d := range strings.Fields(string(out)) {
		have[d] = true
		if strings.Contains(d, "go-md2man") || strings.Contains(d, "blackfriday") {
			t.Errorf("fence_scsi_go_tools links %s", d)
		}
	}
	for _, want := range []string{"github.com/urfave/cli/v2", "github.com/fence-scsi-go/fence_scsi_go/internal/arbcli",
		"github.com/fence-scsi-go/fence_scsi_go/internal/storagecheck"} {
		if !have[want] {
			t.Errorf("fence_scsi_go_tools does not link %s", want)
		}
	}
}
