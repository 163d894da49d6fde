// Package vm boots the real-storage test guest (a QEMU/TCG VM running Debian's kernel with
// LIO exporting RAM disks over iSCSI on loopback, one iSCSI session per simulated node) and runs
// a scenario script or a host binary in it. It wraps tests/vm/run.sh; see tests/vm/README.md.
//
// Tests run only when FSG_E2E=1 (make e2e): the suite takes 10-20 minutes. Otherwise, and
// when the machine cannot run the guest at all (not linux/amd64, not root, no QEMU and no way
// to prepare it) or under -short, they skip with a loud banner. Set FSG_VM_REQUIRED=1 to turn
// those skips into failures (CI).
package vm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Scenario describes one guest run.
type Scenario struct {
	Nodes int // simulated nodes, each its own I_T nexus (default 2)
	LUNs  int // LUNs every node sees (default 1)
	Paths int // sessions per node, for multipath (default 1)
	// NoPR lists LUNs (1-based) exported with LIO's emulate_pr=0.
	NoPR []int
	// Script is a scenario shell script (path relative to the repository root or absolute),
	// run inside the guest with the helpers of tests/vm/guest/lib.sh.
	Script string
	// Exec, if set instead of Script, is a host binary run in the guest (e.g. a `go test -c`
	// binary) with FSG_NODEk_LUNl / FSG_NODEk_PATHp_LUNl naming the device paths.
	Exec     string
	ExecArgs []string
	// Agent is the fence agent the script runs as $AGENT; default: $FSG_AGENT, else the
	// repository's bin/fence_scsi_go if built, else Debian's /usr/sbin/fence_scsi.
	Agent string
	// Timeout bounds the whole guest run (default 10 minutes: Debian's fence_scsi takes
	// seconds per call under TCG, more while the host is busy compiling).
	Timeout time.Duration
	// Target is the target serving the LUNs: "lio" (default) or "tgt" over iSCSI, "nvmet"
	// (NVMe over TCP, namespaces instead of LUNs; implies Kernel "new"), or "lio+nvmet"
	// (LUNs LIO LUNs and LUNs namespaces at once; implies Kernel "new") (run.sh --target).
	Target string
	// Kernel is the guest kernel: "default" (Debian 12's) or "new" (run.sh --kernel new,
	// prepared on first use with prepare.sh --kernel new).
	Kernel string
	// Serial keeps the run out of FSG_E2E_PARALLEL: a measurement that needs the host to
	// itself (see Parallel).
	Serial bool
}

var parallelTests sync.Map // *testing.T already marked parallel

// Parallel marks t parallel once when FSG_E2E_PARALLEL is above 1 (make e2e sets it, with
// go test -parallel): a guest spends much of its run waiting (boot, wait windows, defender
// periods, timeouts) rather than computing, so two at a time share a 2-core host well. Only
// the guest run itself is parallel: what a test does before its first Run (host preparation,
// building an agent) still happens one test at a time, before any parallel run starts.
func Parallel(t *testing.T) {
	if n, _ := strconv.Atoi(os.Getenv("FSG_E2E_PARALLEL")); n > 1 {
		AlwaysParallel(t)
	}
}

// AlwaysParallel calls t.Parallel unless t already is parallel through this package (the
// matrix's own FSG_MATRIX_PARALLEL uses it, then Run does not call it again).
func AlwaysParallel(t *testing.T) {
	if _, done := parallelTests.LoadOrStore(t, true); !done {
		t.Parallel()
	}
}

// Result is what a run produced.
type Result struct {
	Passed bool
	Output string // the scenario's output (or the whole console with FSG_VM_VERBOSE=1)
}

// RepoRoot returns the repository root (the directory holding go.mod above this package).
func RepoRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("vm: cannot locate source file")
	}
	dir := filepath.Dir(file)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("vm: no go.mod above " + filepath.Dir(file))
		}
		dir = parent
	}
}

// DefaultAgent is the agent scenarios run when Scenario.Agent is empty.
func DefaultAgent() string {
	if a := os.Getenv("FSG_AGENT"); a != "" {
		return a
	}
	if root, err := RepoRoot(); err == nil {
		bin := filepath.Join(root, "bin", "fence_scsi_go")
		if st, err := os.Stat(bin); err == nil && st.Mode().IsRegular() {
			return bin
		}
	}
	return "/usr/sbin/fence_scsi"
}

