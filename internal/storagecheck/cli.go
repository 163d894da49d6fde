package storagecheck

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/fence"
	"github.com/fence-scsi-go/fence_scsi_go/internal/keys"
	"github.com/fence-scsi-go/fence_scsi_go/internal/keys/nodekey"
	"github.com/fence-scsi-go/fence_scsi_go/internal/logging"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// Exit codes of check-storage.
const (
	ExitReady    = 0 // every device passed every rule (and the write test, if asked)
	ExitError    = 1 // the check could not be done: bad arguments, no device, a path unreadable
	ExitNotReady = 2 // the storage answered and failed at least one rule: see the report
)

// Env is what Run needs from the outside world.
type Env struct {
	Stdout, Stderr io.Writer
	// Open opens a device node; readOnly is false only for --write-test and --cleanup.
	Open func(path string, readOnly bool) (scsi.Device, error)
	// OpenIO opens a device node read-write for the block I/O of --write-test
	// (one READ(10) and WRITE(10) of the same data); nil: no data is written.
	OpenIO   func(path string) (scsi.Transport, error)
	Sysfs    Sysfs
	Hostname func() (string, error)
	// Log receives the progress messages at INFO. Nil: "check-storage:
	// progress: ..." lines on Stderr once the run has taken more than a
	// second by Now (nil: time.Now).
	Log *slog.Logger
	Now func() time.Time
}

type cliOptions struct {
	devices, key, node, method, cmapctl, vgs, peer string
	aptpl, json, writeTest, force, cleanup         bool
	timeout, stepDelay                             time.Duration
}

const usage = "usage: fence_scsi_go check-storage [--devices=LIST] [--key=HEX | --nodename=NAME] [--aptpl] [--json] [--write-test [--peer-device=DEV] [--force]] [--cleanup]"

func flagSet(o *cliOptions) *flag.FlagSet {
	fs := flag.NewFlagSet("check-storage", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.devices, "devices", "", "LUNs to check, comma or space separated (as devices=); a multipath device stands for its paths; empty: shared VGs' PVs (vgs)")
	fs.StringVar(&o.key, "key", "", "this node's key (hex); default: derived from the cluster for --nodename")
	fs.StringVar(&o.node, "nodename", "", "this node's name in the cluster (default: the host name)")
	fs.StringVar(&o.method, "key-value", "id", "how the agent derives keys: id or hash (fence_scsi's key_value)")
	fs.StringVar(&o.cmapctl, "corosync-cmap-path", nodekey.DefaultCmapctlPath, "corosync-cmapctl binary")
	fs.StringVar(&o.vgs, "vgs-path", fence.DefaultVgsPath, "vgs binary (device discovery when --devices is empty)")
	fs.BoolVar(&o.aptpl, "aptpl", false, "the agent will run with --aptpl: require PTPL_C")
	fs.BoolVar(&o.json, "json", false, "print the report as JSON")
	fs.BoolVar(&o.writeTest, "write-test", false, "DESTRUCTIVE opt-in: exercise PR OUT with scratch keys on LUs that have no registrations")
	fs.BoolVar(&o.force, "force", false, "with --write-test: also on a LU that has registrations (never touches them)")
	fs.StringVar(&o.peer, "peer-device", "", "with --write-test: a second path (I_T nexus) to the one LU in --devices")
	fs.BoolVar(&o.cleanup, "cleanup", false, "remove check-storage scratch keys left by an interrupted --write-test (opens read-write)")
	fs.DurationVar(&o.stepDelay, "step-delay", 0, "with --write-test: pause after each step (to test an interrupted run)")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "bound on the whole check")
	return fs
}

func parseArgs(args []string, stderr io.Writer) (cliOptions, error) {
	var o cliOptions
	fs := flagSet(&o)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, usage)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
		}
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case nodekey.CheckMethod(o.method) != nil:
		return o, errors.New("--key-value must be id or hash")
	case o.timeout <= 0:
		return o, errors.New("--timeout must be positive")
	case o.stepDelay < 0 || o.stepDelay > time.Minute:
		return o, errors.New("--step-delay must be between 0 and 1m")
	case (o.force || o.stepDelay > 0) && !o.writeTest:
		return o, errors.New("--force and --step-delay need --write-test")
	case o.peer != "" && !o.writeTest && !o.cleanup:
		return o, errors.New("--peer-device needs --write-test or --cleanup")
	case o.peer != "" && len(fence.ParseDevices(o.devices)) != 1:
		return o, errors.New("--peer-device needs exactly one device in --devices")
	}
	return o, nil
}

