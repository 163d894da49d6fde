package e2e

// check-storage on real storage (docs/check-storage.md): verdicts, the read-only guarantee
// (PR generation unchanged, O_RDONLY opens) and --write-test leaving the LU as it began.

import (
	"testing"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/tests/vm"
)

func TestCheckStorage(t *testing.T) {
	agent := agentCopy(t)
	if isDebianFenceSCSI(agent) {
		t.Skipf("%s has no check-storage subcommand", agent)
	}
	vm.Run(t, vm.Scenario{Nodes: 2, LUNs: 3, Paths: 2, NoPR: []int{3}, Agent: agent, Timeout: 35 * time.Minute,
		Script: libScript(t, "check_storage.sh", "parity_lib.sh", "check_storage_lib.sh", "pacemaker_lib.sh")})
}

// TestCheckStorageTgt: the verdicts that tgt can show (it has no READ FULL STATUS and no
// per-LU PR switch): ready, keys decoded, unfinished unfence, --write-test restoring the state.
func TestCheckStorageTgt(t *testing.T) {
	agent := agentCopy(t)
	if isDebianFenceSCSI(agent) {
		t.Skipf("%s has no check-storage subcommand", agent)
	}
	vm.Run(t, vm.Scenario{Nodes: 2, LUNs: 2, Target: "tgt", Agent: agent, Timeout: 20 * time.Minute,
		Script: libScript(t, "check_storage_tgt.sh", "check_storage_lib.sh")})
}
