package e2e

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/tests/vm"
)

// TestNVMeTarget checks the guest's real NVMe-oF target (run.sh --target nvmet, the kernel's
// nvmet over TCP on the new kernel) with nvme-cli only, no agent: registrations per host,
// Write Exclusive - Registrants Only, preempt and abort refusing the victim's writes with a
// reservation conflict, registrations surviving a reconnect, and Debian's fence_scsi failing
// on the namespace (tests/e2e/nvme_target.sh).
func TestNVMeTarget(t *testing.T) {
	vm.Run(t, vm.Scenario{Nodes: 2, LUNs: 1, Target: "nvmet", Kernel: "new",
		Script: "tests/e2e/nvme_target.sh", Timeout: 15 * time.Minute})
}

// nvmeAgentRun runs an NVMe scenario of the agent under test (fence_scsi_go: Debian's
// fence_scsi is SCSI only, as nvme_target.sh shows; a clean clone builds it first, as ecxRun
// does) on the new kernel, with target nvmet unless sc names one (lio+nvmet).
func nvmeAgentRun(t *testing.T, sc vm.Scenario) {
	t.Helper()
	if sc.Target == "" {
		sc.Target = "nvmet"
	}
	sc.Kernel = "new"
	if sc.Agent == "" {
		sc.Agent = vm.DefaultAgent()
		if isDebianFenceSCSI(sc.Agent) && os.Getenv("FSG_AGENT") == "" && os.Getenv("FSG_E2E") == "1" && !testing.Short() {
			sc.Agent = ecxBuildAgent(t)
		}
	}
	if isDebianFenceSCSI(sc.Agent) {
		t.Skipf("%s cannot use NVMe namespaces (SCSI only): use bin/fence_scsi_go (FSG_AGENT)", sc.Agent)
	}
	if sc.Timeout == 0 {
		sc.Timeout = 20 * time.Minute // TCG on a busy 2-core host; nvmet runs are the slowest
	}
	vm.Run(t, sc)
}

// TestNVMeFence is fence_scsi's story on NVMe namespaces with the agent (tests/e2e/nvme_fence.sh):
// on for every node (every key under its own host ID, Write Exclusive - Registrants Only),
// status 0, the watchdog check 0, a node reconnecting (same and new controller ID) still
// registered and ON, off -n node1 by node 2, node 1's writes refused with a reservation
// conflict, status of node 1 exit 2, its watchdog check exit 2. 2 nodes and 2 namespaces in
// make test; 3 and 4 as well under FSG_MATRIX=1 (make e2e-matrix).
func TestNVMeFence(t *testing.T) {
	vm.Parallel(t) // the parent too, or its parallel subtests would wait for the serial phase
	for _, c := range []struct {
		name        string
		nodes, luns int
	}{{"2nodes2ns", 2, 2}, {"3nodes4ns", 3, 4}} {
		t.Run(c.name, func(t *testing.T) {
			if c.nodes > 2 && os.Getenv("FSG_MATRIX") != "1" {
				t.Skip("3 nodes and 4 namespaces: make e2e-matrix (FSG_MATRIX=1); make test runs 2 and 2")
			}
			nvmeAgentRun(t, vm.Scenario{Nodes: c.nodes, LUNs: c.luns,
				Script: libScript(t, "nvme_fence.sh", "parity_lib.sh", "nvme_lib.sh")})
		})
	}
}

// TestNVMeECX is the inconvenient case of the EXPRESSCLUSTER write-up on NVMe namespaces
// (tests/e2e/nvme_ecx.sh): node 1 (acquired, defending, writing) is frozen with SIGSTOP, node 2
// acquires after its wait window and writes; node 1 resumes: its writes get a reservation
// conflict, its defender exits 1 (LOST) within P+T+2 s, every block written after the takeover
// is node 2's.
func TestNVMeECX(t *testing.T) {
	nvmeAgentRun(t, vm.Scenario{Nodes: 2, LUNs: 2, Script: libScript(t, "nvme_ecx.sh", "ecx_lib.sh")})
}

// TestNVMeDemo is `make demo NVME=1` (tests/e2e/nvme_demo.sh), kept working by the full matrix
// (make e2e-matrix); make test runs the same story with more checks in TestNVMeFence.
func TestNVMeDemo(t *testing.T) {
	if os.Getenv("FSG_MATRIX") != "1" {
		t.Skip("the NVMe demo script runs in make e2e-matrix (FSG_MATRIX=1); TestNVMeFence covers its story")
	}
	nvmeAgentRun(t, vm.Scenario{Nodes: 2, LUNs: 1, Script: "tests/e2e/nvme_demo.sh"})
}

// TestNVMeShootout is the split-brain shoot-out of tests/e2e/race_shootout.sh on NVMe
// namespaces: both nodes fence each other at the same instant; exactly one wins every
// namespace, the loser's writes are refused. 3 rounds on 2 namespaces in make test; 10 on 4
// under FSG_MATRIX=1; 100 rounds under FSG_SOAK=1.
func TestNVMeShootout(t *testing.T) {
	n, luns := 3, 2
	if os.Getenv("FSG_MATRIX") == "1" {
		n, luns = 10, 4
	}
	n = soakIterations(n)
	nvmeAgentRun(t, vm.Scenario{Nodes: 2, LUNs: luns, Timeout: time.Duration(15+3*n) * time.Minute,
		Script: withVars(t, libScript(t, "race_shootout.sh"), fmt.Sprintf("RACE_ITER=%d", n))})
}

// TestNVMeMixed: one devices= list with a LIO LUN (SCSI over iSCSI) and an NVMe namespace
// (nvmet over TCP), served together by run.sh --target lio+nvmet (tests/e2e/nvme_mixed.sh):
// both nodes on, registered on both devices (sg_persist and nvme-cli), status 0; off -n node1
// by node 2: node 1's writes get a reservation conflict on both devices, node 2's pass; status
// of node 1 exit 2; node 1's watchdog check exit 2.
func TestNVMeMixed(t *testing.T) {
	nvmeAgentRun(t, vm.Scenario{Nodes: 2, LUNs: 1, Target: "lio+nvmet",
		Script: libScript(t, "nvme_mixed.sh", "parity_lib.sh", "nvme_lib.sh")})
}

// TestNVMePacemakerFenced: a stand-alone pacemaker-fenced drives the installed fence_scsi_go on
// an NVMe namespace (tests/e2e/nvme_pacemaker_fenced.sh): as node 1 it unfences node 1
// (stonith_admin --unfence; nvme-cli shows node 1's key); then a fencer as node 2 unfences node
// 2 and fences node 1 (stonith_admin --fence node1): node 1's key is gone and its writes get a
// reservation conflict. The host preparation is TestPacemakerFenced's.
func TestNVMePacemakerFenced(t *testing.T) {
	if os.Getenv("FSG_E2E") == "1" && !testing.Short() && os.Geteuid() == 0 {
		preparePacemakerHost(t)
	}
	nvmeAgentRun(t, vm.Scenario{Nodes: 2, LUNs: 1, Agent: "/usr/sbin/fence_scsi_go",
		Script: libScript(t, "nvme_pacemaker_fenced.sh", "pacemaker_lib.sh", "nvme_lib.sh")})
}
