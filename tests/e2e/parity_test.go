package e2e

// fence_scsi parity scenarios (issue 6) on real storage: multipath, the watchdog check mode
// (including the hardreboot variant really rebooting the guest), APTPL and read-only opens.
// Each scenario script asserts on the device itself (sg_persist through another node's
// nexus) and on real writes; parity_lib.sh holds the extra helpers and is prepended to the
// script here, so the scenarios run with any agent.

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/tests/vm"
)

// parityScript writes parity_lib.sh followed by the scenario into a temporary file.
func parityScript(t *testing.T, scenario string) string {
	t.Helper()
	root, err := vm.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	lib, err := os.ReadFile(filepath.Join(root, "tests", "e2e", "parity_lib.sh"))
	if err != nil {
		t.Fatal(err)
	}
	sc, err := os.ReadFile(filepath.Join(root, "tests", "e2e", scenario))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), scenario)
	if err := os.WriteFile(p, append(append(lib, '\n'), sc...), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
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
	res := vm.Run(t, vm.Scenario{Nodes: 2, LUNs: 1, Paths: 2, Script: parityScript(t, "parity_multipath.sh")})
	wantLines(t, res.Output, "FSG-PARITY: MPATH-KEYS-ON ", "FSG-PARITY: MPATH-KEYS-OFF 0xfe5c0002 \n",
		"FSG-PARITY: MPATH-KEYS-SINGLE ")
}

func TestParityCheck(t *testing.T) {
	if isDebianFenceSCSI(vm.DefaultAgent()) {
		t.Skip("the scenario asserts read-only opens, which Debian's fence_scsi check does not do (fence-agents #284)")
	}
	res := vm.Run(t, vm.Scenario{Nodes: 2, LUNs: 1, Script: parityScript(t, "parity_check.sh")})
	wantLines(t, res.Output, "FSG-PARITY: CHECK unconfigured rc=0", "FSG-PARITY: CHECK registered rc=0",
		"FSG-PARITY: CHECK fenced rc=2", "FSG-PARITY: CHECK node2 rc=0")
}

func TestParityAPTPLReadonly(t *testing.T) {
	res := vm.Run(t, vm.Scenario{Nodes: 2, LUNs: 1, Script: parityScript(t, "parity_aptpl.sh")})
	wantLines(t, res.Output, "FSG-PARITY: APTPL without=0", "FSG-PARITY: APTPL with=1",
		"FSG-PARITY: READONLY status-after-fence rc=2")
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
	res := vm.Try(t, vm.Scenario{Nodes: 2, LUNs: 1, Script: parityScript(t, "parity_hardreboot.sh")})
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
	res := vm.Run(t, vm.Scenario{Nodes: 2, LUNs: 3, Script: parityScript(t, "parity_vgs.sh")})
	if strings.Contains(res.Output, "FSG-PARITY: VGS skipped") {
		t.Skip("lvm2 is not installed on the host (apt-get install lvm2): real-LVM discovery not tested")
	}
	wantLines(t, res.Output, "FSG-PARITY: VGS local-only rc=1", "FSG-PARITY: VGS discovered 1")
}
