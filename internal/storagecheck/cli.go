package storagecheck

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/fence"
	"github.com/fence-scsi-go/fence_scsi_go/internal/keys"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// Exit codes of check-storage.
const (
	ExitOK       = 0 // every device passed every rule (and the write test, if asked)
	ExitProblems = 1 // at least one problem: see the report
	ExitUsage    = 2 // bad arguments, or no device to check
)

// Env is what Run needs from the outside world.
type Env struct {
	Stdout, Stderr io.Writer
	// Open opens a device node; readOnly is false only for --write-test.
	Open     func(path string, readOnly bool) (scsi.Device, error)
	Sysfs    Sysfs
	Hostname func() (string, error)
}

type cliOptions struct {
	devices, key, node, method, cmapctl, vgs string
	aptpl, json, writeTest                   bool
	timeout                                  time.Duration
}

func parseArgs(args []string, stderr io.Writer) (cliOptions, error) {
	var o cliOptions
	fs := flag.NewFlagSet("check-storage", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.devices, "devices", "", "LUNs to check, comma or space separated (as devices=); a multipath device stands for its paths; empty: shared VGs' PVs (vgs)")
	fs.StringVar(&o.key, "key", "", "this node's key (hex); default: derived from the cluster for --nodename")
	fs.StringVar(&o.node, "nodename", "", "this node's name in the cluster (default: the host name)")
	fs.StringVar(&o.method, "key-value", "id", "how the agent derives keys: id or hash (fence_scsi's key_value)")
	fs.StringVar(&o.cmapctl, "corosync-cmap-path", keys.DefaultCmapctlPath, "corosync-cmapctl binary")
	fs.StringVar(&o.vgs, "vgs-path", fence.DefaultVgsPath, "vgs binary (device discovery when --devices is empty)")
	fs.BoolVar(&o.aptpl, "aptpl", false, "the agent will run with --aptpl: require PTPL_C")
	fs.BoolVar(&o.json, "json", false, "print the report as JSON")
	fs.BoolVar(&o.writeTest, "write-test", false, "DESTRUCTIVE opt-in: exercise PR OUT with a scratch key on LUs that have no registrations")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "bound on the whole check")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "usage: fence_scsi_go check-storage [--devices=LIST] [--key=HEX | --nodename=NAME] [--aptpl] [--json] [--write-test]")
			fs.SetOutput(stderr)
			fs.PrintDefaults()
		}
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := keys.CheckMethod(o.method); err != nil {
		return o, fmt.Errorf("--key-value must be id or hash")
	}
	if o.timeout <= 0 {
		return o, fmt.Errorf("--timeout must be positive")
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
		return ExitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	var key scsi.Key
	if o.key != "" {
		if key, err = keys.Parse(o.key); err != nil {
			fmt.Fprintf(env.Stderr, "check-storage: --key %q: %v\n", o.key, err)
			return ExitUsage
		}
	}
	devices := fence.ParseDevices(o.devices)
	if len(devices) == 0 {
		if devices, err = fence.DiscoverDevices(ctx, o.vgs, nil); err != nil {
			fmt.Fprintf(env.Stderr, "check-storage: no --devices and no shared volume group found: %v\n", err)
			return ExitUsage
		}
	}
	cl, notes := LoadCluster(ctx, ClusterConfig{Key: key, Node: o.node, Method: o.method, CmapctlPath: o.cmapctl, Hostname: env.Hostname})
	targets := openTargets(devices, env, !o.writeTest)
	defer closeTargets(targets)
	report := Check(ctx, targets, cl, Options{APTPL: o.aptpl})
	if o.writeTest {
		runWriteTests(ctx, targets, &report)
	}
	for _, n := range notes {
		fmt.Fprintf(env.Stderr, "check-storage: %s\n", n)
	}
	if o.json {
		if err := WriteJSON(env.Stdout, report); err != nil {
			fmt.Fprintf(env.Stderr, "check-storage: %v\n", err)
			return ExitProblems
		}
	} else {
		WriteText(env.Stdout, report)
	}
	if report.Verdict != "ok" {
		return ExitProblems
	}
	return ExitOK
}

// Check inspects every path of every target and applies the rules.
func Check(ctx context.Context, targets []Target, cl Cluster, opt Options) Report {
	var devs []DeviceReport
	for _, t := range targets {
		var paths []PathReport
		for _, p := range t.Paths {
			paths = append(paths, Inspect(ctx, p, cl))
		}
		devs = append(devs, Evaluate(t, paths, cl, opt))
	}
	return Summarize(devs, cl)
}

// runWriteTests runs WriteTest on every device and adds a problem for each
// one that failed; a refused device (registrations present) is reported.
func runWriteTests(ctx context.Context, targets []Target, r *Report) {
	for i, t := range targets {
		wt := WriteTestResult{Device: t.Name, Steps: []string{}}
		if rule := unsafeForWriteTest(r.Devices[i]); rule != "" {
			wt.Error = "refused: the read-only check failed rule " + rule
		} else {
			wt = WriteTest(ctx, t)
		}
		r.WriteTests = append(r.WriteTests, wt)
		if wt.OK {
			continue
		}
		fix := "read the steps: the LU could not take the agent's PR OUT sequence"
		if !wt.Ran {
			fix = "run --write-test only on a LU nobody has registered on yet"
		}
		r.Problems = append(r.Problems, Problem{Rule: "write-test", Device: t.Name, Message: wt.Error, Fix: fix})
		r.Verdict = "fail"
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

// openTargets opens every device, or each path of a multipath device.
func openTargets(devices []string, env Env, readOnly bool) []Target {
	var ts []Target
	for _, d := range devices {
		t := Target{Name: d}
		paths, err := env.Sysfs.Paths(d)
		if err != nil {
			t.OpenErrors = append(t.OpenErrors, fmt.Sprintf("%s: %v", d, err))
		}
		t.Multipath = len(paths) > 0
		if len(paths) == 0 && err == nil {
			paths = []string{d}
		}
		for _, p := range paths {
			dev, err := env.Open(p, readOnly)
			if err != nil {
				t.OpenErrors = append(t.OpenErrors, fmt.Sprintf("%s: %v", p, err))
				continue
			}
			t.Paths = append(t.Paths, Path{Name: p, Dev: dev, Nexus: env.Sysfs.Nexus(p)})
		}
		ts = append(ts, t)
	}
	return ts
}

func closeTargets(ts []Target) {
	for _, t := range ts {
		for _, p := range t.Paths {
			p.Dev.Close()
		}
	}
}
