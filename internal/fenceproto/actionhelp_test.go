package fenceproto

import (
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/metadata"
)

// TestActionHelpText: the constant --action help line is what fence-agents' construction gives
// (the actions joined with ", " and " or ", wrapped at 42 columns after the option column).
func TestActionHelpText(t *testing.T) {
	acts := []string{"on", "off (default)", "status", "list", "list-status", "monitor", "metadata", "manpage", "validate-all"}
	want := "-o, --action=[action]          Action: " + metadata.Wrap(metadata.JoinWords(acts, " or "), 42)
	if actionHelpText != want {
		t.Errorf("actionHelpText = %q, want %q", actionHelpText, want)
	}
	if o := lookup(optAction); o == nil || o.Help != want {
		t.Errorf("the action option's help is not actionHelpText")
	}
}
