package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/tests/vm"
)

// TestConformanceOnLIO runs the conformance suite of
// internal/scsi/conformance, with the same cases as against the simulator,
// through the real SG_IO layer against LIO. It compiles tests/lio with
// `go test -c` and runs the binary in the guest (three nodes, hence three
// I_T nexuses, one LUN), where it also probes the quirk bits the cases do not
// reach against the simulator in LIO mode. docs/conformance.md has the results.
func TestConformanceOnLIO(t *testing.T) {
	if os.Getenv("FSG_E2E") != "1" || testing.Short() || vm.Available() != "" {
		// Not requested or cannot run: vm.Run's gate skips with its loud banner (or fails
		// under FSG_VM_REQUIRED=1) before touching the scenario, and before we compile.
		vm.Run(t, vm.Scenario{})
		return
	}
	root, err := vm.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "lio.test")
	build := exec.Command("go", "test", "-c", "-o", bin, "./tests/lio/")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go test -c ./tests/lio/: %v\n%s", err, out)
	}
	vm.Run(t, vm.Scenario{Nodes: 3, LUNs: 1, Exec: bin, ExecArgs: []string{"-test.v", "-test.timeout", "15m"}, Timeout: 20 * time.Minute})
}
