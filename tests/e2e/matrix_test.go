package e2e

// The target matrix: the same real-storage cases on more than one SCSI-3 PR implementation.
//
//	lio-6.1  the kernel target (LIO) of Debian 12's kernel (the default of every other test)
//	lio-new  LIO of the newest kernel of Debian's trixie-backports (tests/vm/run.sh --kernel new)
//	tgt      tgtd, the user-space target of Debian 12's tgt package (run.sh --target tgt)
//
// TestMatrixQuick (under FSG_E2E=1, in make test) runs the conformance suite and the fencing
// scenario at 4 LUNs (1 LUN only in the full matrix) on the two non-default targets; TestMatrix (FSG_E2E=1 FSG_MATRIX=1, make
// e2e-matrix) runs every case on every target. A target that deviates from SPC-4 in a way the
// agent does not handle yet has the case listed in knownDeviations: the case must then fail,
// and for that reason (a real assertion: if it starts passing, the table and docs/conformance.md
// must be updated). FSG_MATRIX_PARALLEL=N boots up to N guests at once (default 1).

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/tests/vm"
)

type matrixTarget struct {
	name, target, kernel string
	profile              string // tests/lio -lio.profile
}

var matrixTargets = []matrixTarget{
	{"lio-6.1", "lio", "default", "lio"},
	{"lio-new", "lio", "new", "lio"},
	{"tgt", "tgt", "default", "tgt"},
}

// knownDeviations: target/case -> the text the failing run must show. docs/conformance.md
// explains each one.
var knownDeviations = map[string]string{
	// tgt has no PREEMPT AND ABORT (ILLEGAL REQUEST, INVALID FIELD IN CDB): Debian's fence_scsi
	// fails `off` there, fence_scsi_go falls back to PREEMPT, so the transcripts differ.
	"tgt/side-by-side": "FAIL:",
	"tgt/isid-change":  "sg_persist read full status",
	// tgt has no PREEMPT AND ABORT for the takeover either; with --preempt-fallback (opt-in)
	// the PREEMPT works but tgt then reports the reservation with type 0 (docs/conformance.md).
	"tgt/ecx-1": "invalid field in cdb",
}

type matrixCase struct {
	name  string
	quick bool
	run   func(t *testing.T, m matrixTarget) vm.Result
}

func matrixCases() []matrixCase {
	return []matrixCase{
		{"conformance", true, matrixConformance},
		{"fence-1LUN", false, func(t *testing.T, m matrixTarget) vm.Result {
			return matrixRun(t, m, vm.Scenario{Nodes: 3, LUNs: 1, Script: "tests/e2e/fence_one.sh", Timeout: 15 * time.Minute})
		}},
		{"fence-4LUNs", true, func(t *testing.T, m matrixTarget) vm.Result {
			return matrixRun(t, m, vm.Scenario{Nodes: 3, LUNs: 4, Script: "tests/e2e/fence_one.sh", Timeout: 15 * time.Minute})
		}},
		{"isid-change", false, func(t *testing.T, m matrixTarget) vm.Result {
			return matrixRun(t, m, vm.Scenario{Nodes: 2, LUNs: 1, Script: "tests/e2e/fence_isid_change.sh"})
		}},
		{"side-by-side", false, func(t *testing.T, m matrixTarget) vm.Result {
			return matrixRun(t, m, vm.Scenario{Nodes: 3, LUNs: 2, Script: "tests/e2e/fence_side_by_side.sh", Timeout: 20 * time.Minute})
		}},
		{"parity-check", false, matrixParityCheck},
		{"ecx-1", false, func(t *testing.T, m matrixTarget) vm.Result {
			sc := vm.Scenario{Nodes: 2, LUNs: 2, Script: libScript(t, "ecx_inconvenient_case.sh", "ecx_lib.sh"), Timeout: 15 * time.Minute}
			return matrixRun(t, m, sc)
		}},
	}
}

// TestMatrixQuick: conformance and fencing at 4 LUNs on LIO of the new kernel and on tgt.
func TestMatrixQuick(t *testing.T) {
	runMatrix(t, matrixTargets[1:], true)
}

// TestMatrix: every case on every target (make e2e-matrix; FSG_MATRIX=1).
func TestMatrix(t *testing.T) {
	if os.Getenv("FSG_MATRIX") != "1" {
		t.Skip("the full target matrix runs with FSG_MATRIX=1 (make e2e-matrix)")
	}
	runMatrix(t, matrixTargets, false)
}

