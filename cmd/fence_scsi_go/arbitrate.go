package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/fence-scsi-go/fence_scsi_go/internal/arbitrate"
	"github.com/fence-scsi-go/fence_scsi_go/internal/fence"
	"github.com/fence-scsi-go/fence_scsi_go/internal/keys"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// arbitrationCommands are the first arguments that select the storage
// arbitration mode (docs/arbitration.md) instead of the fence_scsi agent.
var arbitrationCommands = map[string]bool{"acquire": true, "defend": true, "release": true}

// runArbitration runs `fence_scsi_go acquire|defend|release ...` and
// returns the exit code: 0 done/held, 1 failure or loss, 3 (acquire) the
// owner is alive and nothing was disturbed.
func runArbitration(args []string, stderr io.Writer) int {
	code := exitFailed
	common := []cli.Flag{
		&cli.StringFlag{Name: "devices", Aliases: []string{"d"}, Usage: "whole LUNs (a multipath device stands for its paths), comma or space separated"},
		&cli.StringFlag{Name: "key", Aliases: []string{"k"}, Usage: "this node's key (hex); or use --node and --cluster-name"},
		&cli.StringFlag{Name: "node", Usage: "node name: the key is 16 bits of MD5(--cluster-name) and 48 bits of MD5(--node)"},
		&cli.StringFlag{Name: "cluster-name", Usage: "cluster name for --node"},
		&cli.StringFlag{Name: "type", Value: "7", Usage: "reservation type: 7 (WE-AR, default), 8, 5, 6, 1 or 3"},
		&cli.DurationFlag{Name: "period", Value: arbitrate.DefaultPeriod, Usage: "defender cycle P"},
		&cli.IntFlag{Name: "misses", Value: arbitrate.DefaultMisses, Usage: "failed defender cycles tolerated M"},
		&cli.DurationFlag{Name: "command-timeout", Value: arbitrate.DefaultCommandTimeout, Usage: "bound on each SCSI command T"},
		&cli.DurationFlag{Name: "wait", Usage: "attacker observation window W (default (M+1)·P + T + 1s; must exceed (M+1)·P + T)"},
		&cli.IntFlag{Name: "retries", Value: arbitrate.DefaultRetries, Usage: "the SG_IO layer's re-sends after transient path errors (0-10), within T"},
		&cli.BoolFlag{Name: "preempt-fallback", Usage: "retry a rejected PREEMPT AND ABORT as PREEMPT"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress messages"},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "defend: also log every renewal (timestamped)"},
	}
	action := func(run func(ctx context.Context, cfg arbitrate.Config, c *cli.Context, logf func(string, ...any)) int) cli.ActionFunc {
		return func(c *cli.Context) error {
			logf := func(format string, a ...any) {
				fmt.Fprintf(stderr, "%s %s\n", time.Now().Format("2006-01-02 15:04:05.000"), fmt.Sprintf(format, a...))
			}
			if c.Bool("quiet") {
				logf = func(string, ...any) {}
			}
			cfg, closeAll, err := arbitrationConfig(c, logf)
			if err != nil {
				fmt.Fprintf(stderr, "%s: %v\n", c.Command.Name, err)
				return nil
			}
			defer closeAll()
			// SIGTERM/SIGINT stop a defender cleanly (the cluster manager
			// stopping the group); an acquire in progress is abandoned the
			// same way, with its partial takes rolled back by Acquire.
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			code = run(ctx, cfg, c, logf)
			return nil
		}
	}
	app := &cli.App{
		Name:           "fence_scsi_go",
		Usage:          "exclusive-owner storage arbitration (acquire, defend, release)",
		Writer:         stderr,
		ErrWriter:      stderr,
		ExitErrHandler: func(*cli.Context, error) {},
		Commands: []*cli.Command{
			{Name: "acquire", Usage: "take the devices (exit 0 acquired, 3 owner alive, 1 failure)", Flags: common,
				Action: action(func(ctx context.Context, cfg arbitrate.Config, _ *cli.Context, logf func(string, ...any)) int {
					return runAcquire(ctx, cfg, logf)
				})},
			{Name: "defend", Usage: "hold the devices until lost (exit 1) or stopped (exit 0)",
				Flags: append(append([]cli.Flag{}, common...), &cli.BoolFlag{Name: "once", Usage: "one check: exit 0 held, 1 lost"}),
				Action: action(func(ctx context.Context, cfg arbitrate.Config, c *cli.Context, logf func(string, ...any)) int {
					return runDefend(ctx, cfg, c.Bool("once"), logf)
				})},
			{Name: "release", Usage: "release and unregister", Flags: common,
				Action: action(func(ctx context.Context, cfg arbitrate.Config, _ *cli.Context, logf func(string, ...any)) int {
					return runRelease(ctx, cfg, logf)
				})},
		},
	}
	if err := app.Run(args); err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return exitFailed
	}
	return code
}

