package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/tests/vm"
)

// TestPacemakerFenced: a stand-alone pacemaker-fenced in the guest drives
// fence_scsi_go on real LIO LUNs (tests/e2e/pacemaker_fenced.sh). Pacemaker runs agents only
// from /usr/sbin, and the guest sees the host's root, so the host needs Debian's pacemaker and
// the agent under test installed as /usr/sbin/fence_scsi_go; this test does both (root only)
// before booting the guest. The agent is $FSG_AGENT if it is a fence_scsi_go, else the
// repository's bin/fence_scsi_go (make e2e builds it).
func TestPacemakerFenced(t *testing.T) {
	if os.Getenv("FSG_E2E") == "1" && !testing.Short() && os.Geteuid() == 0 {
		preparePacemakerHost(t)
	}
	vm.Run(t, vm.Scenario{Nodes: 2, LUNs: 3, Agent: "/usr/sbin/fence_scsi_go",
		Script: libScript(t, "pacemaker_fenced.sh", "pacemaker_lib.sh"), Timeout: 15 * time.Minute})
}

// TestPacemakerCluster (the full cluster): corosync and pacemakerd as a one-node
// cluster in the guest; `pcs stonith create` a fence_scsi_go device on real LIO LUNs, and
// Pacemaker unfences the node by itself when the device starts; then the cluster's fencer
// fences another node (tests/e2e/pacemaker_cluster.sh). Same host preparation as above.
func TestPacemakerCluster(t *testing.T) {
	if os.Getenv("FSG_E2E") == "1" && !testing.Short() && os.Geteuid() == 0 {
		preparePacemakerHost(t)
	}
	vm.Run(t, vm.Scenario{Nodes: 2, LUNs: 2, Agent: "/usr/sbin/fence_scsi_go",
		Script: libScript(t, "pacemaker_cluster.sh", "pacemaker_lib.sh"), Timeout: 15 * time.Minute})
}

// pacemakerPackages are the Debian packages the two tests above need on the host.
var pacemakerPackages = []string{"pacemaker", "pacemaker-cli-utils", "corosync", "pcs"}

func preparePacemakerHost(t *testing.T) {
	t.Helper()
	missing := false
	for _, f := range []string{"/usr/lib/pacemaker/pacemaker-fenced", "/usr/sbin/pacemakerd", "/usr/sbin/corosync", "/usr/sbin/pcs"} {
		if _, err := os.Stat(f); err != nil {
			missing = true
		}
	}
	if missing {
		apt := func(args ...string) ([]byte, error) {
			cmd := exec.Command("apt-get", args...)
			cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
			return cmd.CombinedOutput()
		}
		args := append([]string{"install", "-y", "-q"}, pacemakerPackages...)
		if out, err := apt(args...); err != nil {
			apt("update", "-q")
			if out2, err2 := apt(args...); err2 != nil {
				t.Fatalf("apt-get install %v: %v\n%s\n%s", pacemakerPackages, err2, out, out2)
			}
		}
	}
	src := os.Getenv("FSG_AGENT")
	if filepath.Base(src) != "fence_scsi_go" {
		root, err := vm.RepoRoot()
		if err != nil {
			t.Fatal(err)
		}
		src = filepath.Join(root, "bin", "fence_scsi_go")
	}
	if src == "/usr/sbin/fence_scsi_go" {
		return
	}
	if err := vm.InstallExecutable(src, "/usr/sbin/fence_scsi_go"); err != nil {
		t.Fatalf("installing %s as /usr/sbin/fence_scsi_go (make build first): %v", src, err)
	}
}
