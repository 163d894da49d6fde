//go:build pacemaker

package pacemaker

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// both runs f for fence_scsi and fence_scsi_go concurrently and returns their results.
func both(f func(agent string) string) (ref, got string) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); ref = f(refAgent) }()
	go func() { defer wg.Done(); got = f(goAgent) }()
	wg.Wait()
	return ref, got
}

// TestNoPath: the agent works with no PATH (and no other variable) in its environment, from
// argv and from stdin, as pcs runs it for validation.
func TestNoPath(t *testing.T) {
	need(t)
	t.Parallel()
	dir := t.TempDir()
	agent := filepath.Join(sbin, goAgent)
	argv := run(t, dir, "", "/usr/bin/env", "-i", agent, "-o", "metadata")
	stdin := run(t, dir, "action=metadata\n", "/usr/bin/env", "-i", agent)
	for name, r := range map[string]result{"env -i " + agent + " -o metadata": argv, "echo action=metadata | env -i " + agent: stdin} {
		if r.rc != 0 || !strings.Contains(r.out, `<resource-agent name="fence_scsi_go"`) {
			t.Errorf("%s: want rc 0 and metadata XML, got:\n%s", name, r)
		}
	}
	if argv.out != stdin.out {
		t.Errorf("metadata from argv and from stdin differ:\n%s", udiff(t, argv.out, stdin.out))
	}
	// validate-all as Pacemaker sends it, without PATH, for both agents.
	in := "nodename=node1\naction=validate-all\nport=node1\ndevices=/dev/sdb\nkey_value=bogus\n"
	ref, got := both(func(a string) string {
		return normTime(run(t, dir, in, "/usr/bin/env", "-i", filepath.Join(sbin, a)).String())
	})
	same(t, "validate-all on stdin with env -i", ref, normName(got))
}

// TestStonithAdminMetadata: `stonith_admin --metadata` (Pacemaker's rewritten XML, 1.8).
func TestStonithAdminMetadata(t *testing.T) {
	need(t)
	t.Parallel()
	dir := t.TempDir()
	ref, got := both(func(a string) string {
		return run(t, dir, "", "stonith_admin", "--metadata", "--agent", a).String()
	})
	if !strings.Contains(got, `<resource-agent name="fence_scsi_go"`) {
		t.Errorf("stonith_admin --metadata --agent fence_scsi_go: no metadata:\n%s", got)
	}
	for _, want := range []string{
		`<action name="on" on_target="1" automatic="1"/>`, `<action name="stop" timeout="20s"/>`,
		`<parameter name="port" unique="0" required="0" deprecated="1">`, `<parameter name="plug" unique="0" required="0" obsoletes="port">`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("stonith_admin --metadata --agent fence_scsi_go lacks %s", want)
		}
	}
	for _, bad := range []string{`<action name="reboot"`, `<action name="list"`, `name="nodeid"`, "<version>"} {
		if strings.Contains(got, bad) {
			t.Errorf("stonith_admin --metadata --agent fence_scsi_go has %s", bad)
		}
	}
	same(t, "stonith_admin --metadata", normXML(ref), headToDebian(normXML(got)))
}

// TestCrmResourceMetadata: what pcs reads.
func TestCrmResourceMetadata(t *testing.T) {
	need(t)
	t.Parallel()
	dir := t.TempDir()
	ref, got := both(func(a string) string {
		return run(t, dir, "", "crm_resource", "--show-metadata", "stonith:"+a).String()
	})
	same(t, "crm_resource --show-metadata", normXML(ref), headToDebian(normXML(got)))
}

// TestPcsList: discovery; the shortdesc is what pcs shows.
func TestPcsList(t *testing.T) {
	need(t)
	t.Parallel()
	r := run(t, t.TempDir(), "", "pcs", "stonith", "list")
	line := func(a string) string {
		for _, l := range strings.Split(r.out, "\n") {
			if strings.HasPrefix(l, a+" - ") {
				return l
			}
		}
		return ""
	}
	ref, got := line(refAgent), line(goAgent)
	if got == "" {
		t.Fatalf("pcs stonith list has no fence_scsi_go line:\n%s", r)
	}
	same(t, "pcs stonith list line", ref, normName(got))
}

// TestPcsDescribe: `pcs stonith describe [--full]`.
func TestPcsDescribe(t *testing.T) {
	need(t)
	for _, full := range []bool{false, true} {
		name := "pcs stonith describe"
		args := []string{"pcs", "stonith", "describe"}
		if full {
			name += " --full"
			args = append(args, "--full")
		}
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			ref, got := both(func(a string) string { return run(t, dir, "", append(args, a)...).String() })
			same(t, name, normDescribe(ref), headToDebian(normDescribe(got)))
		})
	}
}

