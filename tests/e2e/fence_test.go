// Package e2e runs the end-to-end scenarios against real SCSI-3 PR storage (LIO in a
// QEMU guest, see tests/vm). Each scenario script asserts on the device itself (sg_persist in
// the guest) and on real writes (dd oflag=direct), not only on the agent's exit status.
//
// The agent under test is $FSG_AGENT, else bin/fence_scsi_go if built, else Debian's
// /usr/sbin/fence_scsi (make e2e AGENT=...).
package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/tests/vm"
)

func isDebianFenceSCSI(agent string) bool { return filepath.Base(agent) == "fence_scsi" }

func TestFenceDemo(t *testing.T) {
	vm.Run(t, vm.Scenario{Nodes: 2, LUNs: 1, Script: "tests/e2e/fence_demo.sh"})
}

func TestFenceOne(t *testing.T) {
	vm.Parallel(t) // the parent too, or its parallel subtests would wait for the serial phase
	for _, luns := range []int{1, 4} {
		t.Run(map[int]string{1: "1LUN", 4: "4LUNs"}[luns], func(t *testing.T) {
			vm.Run(t, vm.Scenario{Nodes: 3, LUNs: luns, Script: "tests/e2e/fence_one.sh", Timeout: 15 * time.Minute})
		})
	}
}

func TestFenceRefusals(t *testing.T) {
	vm.Run(t, vm.Scenario{Nodes: 3, LUNs: 1, Script: "tests/e2e/fence_refusals.sh"})
}

func TestFenceISIDChange(t *testing.T) {
	sc := vm.Scenario{Nodes: 2, LUNs: 1, Script: "tests/e2e/fence_isid_change.sh"}
	agent := vm.DefaultAgent()
	if !isDebianFenceSCSI(agent) {
		vm.Run(t, sc)
		return
	}
	// Debian's fence_scsi 4.12.1 leaves the old ISID's registration behind: the scenario must catch it.
	res := vm.Try(t, sc)
	if res.Passed {
		t.Fatalf("Debian's fence_scsi passed the ISID-change scenario: the scenario no longer detects the stale registration")
	}
	if !strings.Contains(res.Output, "FAIL:") {
		t.Fatalf("scenario failed without an assertion failure (harness problem?)")
	}
	t.Logf("as expected, Debian's fence_scsi 4.12.1 fails the ISID-change scenario (stale registration left)")
}

func TestFenceNotReady(t *testing.T) {
	vm.Run(t, vm.Scenario{Nodes: 2, LUNs: 1, Script: "tests/e2e/fence_not_ready.sh"})
}

func TestFenceNoPR(t *testing.T) {
	vm.Run(t, vm.Scenario{Nodes: 2, LUNs: 3, NoPR: []int{2}, Script: "tests/e2e/fence_no_pr.sh"})
}

// The conformance suite against LIO is TestConformanceOnLIO (conformance_test.go).

// TestFenceSideBySide runs the same calls with Debian's fence_scsi and with the agent under
// test on the same LUNs and requires identical exit codes, stdout, PR state and state files.
func TestFenceSideBySide(t *testing.T) {
	vm.Run(t, vm.Scenario{Nodes: 3, LUNs: 2, Script: "tests/e2e/fence_side_by_side.sh", Timeout: 20 * time.Minute})
}
