package fenceproto

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDifferentialFiles compares --logfile and --debug-file contents with
// the real fence_scsi. FILE in the arguments or stdin is replaced by a
// fresh path for each agent.
func TestDifferentialFiles(t *testing.T) {
	if _, err := os.Stat(realAgent); err != nil {
		t.Skipf("!!! %s NOT INSTALLED: differential tests against fence_scsi SKIPPED (apt-get install fence-agents)", realAgent)
	}
	cases := []diffCase{
		{name: "logfile gets stdout", args: []string{"-o", "list", "-k", "1", "-d", "/dev/null", "--logfile=FILE"}},
		{name: "debug file gets errors", args: []string{"-o", "status", "-d", "/dev/null", "-D", "FILE"}},
		{name: "debug_file on stdin", stdin: "action=off\ndebug_file=FILE\ndevices=/dev/null\n"},
		{name: "logfile and a later error", args: []string{"-o", "status", "-d", "/dev/null", "--logfile", "FILE"},
			differs: "log lines after --logfile go to the file too (difference 7)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			withFile := func(c diffCase) (diffCase, string) {
				f := filepath.Join(t.TempDir(), "file")
				os.WriteFile(f, []byte("stale\n"), 0o644)
				var args []string
				for _, a := range c.args {
					args = append(args, strings.ReplaceAll(a, "FILE", f))
				}
				c.args, c.stdin = args, strings.ReplaceAll(c.stdin, "FILE", f)
				return c, f
			}
			rcase, rf := withFile(c)
			ocase, of := withFile(c)
			rc, rout, rerr, err := runReal(rcase)
			if err != nil {
				t.Fatal(err)
			}
			oc, oout, oerr := runOurs(t, ocase)
			rfile, _ := os.ReadFile(rf)
			ofile, _ := os.ReadFile(of)
			real := []string{rout, normaliseStderr(rerr), normaliseStderr(strings.ReplaceAll(string(rfile), rf, "FILE"))}
			ours := []string{oout, normaliseStderr(oerr), normaliseStderr(strings.ReplaceAll(string(ofile), of, "FILE"))}
			same := rc == oc && strings.Join(real, "\x00") == strings.Join(ours, "\x00")
			switch {
			case c.differs == "" && !same:
				t.Errorf("differs from fence_scsi:\n real exit %d %q\n ours exit %d %q", rc, real, oc, ours)
			case c.differs != "" && same:
				t.Errorf("documented difference %q no longer shows", c.differs)
			case c.differs != "":
				t.Logf("known difference: %s\n real exit %d %q\n ours exit %d %q", c.differs, rc, real, oc, ours)
			}
		})
	}
}