// TestPcsCreate: the same CIB from `pcs -f stonith create`, provides=unfencing added by pcs,
// crm_verify accepts it and crm_simulate schedules the unfencing of both nodes.
func TestPcsCreate(t *testing.T) {
	need(t)
	t.Parallel()
	dir := t.TempDir()
	create, cib := both(func(a string) string {
		f := filepath.Join(dir, a+".cib")
		if r := run(t, dir, "", "sh", "-c", "cibadmin --empty > "+f); r.rc != 0 {
			t.Fatalf("cibadmin --empty: %s", r)
		}
		r := run(t, dir, "", "pcs", "-f", f, "stonith", "create", "scsi", a, "devices=/dev/sdb",
			"pcmk_host_list=node1 node2", "pcmk_reboot_action=off")
		return r.String()
	})
	same(t, "pcs -f CIB stonith create (output)", create, normName(cib))
	b1, _ := os.ReadFile(filepath.Join(dir, refAgent+".cib"))
	b2, _ := os.ReadFile(filepath.Join(dir, goAgent+".cib"))
	ref, got := string(b1), string(b2)
	if !strings.Contains(got, `type="fence_scsi_go"`) {
		t.Fatalf("the CIB has no fence_scsi_go primitive:\n%s", got)
	}
	if !strings.Contains(got, `name="provides" value="unfencing"`) {
		t.Errorf("pcs did not add provides=unfencing for fence_scsi_go:\n%s", got)
	}
	same(t, "CIB after pcs stonith create", ref, normName(got))

	vref, vgot := both(func(a string) string {
		return run(t, dir, "", "crm_verify", "-V", "-x", filepath.Join(dir, a+".cib")).String()
	})
	if !strings.HasSuffix(vgot, "[rc=0]\n") {
		t.Errorf("crm_verify -x on the fence_scsi_go CIB: want rc 0, got:\n%s", vgot)
	}
	same(t, "crm_verify -V -x", vref, normName(vgot))

	sref, sgot := both(func(a string) string {
		return run(t, dir, "", "crm_simulate", "-x", filepath.Join(dir, a+".cib"), "-S", "-u", "node1", "-u", "node2").String()
	})
	for _, n := range []string{"node1", "node2"} {
		if !strings.Contains(sgot, "Fence (on) "+n+" 'required by scsi monitor'") {
			t.Errorf("crm_simulate does not schedule the unfencing of %s:\n%s", n, sgot)
		}
	}
	same(t, "crm_simulate -S -u node1 -u node2", sref, normName(sgot))
}

// TestPcsErrors: pcs refuses or warns the same way for both agents.
func TestPcsErrors(t *testing.T) {
	need(t)
	cases := []struct {
		name string
		args []string
		rc   int // expected exit status of pcs (both agents)
		// goDiff is set where fence_scsi_go differs on purpose (docs/differences.md): then
		// pcs must fail for fence_scsi_go with this text, instead of matching fence_scsi.
		goDiff string
	}{
		{"unknown option", []string{"bogus_opt=1"}, 1, ""},
		{"port", []string{"port=node1"}, 0, ""},
		{"action=off", []string{"action=off"}, 1, ""},
		{"empty devices", []string{"devices="}, 1, ""},
		{"bad operation", []string{"op", "bogusop", "interval=5"}, 1, ""},
		{"agent-validation bad key_value", []string{"key_value=bogus", "--agent-validation"}, 0, ""},
		{"agent-validation ok", []string{"devices=/dev/sdb", "--agent-validation"}, 0, ""},
		{"agent-validation bad delay", []string{"devices=/dev/sdb", "delay=1.5", "--agent-validation"}, 1, ""},
		// Difference 3: a key that can never work is refused by validate-all too.
		{"agent-validation bad key", []string{"devices=/dev/sdb", "key=0", "--agent-validation"}, 0, "ERROR: Failed: key cannot be 0"},
		{"agent-validation devices and plug", []string{"devices=/dev/sdb", "plug=node2", "--agent-validation"}, 0, ""},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			ref, got := both(func(a string) string {
				f := filepath.Join(dir, a+".cib")
				if r := run(t, dir, "", "sh", "-c", "cibadmin --empty > "+f); r.rc != 0 {
					t.Fatalf("cibadmin --empty: %s", r)
				}
				argv := append([]string{"pcs", "-f", f, "stonith", "create", "f1", a}, c.args...)
				r := run(t, dir, "", argv...)
				out := strings.ReplaceAll(normTime(r.String()), a, "AGENT")
				if a == goAgent {
					out = headToDebian(out)
				}
				return out
			})
			t.Logf("pcs stonith create f1 AGENT %s:\n%s", strings.Join(c.args, " "), got)
			if !strings.HasSuffix(ref, "[rc="+strconv.Itoa(c.rc)+"]\n") {
				t.Errorf("fence_scsi: want rc %d (pcs stonith create validation), got:\n%s", c.rc, ref)
			}
			if c.goDiff != "" {
				if !strings.HasSuffix(got, "[rc=1]\n") || !strings.Contains(got, c.goDiff) {
					t.Errorf("fence_scsi_go: want pcs to fail with %q (deliberate difference), got:\n%s", c.goDiff, got)
				}
				return
			}
			same(t, "pcs stonith create f1 AGENT "+strings.Join(c.args, " "), ref, got)
		})
	}
}

// TestValidate: `stonith_admin --validate --output-as xml`, which pcs --agent-validation runs.
func TestValidate(t *testing.T) {
	need(t)
	cases := [][]string{
		{"devices=/dev/sdb", "key_value=bogus"},
		{"devices=/dev/sdb"},
		{},
		{"devices=/dev/sdb", "key_value=hash", "plug=node2"},
		{"devices=/dev/sdb", "delay=1.5"},
		{"devices=/dev/sdb", "bogus=1"},
		{"devices=/dev/sdb", "key=fe5c0001", "aptpl=1", "readonly=1"},
	}
	for _, c := range cases {
		name := "stonith_admin --validate --output-as xml " + strings.Join(c, " ")
		t.Run(strings.ReplaceAll(strings.Join(append([]string{"opts"}, c...), "_"), "/", "_"), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			ref, got := both(func(a string) string {
				argv := []string{"stonith_admin", "--validate", "--output-as", "xml", "--agent", a}
				for _, o := range c {
					argv = append(argv, "--option", o)
				}
				return normTime(run(t, dir, "", argv...).String())
			})
			same(t, name, ref, normName(got))
		})
	}
}
