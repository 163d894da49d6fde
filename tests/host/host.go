// Package host prepares this machine for the suites that run on it rather than in the QEMU
// guest (tests/pacemaker, tests/packaging): a loud skip when they cannot run (not Linux, not
// root), and the Debian packages they need, installed with apt-get when missing.
package host

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// Package is a Debian package and a file that proves it is installed.
type Package struct{ Name, File string }

// Pacemaker is the Pacemaker stack (the fencer, its command-line tools, pcs, corosync) with
// Debian's fence_scsi and sg_persist.
var Pacemaker = []Package{
	{"pacemaker", "/usr/lib/pacemaker/pacemaker-fenced"},
	{"pacemaker-cli-utils", "/usr/sbin/stonith_admin"},
	{"pcs", "/usr/sbin/pcs"},
	{"corosync", "/usr/sbin/corosync"},
	{"fence-agents", "/usr/sbin/fence_scsi"},
	{"sg3-utils", "/usr/bin/sg_persist"},
}

// WhyNot says why a suite that installs packages cannot run here ("" when it can).
func WhyNot() string {
	switch {
	case runtime.GOOS != "linux":
		return "not Linux"
	case os.Geteuid() != 0:
		return "not root (needs apt-get and dpkg)"
	}
	return ""
}

// bannered holds the suites whose banner was printed.
var bannered sync.Map

// SkipLoudly prints a banner that the suite did NOT run, and why, to stderr (go test -v or
// not, it is seen; once per suite and process) and skips t. suite names it, e.g. "the packaging test (tests/packaging)";
// target is the make target that runs it.
func SkipLoudly(t testing.TB, suite, why, target string) {
	t.Helper()
	if _, done := bannered.LoadOrStore(suite, true); !done {
		fmt.Fprint(os.Stderr, Banner(suite, why, target))
	}
	t.Skipf("SKIPPED LOUDLY: %s", why)
}

// Banner is SkipLoudly's banner.
func Banner(suite, why, target string) string {
	const width = 70
	line := func(s string) string {
		if len(s) < width-6 {
			s += strings.Repeat(" ", width-6-len(s))
		}
		return "** " + s + " **\n"
	}
	stars := strings.Repeat("*", width) + "\n"
	return "\n" + stars + line("SKIPPED: "+suite) + line("did NOT run: "+why) +
		line("Run it as root: sudo make "+target) + stars
}

// Missing returns the packages whose file is absent.
func Missing(pkgs []Package) []string {
	var missing []string
	for _, p := range pkgs {
		if _, err := os.Stat(p.File); err != nil {
			missing = append(missing, p.Name)
		}
	}
	return missing
}

// Install installs the missing packages with apt-get, waiting up to 15 minutes for a dpkg
// lock another user holds; if the install fails, it updates the package lists once and tries
// again. Afterwards every package's file must exist.
func Install(pkgs []Package) error {
	missing := Missing(pkgs)
	if len(missing) == 0 {
		return nil
	}
	fmt.Fprintf(os.Stderr, "installing Debian packages: %s\n", strings.Join(missing, " "))
	args := append([]string{"install", "-y", "-q"}, missing...)
	if out, err := aptGet(args...); err != nil {
		// The package lists may be stale or absent.
		if out2, err2 := aptGet("update", "-q"); err2 != nil {
			return fmt.Errorf("apt-get install %s: %v\n%s\napt-get update: %v\n%s", strings.Join(missing, " "), err, out, err2, out2)
		}
		if out, err = aptGet(args...); err != nil {
			return fmt.Errorf("apt-get install %s: %v\n%s", strings.Join(missing, " "), err, out)
		}
	}
	for _, p := range pkgs {
		if _, err := os.Stat(p.File); err != nil {
			return fmt.Errorf("package %s installed but %s is missing", p.Name, p.File)
		}
	}
	return nil
}

func aptGet(args ...string) ([]byte, error) {
	cmd := exec.Command("apt-get", append([]string{"-o", "DPkg::Lock::Timeout=900"}, args...)...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	return cmd.CombinedOutput()
}
