package fenceproto

import (
	"os"
	"strings"
	"testing"
)

// TestManPageMentionsEveryOption checks man/fence_scsi_go.8 names every
// option of the table (long and short form and the stdin names) and
// every action.
func TestManPageMentionsEveryOption(t *testing.T) {
	b, err := os.ReadFile("../../man/fence_scsi_go.8")
	if err != nil {
		t.Fatal(err)
	}
	man := strings.ReplaceAll(string(b), `\-`, "-")
	for _, o := range Table {
		if !strings.Contains(man, "--"+o.Long) {
			t.Errorf("man page does not mention --%s", o.Long)
		}
		if o.Short != 0 && !strings.Contains(man, "-"+string(o.Short)) {
			t.Errorf("man page does not mention -%c", o.Short)
		}
	}
	for _, p := range Parameters() {
		if !strings.Contains(man, p.Name) {
			t.Errorf("man page does not mention the stdin name %s", p.Name)
		}
	}
	for _, a := range []string{"on", "off", "status", "monitor", "list", "list-status", "metadata", "meta-data", "manpage", "validate-all", "enable", "disable", "reboot"} {
		if !strings.Contains(man, "\n.B "+a+"\n") && !strings.Contains(man, ".BR "+a) && !strings.Contains(man, "\\fB"+a+"\\fR") && !strings.Contains(man, `", " `+a) {
			t.Errorf("man page does not describe action %s", a)
		}
	}
}