func skipOrFail(t testing.TB, msg string) {
	t.Helper()
	banner := "\n" + strings.Repeat("!", 78) + "\n!!! REAL-STORAGE VM TEST NOT RUN: " + msg +
		"\n!!! Nothing was tested against real SCSI storage. Set FSG_VM_REQUIRED=1 to make this a failure.\n" +
		strings.Repeat("!", 78)
	if os.Getenv("FSG_VM_REQUIRED") == "1" {
		t.Fatal(banner)
	}
	fmt.Fprintln(os.Stderr, banner)
	t.Skip(banner)
}

var prepareOnce sync.Once
var prepareErr error

var prepareNewOnce sync.Once
var prepareNewErr error

func cacheDir() string {
	if c := os.Getenv("FSG_VM_CACHE"); c != "" {
		return c
	}
	return "/var/cache/fence_scsi_go-vm"
}

// prepareNewKernel runs prepare.sh --kernel new once per process when its result is missing.
func prepareNewKernel(root string) error {
	prepareNewOnce.Do(func() {
		if _, err := os.Stat(filepath.Join(cacheDir(), "new.env")); err == nil {
			return
		}
		cmd := exec.Command(filepath.Join(root, "tests", "vm", "prepare.sh"), "--kernel", "new")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			prepareNewErr = fmt.Errorf("tests/vm/prepare.sh --kernel new failed: %v", err)
		}
	})
	return prepareNewErr
}

// Available reports why the guest cannot run here ("" when it can), running
// tests/vm/prepare.sh once per process if the cache is missing and we are root.
func Available() string {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		return "needs linux/amd64 (have " + runtime.GOOS + "/" + runtime.GOARCH + ")"
	}
	if os.Geteuid() != 0 {
		return "needs root (9p export of / and preparing the VM)"
	}
	if _, err := os.Stat("/dev/null"); err != nil {
		return "no /dev"
	}
	root, err := RepoRoot()
	if err != nil {
		return err.Error()
	}
	prepareOnce.Do(func() {
		cache := cacheDir()
		_, qerr := exec.LookPath("qemu-system-x86_64")
		if _, err := os.Stat(filepath.Join(cache, "current.env")); err == nil && qerr == nil {
			return
		}
		if _, err := exec.LookPath("apt-get"); err != nil {
			prepareErr = errors.New("QEMU not installed and no apt-get to install it")
			return
		}
		cmd := exec.Command(filepath.Join(root, "tests", "vm", "prepare.sh"))
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			prepareErr = fmt.Errorf("tests/vm/prepare.sh failed: %v", err)
		}
	})
	if prepareErr != nil {
		return prepareErr.Error()
	}
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		return "qemu-system-x86_64 not found"
	}
	return ""
}

// gate skips (loudly) unless the real-storage tests were asked for and can run here.
// They are asked for with FSG_E2E=1 (make e2e sets it): the suite boots a dozen guests and
// takes 10-20 minutes under TCG, longer than go test's default timeout.
func gate(t testing.TB) {
	t.Helper()
	if os.Getenv("FSG_E2E") != "1" {
		skipOrFail(t, "not requested: run `make e2e` (or set FSG_E2E=1 and -timeout 60m)")
	}
	if testing.Short() {
		skipOrFail(t, "-short given (each guest boot takes 15-60 s)")
	}
	if why := Available(); why != "" {
		skipOrFail(t, why)
	}
}

// Run boots the guest for sc and fails t unless the scenario passes. It skips loudly only when
// the guest cannot run on this machine (see Available) or under -short.
func Run(t testing.TB, sc Scenario) Result {
	t.Helper()
	gate(t)
	if tt, ok := t.(*testing.T); ok && !sc.Serial {
		Parallel(tt)
	}
	res, err := run(sc, func(line string) { t.Log(line) })
	if err != nil {
		t.Fatalf("vm: %v", err)
	}
	if !res.Passed {
		t.Fatalf("vm: scenario failed (the lines above are its output and the console tail; the full console log path is in them)")
	}
	return res
}

