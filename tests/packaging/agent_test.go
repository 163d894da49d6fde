//go:build packaging

package packaging

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/tests/vm"
)

func sha256Bytes(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

// purgeAll removes both packages if a failed test left them installed.
func purgeAll(t *testing.T) {
	for _, p := range []string{"fence-scsi-go-dropin", "fence-scsi-go"} {
		st := run(t, "", "dpkg-query", "-W", "-f", "${Status}", p).out
		if st != "" && !strings.HasSuffix(st, "not-installed") {
			t.Logf("cleaning up: dpkg --purge %s (%s)", p, st)
			dpkg(t, "--purge", p)
		}
	}
}

// metadata runs bin -o metadata and returns its output.
func metadata(t *testing.T, bin string) string {
	t.Helper()
	return must(t, "", bin, "-o", "metadata")
}

// buildInfo is `go version -m` without its first line (which names the file).
func buildInfo(t *testing.T, bin string) string {
	t.Helper()
	out := must(t, "", "go", "version", "-m", bin)
	_, rest, _ := strings.Cut(out, "\n")
	return rest
}

func checkMain(t *testing.T, b *build, before snapshot) {
	dpkg(t, "-i", b.files["fence-scsi-go.deb"])
	var want []string
	for _, l := range wantList(t, b, "fence-scsi-go.deb") {
		want = append(want, strings.TrimSuffix(strings.TrimPrefix(strings.Fields(l)[2], "."), "/"))
	}
	var got []string
	for _, l := range lines(must(t, "", "dpkg", "-L", "fence-scsi-go")) {
		if l != "/." {
			got = append(got, l)
		}
	}
	diffLines(t, "dpkg -L fence-scsi-go", want, got)

	// The installed agent is the clone's `make build` binary (stripped): same build info, same
	// metadata.
	repoBin := filepath.Join(b.dir, "bin", "fence_scsi_go")
	if bi, want := buildInfo(t, ourAgent), buildInfo(t, repoBin); bi != want {
		t.Errorf("go version -m %s:\n%s\nwant (make build):\n%s", ourAgent, bi, want)
	}
	meta := metadata(t, ourAgent)
	if meta != metadata(t, repoBin) {
		t.Errorf("%s -o metadata differs from the repository's build", ourAgent)
	}
	checkPcs(t, meta)
	checkTools(t, ourAgent)
	if r := run(t, "", "man", "-w", "fence_scsi_go"); strings.TrimSpace(r.out) != "/usr/share/man/man8/fence_scsi_go.8.gz" {
		t.Errorf("man -w fence_scsi_go: %q (exit %d)", r.out, r.rc)
	}
	// Nothing of fence-agents was touched.
	now := takeSnapshot(t, append(append([]string{}, diverted...), "/usr/share/man/man8/fence_scsi.8.gz"))
	compare(t, "with fence-scsi-go installed", before, now, append(append([]string{}, diverted...), "/usr/share/man/man8/fence_scsi.8.gz"))
	if now.agentsList != before.agentsList || now.diversions != before.diversions {
		t.Errorf("installing fence-scsi-go changed dpkg -L fence-agents or the diversions")
	}
}

// checkPcs: pcs lists both agents and describes ours from its metadata.
func checkPcs(t *testing.T, meta string) {
	list := must(t, "", "pcs", "stonith", "list")
	for _, a := range []string{"fence_scsi", "fence_scsi_go"} {
		if !strings.Contains("\n"+list, "\n"+a+" - ") {
			t.Errorf("pcs stonith list has no %s line:\n%s", a, list)
		}
	}
	desc := must(t, "", "pcs", "stonith", "describe", "--full", "fence_scsi_go")
	t.Logf("pcs stonith describe --full fence_scsi_go: %d lines, first: %s", len(lines(desc)), lines(desc)[0])
	short := ""
	if i := strings.Index(meta, `shortdesc="`); i >= 0 {
		short, _, _ = strings.Cut(meta[i+len(`shortdesc="`):], `"`)
	}
	if !strings.HasPrefix(desc, "fence_scsi_go - "+short+"\n") {
		t.Errorf("pcs stonith describe: want the first line %q, got\n%s", "fence_scsi_go - "+short, desc)
	}
	// pcs shows (and hides) for ours at least the parameters it shows for fence-agents' one.
	ref := must(t, "", "pcs", "stonith", "describe", "--full", "fence_scsi")
	ours := map[string]bool{}
	for _, m := range pcsParam.FindAllStringSubmatch(desc, -1) {
		ours[m[1]] = true
	}
	for _, m := range pcsParam.FindAllStringSubmatch(ref, -1) {
		if !ours[m[1]] {
			t.Errorf("pcs stonith describe --full fence_scsi_go lacks the parameter %s that fence_scsi has", m[1])
		}
	}
	if n := len(pcsParam.FindAllString(desc, -1)); n == 0 || n < len(pcsParam.FindAllString(ref, -1)) {
		t.Errorf("pcs stonith describe --full fence_scsi_go shows %d parameters", n)
	}
}

func checkDropin(t *testing.T, b *build, before snapshot) {
	dpkg(t, "-i", b.files["fence-scsi-go-dropin.deb"])
	div := must(t, "", "dpkg-divert", "--list", "*fence_scsi*")
	for _, d := range diverted {
		line := "diversion of " + d + " to " + d + ".distrib by fence-scsi-go-dropin"
		if !strings.Contains(div, line+"\n") {
			t.Errorf("dpkg-divert --list has no %q:\n%s", line, div)
		}
		// fence-agents' file, untouched, under the diverted name.
		if got := pathState(d + ".distrib"); got != before.state[d] {
			t.Errorf("%s.distrib is %q, want fence-agents' %s as it was: %q", d, got, d, before.state[d])
		}
		// fence_scsi runs the agent; the watchdog names the check's own binary.
		want := "fence_scsi_go"
		if base := filepath.Base(d); base != "fence_scsi" {
			want = "/libexec/fence-scsi-go/" + base
		}
		if l, _ := os.Readlink(d); !strings.HasSuffix(l, want) {
			t.Errorf("%s -> %q, want a link to ...%s", d, l, want)
		}
	}
	t.Logf("dpkg -S /usr/sbin/fence_scsi with the drop-in:\n%s", run(t, "", "dpkg-query", "-S", "/usr/sbin/fence_scsi").out)
	// fence_scsi runs our agent: its metadata is the repository build's under the name fence_scsi.
	link := filepath.Join(t.TempDir(), "fence_scsi")
	if err := os.Symlink(filepath.Join(b.dir, "bin", "fence_scsi_go"), link); err != nil {
		t.Fatal(err)
	}
	got, want := metadata(t, "/usr/sbin/fence_scsi"), metadata(t, link)
	if got != want || !strings.Contains(got, `<resource-agent name="fence_scsi" `) {
		t.Errorf("/usr/sbin/fence_scsi -o metadata is not fence_scsi_go's under the name fence_scsi:\n%s", got)
	}
	if got == metadata(t, "/usr/sbin/fence_scsi.distrib") {
		t.Errorf("/usr/sbin/fence_scsi gives the same metadata as fence-agents' script")
	}
	checkTools(t, "/usr/sbin/fence_scsi")
	fenceThroughDropin(t)
}

// checkTools: the installed agent runs check-storage and the arbitration commands through its
// helper /usr/libexec/fence-scsi-go/fence_scsi_go_tools. A device that does not exist gives the
// storage check's own report ("unreadable", exit 1) and acquire its own usage error; a missing
// helper would give "helper program ... is missing" instead.
func checkTools(t *testing.T, agent string) {
	missing := filepath.Join(t.TempDir(), "no-such-device")
	r := run(t, "", agent, "check-storage", "--key=1", "--devices="+missing)
	if r.rc != 1 || !strings.Contains(r.out, "[unreadable] cannot open "+missing) || !strings.Contains(r.out, "OVERALL: FAIL") {
		t.Errorf("%s check-storage on a missing device: want exit 1 and the unreadable report, got %+v", agent, r)
	}
	r = run(t, "", agent, "acquire")
	if r.rc != 1 || !strings.Contains(r.errOut, "acquire: a key is required") {
		t.Errorf("%s acquire without a key: want exit 1 and the usage error, got %+v", agent, r)
	}
}

// fenceThroughDropin fences for real through the name fence_scsi: tests/e2e/fence_demo.sh in the
// test guest (LIO over iSCSI; the guest sees this machine's root, so /usr/sbin/fence_scsi is
// the drop-in's link), after tests/packaging/packaging_dropin_fence.sh checked that the name is ours.
func fenceThroughDropin(t *testing.T) {
	root, err := vm.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	var script []byte
	for _, f := range []string{"tests/packaging/packaging_dropin_fence.sh", "tests/e2e/fence_demo.sh"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		script = append(append(script, b...), '\n')
	}
	p := filepath.Join(t.TempDir(), "dropin_fence.sh")
	if err := os.WriteFile(p, script, 0o644); err != nil {
		t.Fatal(err)
	}
	vm.Run(t, vm.Scenario{Nodes: 2, LUNs: 1, Agent: "/usr/sbin/fence_scsi", Script: p})
}