// arbitrationConfig turns the flags into an arbitrate.Config with the
// devices opened; it refuses an unsafe timing before any device is touched.
func arbitrationConfig(c *cli.Context, logf func(string, ...any)) (arbitrate.Config, func(), error) {
	none := func() {}
	var key scsi.Key
	var err error
	switch {
	case c.String("key") != "" && c.String("node") != "":
		return arbitrate.Config{}, none, fmt.Errorf("give either --key or --node, not both")
	case c.String("key") != "":
		key, err = keys.Parse(c.String("key"))
	case c.String("node") != "":
		key, err = arbitrate.KeyFromNames(c.String("cluster-name"), c.String("node"))
	default:
		err = fmt.Errorf("a key is required: --key=KEY, or --node=NAME --cluster-name=NAME")
	}
	if err != nil {
		return arbitrate.Config{}, none, err
	}
	typ, err := strconv.ParseUint(c.String("type"), 10, 8)
	if err != nil || !scsi.ReservationType(typ).Valid() {
		return arbitrate.Config{}, none, fmt.Errorf("--type=%q is not a reservation type (1, 3, 5, 6, 7 or 8)", c.String("type"))
	}
	cfg := arbitrate.Defaults(nil, key)
	cfg.Type = scsi.ReservationType(typ)
	cfg.Period = c.Duration("period")
	cfg.Misses = c.Int("misses")
	cfg.CommandTimeout = c.Duration("command-timeout")
	cfg.PreemptFallback = c.Bool("preempt-fallback")
	cfg.Verbose = c.Bool("verbose")
	retries := c.Int("retries")
	if retries < 0 || retries > arbitrate.MaxRetries {
		return arbitrate.Config{}, none, fmt.Errorf("--retries=%d must be between 0 and %d", retries, arbitrate.MaxRetries)
	}
	if c.IsSet("wait") {
		cfg.Wait = c.Duration("wait")
	} else if cfg.Wait, err = arbitrate.DefaultWait(cfg.Period, cfg.Misses, cfg.CommandTimeout); err != nil ||
		cfg.Misses > arbitrate.MaxMisses {
		cfg.Wait = 0 // ValidateTiming names the setting out of range
	}
	// Refused before any device is looked at.
	if err := cfg.ValidateTiming(); err != nil {
		return arbitrate.Config{}, none, err
	}
	paths := fence.ParseDevices(c.String("devices"))
	if len(paths) == 0 {
		return arbitrate.Config{}, none, fmt.Errorf("--devices is required (whole LUNs, comma or space separated)")
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return arbitrate.Config{}, none, fmt.Errorf("device %q does not exist", p)
		}
		if fi.Mode()&os.ModeDevice == 0 || fi.Mode()&os.ModeCharDevice != 0 {
			return arbitrate.Config{}, none, fmt.Errorf("device %q is not a block device", p)
		}
	}
	// A device-mapper (multipath) node stands for its paths: one I_T nexus
	// each, all registered, as fence_scsi's mpath_register_method=multi.
	var nexuses []string
	for _, p := range paths {
		mp, err := fence.MultipathPaths("", p)
		if err != nil {
			return arbitrate.Config{}, none, err
		}
		if mp == nil {
			nexuses = append(nexuses, p)
			continue
		}
		logf("%s: %s is a multipath device: working through its paths %s", c.Command.Name, p, strings.Join(mp, ","))
		nexuses = append(nexuses, mp...)
	}
	paths = nexuses
	closeAll := func() {
		for _, d := range cfg.Devices {
			d.Close()
		}
	}
	for _, p := range paths {
		d, err := scsi.Open(p, scsi.OpenOptions{Device: deviceOptions(cfg.CommandTimeout, retries)})
		if err != nil {
			closeAll()
			return arbitrate.Config{}, none, err
		}
		cfg.Devices = append(cfg.Devices, d)
	}
	// Opening sends no command; an unsafe timing is refused before any is sent.
	if err := cfg.Validate(); err != nil {
		closeAll()
		return arbitrate.Config{}, none, err
	}
	return cfg, closeAll, nil
}