// Try is Run without failing t when the scenario fails: for scenarios expected to fail with
// a given agent (a known bug the scenario reproduces). It still skips like Run.
func Try(t testing.TB, sc Scenario) Result {
	t.Helper()
	gate(t)
	if tt, ok := t.(*testing.T); ok && !sc.Serial {
		Parallel(tt)
	}
	res, err := run(sc, func(line string) { t.Log(line) })
	if err != nil {
		t.Fatalf("vm: %v", err)
	}
	return res
}

func run(sc Scenario, logf func(string)) (Result, error) {
	root, err := RepoRoot()
	if err != nil {
		return Result{}, err
	}
	sc = withDefaults(sc)
	if sc.Kernel == "new" || sc.Target == "nvmet" || sc.Target == "lio+nvmet" {
		if err := prepareNewKernel(root); err != nil {
			return Result{}, err
		}
	}
	args, err := runArgs(sc, root, os.Getenv("FSG_VM_VERBOSE") == "1")
	if err != nil {
		return Result{}, err
	}
	return runScript(root, args, sc.Timeout+time.Minute, logf)
}

// withDefaults fills in the zero fields of sc with the defaults Scenario documents.
func withDefaults(sc Scenario) Scenario {
	if sc.Nodes == 0 {
		sc.Nodes = 2
	}
	if sc.LUNs == 0 {
		sc.LUNs = 1
	}
	if sc.Paths == 0 {
		sc.Paths = 1
	}
	if sc.Agent == "" {
		sc.Agent = DefaultAgent()
	}
	if sc.Timeout == 0 {
		sc.Timeout = 10 * time.Minute
	}
	return sc
}

// runArgs is run.sh's command line for sc: the options, then the script (made absolute
// from root) or --exec with the binary and its arguments.
func runArgs(sc Scenario, root string, verbose bool) ([]string, error) {
	args := []string{
		"--nodes", strconv.Itoa(sc.Nodes), "--luns", strconv.Itoa(sc.LUNs),
		"--paths", strconv.Itoa(sc.Paths), "--agent", sc.Agent,
		"--timeout", strconv.Itoa(int(sc.Timeout.Seconds())),
	}
	if sc.Target != "" {
		args = append(args, "--target", sc.Target)
	}
	if sc.Kernel != "" {
		args = append(args, "--kernel", sc.Kernel)
	}
	if len(sc.NoPR) > 0 {
		var s []string
		for _, l := range sc.NoPR {
			s = append(s, strconv.Itoa(l))
		}
		args = append(args, "--nopr", strings.Join(s, " "))
	}
	if verbose {
		args = append(args, "--verbose")
	}
	switch {
	case sc.Script != "" && sc.Exec != "":
		return nil, errors.New("set Script or Exec, not both")
	case sc.Script != "":
		p := sc.Script
		if !filepath.IsAbs(p) {
			p = filepath.Join(root, p)
		}
		return append(args, p), nil
	case sc.Exec != "":
		args = append(args, "--exec", sc.Exec)
		return append(args, sc.ExecArgs...), nil
	}
	return nil, errors.New("no Script or Exec")
}

// runScript runs root's tests/vm/run.sh with args, logging its output line by line and
// how long it took, and stops it after limit.
func runScript(root string, args []string, limit time.Duration, logf func(string)) (Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "tests", "vm", "run.sh"), args...)
	cmd.Dir = root
	// On timeout, SIGTERM lets run.sh stop its QEMU; SIGKILL follows if it does not exit.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	start := time.Now()
	err := cmd.Run()
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		logf(line)
	}
	logf(fmt.Sprintf("vm: run.sh took %s", time.Since(start).Round(100*time.Millisecond)))
	return result(out.String(), err)
}

// result reads run.sh's exit: 0 passed, 77 cannot run here (an error), any other exit a
// failed scenario; an error starting or waiting for it is returned as is.
func result(output string, err error) (Result, error) {
	res := Result{Output: output}
	var ee *exec.ExitError
	switch {
	case err == nil:
		res.Passed = true
	case errors.As(err, &ee) && ee.ExitCode() == 77:
		return res, errors.New("run.sh: the VM cannot run here (exit 77); see the output above")
	case errors.As(err, &ee):
		// scenario failed; output already logged
	default:
		return res, err
	}
	return res, nil
}
