package e2e

// fence_scsi parity scenarios on real storage: multipath, the watchdog check mode
// (including the hardreboot variant really rebooting the guest), APTPL and read-only opens.
// Each scenario script asserts on the device itself (sg_persist through another node's
// nexus) and on real writes; parity_lib.sh holds the extra helpers and is prepended to the
// script here, so the scenarios run with any agent.
//
// Each test runs a private copy of the agent (under /var/tmp, which the guest sees through its
// 9p view of the host root; the guest's /tmp is its own): the guest maps the binary lazily over
// 9p, and a rebuild of bin/fence_scsi_go by `make build` during a run made the agent die with
// "fatal error: invalid runtime symbol table" in the guest.

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/tests/vm"
)

// libScript writes the helper libraries (tests/e2e/LIB...) followed by the scenario into a
// temporary file: the guest receives one script.
func libScript(t *testing.T, scenario string, libs ...string) string {
	t.Helper()
	root, err := vm.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for _, f := range append(libs, scenario) {
		b, err := os.ReadFile(filepath.Join(root, "tests", "e2e", f))
		if err != nil {
			t.Fatal(err)
		}
		all = append(append(all, b...), '\n')
	}
	p := filepath.Join(t.TempDir(), scenario)
	if err := os.WriteFile(p, all, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// parityScript is the scenario with parity_lib.sh before it.
func parityScript(t *testing.T, scenario string) string {
	return libScript(t, scenario, "parity_lib.sh")
}

// agentCopy returns a private copy of the agent under test, removed when t ends.
func agentCopy(t *testing.T) string {
	t.Helper()
	src := vm.DefaultAgent()
	if os.Getenv("FSG_E2E") != "1" {
		return src // vm.Run/Try skip the test
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatalf("agent: %v", err)
	}
	dir, err := os.MkdirTemp("/var/tmp", "fsg-parity-agent-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, filepath.Base(src))
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("agent under test: %s (copy of %s)", dst, src)
	// The binaries make build writes beside the agent go along: the watchdog check's own
	// (check_setup in parity_lib.sh runs it as fence_scsi_check) and the helper that runs
	// check-storage and acquire/defend/release for the agent (it looks for it beside itself).
	// An installed agent (make install, the packages) has the helper in
	// ../libexec/fence-scsi-go instead; the copy gets it beside itself.
	for _, name := range []string{"fence_scsi_check", "fence_scsi_go_tools"} {
		p := filepath.Join(filepath.Dir(src), name)
		if _, err := os.Lstat(p); err != nil && name == "fence_scsi_go_tools" {
			p = filepath.Join(filepath.Dir(src), "..", "libexec", "fence-scsi-go", name)
		}
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err == nil {
				err = os.WriteFile(filepath.Join(dir, name), b, 0o755)
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			t.Logf("also under test: %s/%s (copy of %s)", dir, name, p)
		}
	}
	return dst
}

// scenario is a parity scenario run with a private copy of the agent.
func scenario(t *testing.T, nodes, luns, paths int, script string) vm.Scenario {
	return vm.Scenario{Nodes: nodes, LUNs: luns, Paths: paths, Script: parityScript(t, script), Agent: agentCopy(t)}
}

func wantLines(t *testing.T, out string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(out, l) {
			t.Errorf("output lacks %q", l)
		}
	}
}

func TestParityMultipath(t *testing.T) {
	res := vm.Run(t, scenario(t, 2, 1, 2, "parity_multipath.sh"))
	wantLines(t, res.Output, "FSG-PARITY: MPATH-KEYS-ON ", "FSG-PARITY: MPATH-KEYS-OFF 0xfe5c0002 \n",
		"FSG-PARITY: MPATH-KEYS-SINGLE ")
}

func TestParityCheck(t *testing.T) {
	if isDebianFenceSCSI(vm.DefaultAgent()) {
		t.Skip("the scenario asserts read-only opens, which Debian's fence_scsi check does not do (it runs sg_persist, which opens read-write)")
	}
	res := vm.Run(t, scenario(t, 2, 1, 1, "parity_check.sh"))
	wantLines(t, res.Output, "FSG-PARITY: CHECK unconfigured rc=0", "FSG-PARITY: CHECK registered rc=0",
		"FSG-PARITY: CHECK fenced rc=2", "FSG-PARITY: CHECK node2 rc=0")
}

func TestParityAPTPLReadonly(t *testing.T) {
	res := vm.Run(t, scenario(t, 2, 1, 1, "parity_aptpl.sh"))
	wantLines(t, res.Output, "FSG-PARITY: APTPL without=0", "FSG-PARITY: APTPL with=1",
		"FSG-PARITY: READONLY status-after-fence rc=2",
		"FSG-PARITY: POWERLOSS without-aptpl keys=0", "FSG-PARITY: POWERLOSS with-aptpl survived=1")
}

var (
	kernelLine = regexp.MustCompile(`^\[\s*\d+\.\d+\] `)
	runDir     = regexp.MustCompile(`console log: (/\S*/fsg-vm\.[A-Za-z0-9]+)/console\.log`)
)

// TestParityHardReboot: after node 1 is fenced, fence_scsi_check_hardreboot must reboot the
// machine at once. QEMU runs with -no-reboot, so reboot(2) ends QEMU with status 0 and the guest
// never prints its result line; run.sh then reports "guest ended without a result (qemu exit
// 0)". The console must end right after the marker with only kernel lines ("reboot:
// Restarting system"), no scenario output (the line printed if the check returned), no
// panic, no timeout.
func TestParityHardReboot(t *testing.T) {
	res := vm.Try(t, scenario(t, 2, 1, 1, "parity_hardreboot.sh"))
	out := res.Output
	if m := runDir.FindStringSubmatch(out); m != nil {
		// run.sh keeps the run directory of a run without a PASS; this one was expected.
		defer os.RemoveAll(m[1])
	}
	if res.Passed {
		t.Fatal("the scenario passed: it cannot, the hardreboot check should have rebooted the guest")
	}
	wantLines(t, out, "FSG-PARITY: HARDREBOOT registered rc=0", "guest ended without a result (qemu exit 0)")
	for _, bad := range []string{"HARDREBOOT-RETURNED", "FSG-RESULT:", "FSG-SCENARIO-END", "Kernel panic", "timed out after"} {
		if strings.Contains(out, bad) {
			t.Errorf("output contains %q", bad)
		}
	}
	// The streamed scenario output (before run.sh's console tail): nothing but kernel lines
	// after the marker, one of them the restart.
	stream, _, _ := strings.Cut(out, "---- last console lines ----")
	_, after, ok := strings.Cut(stream, "FSG-PARITY: HARDREBOOT-NEXT\n")
	if !ok {
		t.Fatal("no HARDREBOOT-NEXT marker: the scenario did not reach the hardreboot check")
	}
	restarted := false
	for _, l := range strings.Split(strings.TrimSpace(after), "\n") {
		if !kernelLine.MatchString(l) {
			t.Errorf("unexpected line after the marker: %q", l)
		}
		restarted = restarted || strings.Contains(l, "reboot: Restarting system")
	}
	if !restarted {
		t.Error("no 'reboot: Restarting system' after the marker")
	}
	if !t.Failed() {
		t.Log("as expected: the guest rebooted (QEMU exited, -no-reboot) right after the hardreboot check ran")
	}
}

// TestParityVGS: shared-VG discovery through the real vgs (lvm2 on the host, shared into the
// guest) reading real LVM metadata on the LUNs; see parity_vgs.sh for what can and cannot be
// made without lvmlockd/clvmd.
func TestParityVGS(t *testing.T) {
	res := vm.Run(t, scenario(t, 2, 3, 1, "parity_vgs.sh"))
	if strings.Contains(res.Output, "FSG-PARITY: VGS skipped") {
		t.Skip("lvm2 is not installed on the host (apt-get install lvm2): real-LVM discovery not tested")
	}
	wantLines(t, res.Output, "FSG-PARITY: VGS local-only rc=1", "FSG-PARITY: VGS discovered 1")
}