// deviceOptions are the SG_IO layer's settings: its retry policy is the
// only one (the arbitrate package never re-sends), each command bounded by
// t in the kernel and, with all its retries, by t through the context.
func deviceOptions(t time.Duration, retries int) scsi.DeviceOptions {
	o := scsi.DeviceOptions{Timeout: t, MaxTransientRetries: retries}
	if retries == 0 {
		o.MaxTransientRetries = -1 // DeviceOptions: 0 means the default, negative none
	}
	return o
}

// Exit codes of the acquire, defend and release actions.
const (
	exitOK         = 0 // acquired / held / released
	exitFailed     = 1 // any failure; for defend: lost or gave up
	exitOwnerAlive = 3 // acquire only: another server owns the devices; nothing was disturbed
)

// acquireExit maps an Acquire result to the exit code: a race lost to
// another server is "owner alive" too (it owns them now, nothing of its was
// touched).
func acquireExit(r arbitrate.Result, err error) int {
	switch {
	case err == nil && r.Outcome == arbitrate.Acquired:
		return exitOK
	case err == nil && (r.Outcome == arbitrate.OwnerAlive || r.Outcome == arbitrate.LostRace):
		return exitOwnerAlive
	}
	return exitFailed
}

// runAcquire runs Acquire, logs the outcome and returns the exit code.
func runAcquire(ctx context.Context, cfg arbitrate.Config, logf func(string, ...any)) int {
	cfg.Logf = logf
	logf("acquire: %s", cfg.Bounds())
	r, err := arbitrate.Acquire(ctx, cfg)
	switch {
	case err != nil:
		logf("acquire: FAILED: %v", err)
	case r.Outcome == arbitrate.OwnerAlive:
		logf("acquire: owner alive: it renewed during the %v wait; nothing was disturbed", cfg.Wait)
	case r.Outcome == arbitrate.LostRace:
		logf("acquire: lost the race: another server took the devices first; nothing of its was disturbed")
	default:
		for _, d := range r.Devices {
			logf("acquire %s: %s (previous owners %v)", d.Name, d.Action, d.Owners)
		}
		logf("acquire: acquired %d device(s) with key %v, type %v", len(r.Devices), cfg.Key, cfg.Type)
	}
	return acquireExit(r, err)
}

// defendExit maps a Defend result to the exit code: 0 only when held
// (once) or stopped by a signal, 1 lost, gave up, or a permanent error.
func defendExit(err error) int {
	if err == nil || errors.Is(err, context.Canceled) {
		return exitOK
	}
	return exitFailed
}

// runDefend runs Defend, logs the outcome and returns the exit code.
func runDefend(ctx context.Context, cfg arbitrate.Config, once bool, logf func(string, ...any)) int {
	cfg.Logf = logf
	if !once {
		logf("defend: %s", cfg.Bounds())
	}
	err := arbitrate.Defend(ctx, cfg, once)
	switch {
	case err == nil:
		logf("defend: held")
	case errors.Is(err, context.Canceled):
		logf("defend: stopped")
	case errors.Is(err, arbitrate.ErrLost):
		logf("defend: LOST: %v", err)
	default:
		logf("defend: FAILED: %v", err)
	}
	return defendExit(err)
}

// runRelease runs Release and returns the exit code.
func runRelease(ctx context.Context, cfg arbitrate.Config, logf func(string, ...any)) int {
	cfg.Logf = logf
	if err := arbitrate.Release(ctx, cfg); err != nil {
		logf("release: FAILED: %v", err)
		return exitFailed
	}
	return exitOK
}