func runMatrix(t *testing.T, targets []matrixTarget, quickOnly bool) {
	vm.Parallel(t) // the parent too, or its parallel subtests would wait for the serial phase
	par, _ := strconv.Atoi(os.Getenv("FSG_MATRIX_PARALLEL"))
	sem := make(chan struct{}, max(par, 1))
	if !matrixAgentOK(t) {
		return
	}
	t.Cleanup(func() {
		if lioTestBin != "" {
			os.RemoveAll(filepath.Dir(lioTestBin))
		}
		lioTestOnce, lioTestBin, lioTestErr = sync.Once{}, "", nil
		matrixMu.Lock()
		defer matrixMu.Unlock()
		for _, l := range matrixLog {
			t.Log("MATRIX " + l)
		}
		matrixLog = nil
	})
	for _, m := range targets {
		for _, c := range matrixCases() {
			if quickOnly && !c.quick {
				continue
			}
			t.Run(m.name+"/"+c.name, func(t *testing.T) {
				// Parallel before the semaphore: a test paused in t.Parallel must not hold it.
				if par > 1 {
					vm.AlwaysParallel(t)
				} else {
					vm.Parallel(t)
				}
				sem <- struct{}{}
				defer func() { <-sem }()
				matrixCheck(t, m.name+"/"+c.name, func(t *testing.T) vm.Result { return c.run(t, m) })
			})
		}
	}
}

// matrixAgentOK: the matrix is about fence_scsi_go (acquire/defend, the watchdog mode); with
// Debian's fence_scsi as the agent under test it skips.
func matrixAgentOK(t *testing.T) bool {
	t.Helper()
	if a := vm.DefaultAgent(); isDebianFenceSCSI(a) && os.Getenv("FSG_E2E") == "1" {
		t.Skipf("the matrix runs fence_scsi_go (build it first: make build), not %s", a)
		return false
	}
	return true
}

var (
	matrixMu  sync.Mutex
	matrixLog []string
)

// matrixCheck runs one case and checks it against knownDeviations.
func matrixCheck(t *testing.T, id string, run func(t *testing.T) vm.Result) {
	t.Helper()
	start := time.Now()
	want, deviates := knownDeviations[id]
	res := run(t)
	verdict := "pass"
	switch {
	case deviates && res.Passed:
		t.Errorf("%s passed, but knownDeviations says it fails (%q): update the table and docs/conformance.md", id, want)
		verdict = "FAIL (passed: the known deviation is gone)"
	case deviates && !strings.Contains(res.Output, want):
		t.Errorf("%s failed, but not with the known deviation %q (see the output above)", id, want)
		verdict = "FAIL (not the known deviation)"
	case deviates:
		verdict = "known deviation: " + want
		t.Logf("%s fails as recorded: %s", id, want)
	case !res.Passed:
		t.Errorf("%s failed (the lines above are its output)", id)
		verdict = "FAIL"
	}
	line := id + ": " + verdict + " (" + time.Since(start).Round(time.Second).String() + ")"
	t.Log("MATRIX " + line)
	matrixMu.Lock()
	matrixLog = append(matrixLog, line)
	matrixMu.Unlock()
}

// matrixRun boots sc on target m; a failing scenario is returned, not fatal (matrixCheck decides).
func matrixRun(t *testing.T, m matrixTarget, sc vm.Scenario) vm.Result {
	t.Helper()
	sc.Target, sc.Kernel = m.target, m.kernel
	// Generous: several guests may run at once (FSG_MATRIX_PARALLEL) on a busy 2-core host.
	sc.Timeout = max(sc.Timeout, 25*time.Minute)
	return vm.Try(t, sc)
}

func matrixParityCheck(t *testing.T, m matrixTarget) vm.Result {
	res := matrixRun(t, m, scenario(t, 2, 1, 1, "parity_check.sh"))
	if res.Passed {
		wantLines(t, res.Output, "FSG-PARITY: CHECK unconfigured rc=0", "FSG-PARITY: CHECK registered rc=0",
			"FSG-PARITY: CHECK fenced rc=2", "FSG-PARITY: CHECK node2 rc=0")
	}
	return res
}

var (
	lioTestOnce sync.Once
	lioTestBin  string
	lioTestErr  error
)

// matrixConformance runs tests/lio (the conformance suite and the quirk probes) on m, expecting
// m's quirk profile.
func matrixConformance(t *testing.T, m matrixTarget) vm.Result {
	t.Helper()
	if os.Getenv("FSG_E2E") != "1" || testing.Short() || vm.Available() != "" {
		return vm.Try(t, vm.Scenario{}) // skips loudly (or fails under FSG_VM_REQUIRED=1)
	}
	lioTestOnce.Do(func() {
		root, err := vm.RepoRoot()
		if err != nil {
			lioTestErr = err
			return
		}
		dir, err := os.MkdirTemp("/var/tmp", "fsg-matrix-")
		if err != nil {
			lioTestErr = err
			return
		}
		lioTestBin = filepath.Join(dir, "lio.test")
		build := exec.Command("go", "test", "-c", "-o", lioTestBin, "./tests/lio/")
		build.Dir = root
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			lioTestErr = err
			t.Logf("go test -c ./tests/lio/:\n%s", out)
		}
	})
	if lioTestErr != nil {
		t.Fatalf("building tests/lio: %v", lioTestErr)
	}
	args := []string{"-test.v", "-test.timeout", "20m", "-lio.profile=" + m.profile}
	return matrixRun(t, m, vm.Scenario{Nodes: 3, LUNs: 1, Exec: lioTestBin, ExecArgs: args, Timeout: 25 * time.Minute})
}
