package e2e

import (
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