// Run is `fence_scsi_go check-storage ARGS`; it returns the exit code.
func Run(args []string, env Env) int {
	o, err := parseArgs(args, env.Stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(env.Stderr, "check-storage: %v\n", err)
		}
		return ExitError
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	var key scsi.Key
	if o.key != "" {
		if key, err = keys.Parse(o.key); err != nil {
			fmt.Fprintf(env.Stderr, "check-storage: --key %q: %v\n", o.key, err)
			return ExitError
		}
	}
	devices := fence.ParseDevices(o.devices)
	if len(devices) == 0 {
		if devices, err = fence.DiscoverDevices(ctx, o.vgs, nil); err != nil {
			fmt.Fprintf(env.Stderr, "check-storage: no --devices and no shared volume group found: %v\n", err)
			return ExitError
		}
	}
	log := env.Log
	if log == nil {
		log = progressLog(env.Stderr, env.Now)
	}
	cl, notes := LoadCluster(ctx, ClusterConfig{Key: key, Node: o.node, Method: o.method, CmapctlPath: o.cmapctl, Hostname: env.Hostname})
	for _, n := range notes {
		fmt.Fprintf(env.Stderr, "check-storage: %s\n", n)
	}
	rw := o.writeTest || o.cleanup
	targets := openTargets(devices, env, !rw, o.writeTest)
	defer closeTargets(targets)
	if o.peer != "" {
		addPeer(&targets[0], o.peer, env)
	}
	report := run(ctx, targets, cl, o, log)
	return finish(report, o.json, env)
}

// run does what the options ask: clean-up of scratch keys first, the
// read-only check, then the write tests.
func run(ctx context.Context, targets []Target, cl Cluster, o cliOptions, log *slog.Logger) Report {
	var cleanups []CleanupResult
	if o.cleanup || o.writeTest {
		for _, t := range targets {
			logging.Infof(log, "%s: looking for check-storage scratch keys", t.Name)
			cleanups = append(cleanups, Cleanup(ctx, t))
		}
	}
	report := checkAll(ctx, targets, cl, Options{APTPL: o.aptpl}, log)
	report.Cleanups = cleanups
	if o.writeTest {
		runWriteTests(ctx, targets, &report, WriteTestOptions{Force: o.force, StepDelay: o.stepDelay, Log: log})
	}
	return report
}

// finish prints the report and returns the exit code.
func finish(r Report, asJSON bool, env Env) int {
	if asJSON {
		if err := WriteJSON(env.Stdout, r); err != nil {
			fmt.Fprintf(env.Stderr, "check-storage: %v\n", err)
			return ExitError
		}
	} else {
		WriteText(env.Stdout, r)
	}
	return ExitCode(r)
}

// ExitCode is 0 when the report is ok, 1 when some device could not be
// checked (rule unreadable), 2 when the storage failed a rule.
func ExitCode(r Report) int {
	if r.Verdict == "ok" {
		return ExitReady
	}
	for _, p := range r.Problems {
		if p.Rule == RuleUnreadable {
			return ExitError
		}
	}
	return ExitNotReady
}

// Check inspects every path of every target and applies the rules.
func Check(ctx context.Context, targets []Target, cl Cluster, opt Options) Report {
	return checkAll(ctx, targets, cl, opt, nil)
}

// checkAll is Check with its progress messages on log (which may be nil).
func checkAll(ctx context.Context, targets []Target, cl Cluster, opt Options, log *slog.Logger) Report {
	var devs []DeviceReport
	for _, t := range targets {
		var paths []PathReport
		for i, p := range t.Paths {
			logging.Infof(log, "%s: reading path %s (%d/%d)", t.Name, p.Name, i+1, len(t.Paths))
			paths = append(paths, Inspect(ctx, p, cl))
		}
		devs = append(devs, Evaluate(t, paths, cl, opt))
	}
	return Summarize(devs, cl)
}

func (r *Report) addProblem(p Problem) {
	r.Problems = append(r.Problems, p)
	r.Verdict = "fail"
	for i := range r.Devices {
		if r.Devices[i].Device == p.Device {
			r.Devices[i].Problems = append(r.Devices[i].Problems, p)
			r.Devices[i].Verdict = "fail"
		}
	}
}

// runWriteTests runs WriteTest on every device and adds a problem for each
// one that failed; a refused device (registrations present) is reported.
func runWriteTests(ctx context.Context, targets []Target, r *Report, opt WriteTestOptions) {
	for i, t := range targets {
		wt := newWriteTestResult(t.Name)
		if rule := unsafeForWriteTest(r.Devices[i]); rule != "" {
			wt.Error = "refused: the read-only check failed rule " + rule
		} else {
			wt = WriteTest(ctx, t, opt)
		}
		r.WriteTests = append(r.WriteTests, wt)
		if wt.OK {
			continue
		}
		fix := "read the steps: the LU could not take the agent's PR OUT sequence"
		if !wt.Ran {
			fix = "run --write-test on a LU nobody has registered on yet (or add --force: other registrations are never touched)"
		}
		r.addProblem(Problem{Rule: RuleWriteTest, Device: t.Name, Message: wt.Error, Fix: fix})
	}
}

// unsafeForWriteTest names a failed rule that makes a write test pointless
// or unsafe (the paths may reach different LUs, or cannot be read).
func unsafeForWriteTest(d DeviceReport) string {
	for _, p := range d.Problems {
		switch p.Rule {
		case RuleNoPR, RuleIdentityMismatch, RuleUnreadable, RuleDuplicateLU:
			return p.Rule
		}
	}
	return ""
}
