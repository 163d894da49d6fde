package e2e

// The real-storage scenarios of the storage-arbitration mode
// (`fence_scsi_go acquire|defend|release`, docs/arbitration.md) on LIO in the QEMU guest. Each
// script asserts on exit codes, on the device itself (sg_persist through another nexus) and on
// real writes (dd oflag=direct). Only fence_scsi_go has this mode: with Debian's fence_scsi as
// the agent under test the scenarios are skipped.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/tests/vm"
)

func ecxRun(t *testing.T, sc vm.Scenario) {
	t.Helper()
	if sc.Agent == "" {
		sc.Agent = vm.DefaultAgent()
		if isDebianFenceSCSI(sc.Agent) && os.Getenv("FSG_AGENT") == "" && os.Getenv("FSG_E2E") == "1" && !testing.Short() {
			sc.Agent = ecxBuildAgent(t) // clean clone: bin/fence_scsi_go not built yet
		}
	}
	if isDebianFenceSCSI(sc.Agent) {
		t.Skipf("%s has no acquire/defend/release mode: use bin/fence_scsi_go (FSG_AGENT)", sc.Agent)
	}
	if sc.Timeout == 0 {
		sc.Timeout = 15 * time.Minute // TCG on a busy 2-core host: each agent start costs seconds
	}
	vm.Run(t, sc)
}

// TestECXInconvenientCase is the inconvenient case of NEC's EXPRESSCLUSTER SCSI-PR write-up: node 1 (acquired, defending, writing
// sequence-numbered blocks) is frozen with SIGSTOP, node 2 acquires after its wait window and
// writes; node 1 resumes: its writes get RESERVATION CONFLICT, its defender exits 1 within
// P+T+2 s, and every block written after the takeover is node 2's.
func TestECXInconvenientCase(t *testing.T) {
	ecxRun(t, vm.Scenario{Nodes: 2, LUNs: 2, Script: libScript(t, "ecx_inconvenient_case.sh", "ecx_lib.sh")})
}

// TestECXLiveDefender: node 2's acquire against a live defender exits 3 after its wait window,
// node 1 never loses write access, and its defender stops with exit 0 on SIGTERM.
func TestECXLiveDefender(t *testing.T) {
	ecxRun(t, vm.Scenario{Nodes: 2, LUNs: 2, Script: libScript(t, "ecx_live_defender.sh", "ecx_lib.sh")})
}

// TestECXReleaseNoPR: release and a clean hand-over (no wait), a late release that must not
// touch the new owner, a LUN without PR support (LUN 3, emulate_pr=0) failing acquire with exit 1
// and no registration left behind, and unsafe timings refused before any PR command.
func TestECXReleaseNoPR(t *testing.T) {
	ecxRun(t, vm.Scenario{Nodes: 2, LUNs: 3, NoPR: []int{3}, Script: libScript(t, "ecx_release_nopr.sh", "ecx_lib.sh")})
}

// ecxBuildAgent builds ./cmd/fence_scsi_go and its helper ./cmd/fence_scsi_go_tools (which runs
// acquire/defend/release and check-storage for it) into a temporary directory inside the
// repository (the guest sees the host root read-only, but mounts its own /tmp), removed after the
// test.
func ecxBuildAgent(t *testing.T) string {
	t.Helper()
	root, err := vm.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(root, ".ecx-agent-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "fence_scsi_go")
	for _, name := range []string{"fence_scsi_go", "fence_scsi_go_tools"} {
		cmd := exec.Command("go", "build", "-tags", "urfave_cli_no_docs", "-o", filepath.Join(dir, name), "./cmd/"+name) // as make build
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build ./cmd/%s: %v\n%s", name, err, out)
		}
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// TestECXMultipath: acquire, defend and release given only a dm-multipath device (two iSCSI
// sessions of each node to one LUN) work through every path (tests/e2e/ecx_multipath.sh).
func TestECXMultipath(t *testing.T) {
	ecxRun(t, vm.Scenario{Nodes: 2, LUNs: 1, Paths: 2, Agent: agentCopy(t),
		Script: libScript(t, "ecx_multipath.sh", "parity_lib.sh")})
}

// withVars returns the scenario script with shell variable assignments put in front.
func withVars(t *testing.T, script string, vars string) string {
	t.Helper()
	b, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), filepath.Base(script))
	if err := os.WriteFile(p, append([]byte(vars+"\n"), b...), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestECXSimultaneousAcquire: both nodes run `acquire` at the same instant on two free LUNs
// (one barrier), the winner starts its defender; in every round exactly one exits 0, every LUN
// is held by the winner's key alone, the loser exits non-zero and its writes are refused
// (tests/e2e/ecx_simultaneous_acquire.sh). 5 rounds in make test; 100 with FSG_SOAK=1.
func TestECXSimultaneousAcquire(t *testing.T) {
	n := soakIterations(5)
	script := withVars(t, libScript(t, "ecx_simultaneous_acquire.sh", "ecx_lib.sh"), fmt.Sprintf("ECX_RACE_N=%d", n))
	// About 1 min per round on an idle host, 2-3 min under TCG on a busy 2-core host.
	ecxRun(t, vm.Scenario{Nodes: 2, LUNs: 2, Script: script, Timeout: 10*time.Minute + time.Duration(n)*4*time.Minute})
}

// TestECXRenewalGap measures the time between consecutive renewals seen by another node on
// LIO, for `defend` and for `defend --once` run every P, and checks it against P + T + 1 s
// (tests/e2e/ecx_renewal_gap.sh).
func TestECXRenewalGap(t *testing.T) {
	if os.Getenv("FSG_SOAK") != "1" {
		t.Skip("a measurement that needs an otherwise idle host (defend --once start-up under TCG): run by make soak (FSG_SOAK=1)")
	}
	ecxRun(t, vm.Scenario{Nodes: 2, LUNs: 2, Script: libScript(t, "ecx_renewal_gap.sh", "ecx_lib.sh"), Serial: true})
}
