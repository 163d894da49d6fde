package main

import (
	"context"
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
	code := arbitrate.ExitFailed
	common := []cli.Flag{
		&cli.StringFlag{Name: "devices", Aliases: []string{"d"}, Usage: "whole LUNs (a multipath device stands for its paths), comma or space separated"},
		&cli.StringFlag{Name: "key", Aliases: []string{"k"}, Usage: "this node's key (hex); or use --node and --cluster-name"},
		&cli.StringFlag{Name: "node", Usage: "node name: the key is fence_scsi's hash key of --cluster-name and --node"},
		&cli.StringFlag{Name: "cluster-name", Usage: "cluster name for --node"},
		&cli.StringFlag{Name: "type", Value: "7", Usage: "reservation type: 7 (WE-AR, default), 8, 5, 6, 1 or 3"},
		&cli.DurationFlag{Name: "period", Value: arbitrate.DefaultPeriod, Usage: "defender cycle P"},
		&cli.IntFlag{Name: "misses", Value: arbitrate.DefaultMisses, Usage: "failed defender cycles tolerated M"},
		&cli.DurationFlag{Name: "command-timeout", Value: arbitrate.DefaultCommandTimeout, Usage: "bound on each SCSI command T"},
		&cli.DurationFlag{Name: "wait", Usage: "attacker observation window W (default (M+1)·P + T + 1s; must exceed (M+1)·P + T)"},
		&cli.IntFlag{Name: "retries", Value: arbitrate.DefaultRetries, Usage: "re-sends of idempotent commands after transient errors"},
		&cli.BoolFlag{Name: "preempt-fallback", Usage: "retry a rejected PREEMPT AND ABORT as PREEMPT"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress messages"},
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
					return arbitrate.RunAcquire(ctx, cfg, logf)
				})},
			{Name: "defend", Usage: "hold the devices until lost (exit 1) or stopped (exit 0)",
				Flags: append(append([]cli.Flag{}, common...), &cli.BoolFlag{Name: "once", Usage: "one check: exit 0 held, 1 lost"}),
				Action: action(func(ctx context.Context, cfg arbitrate.Config, c *cli.Context, logf func(string, ...any)) int {
					return arbitrate.RunDefend(ctx, cfg, c.Bool("once"), logf)
				})},
			{Name: "release", Usage: "release and unregister", Flags: common,
				Action: action(func(ctx context.Context, cfg arbitrate.Config, _ *cli.Context, logf func(string, ...any)) int {
					return arbitrate.RunRelease(ctx, cfg, logf)
				})},
		},
	}
	if err := app.Run(args); err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return arbitrate.ExitFailed
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
		key, err = keys.FromNames(c.String("cluster-name"), c.String("node"))
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
	paths := fence.ParseDevices(c.String("devices"))
	if len(paths) == 0 {
		return arbitrate.Config{}, none, fmt.Errorf("--devices is required (whole LUNs, comma or space separated)")
	}
	cfg := arbitrate.Defaults(nil, key)
	cfg.Type = scsi.ReservationType(typ)
	cfg.Period = c.Duration("period")
	cfg.Misses = c.Int("misses")
	cfg.CommandTimeout = c.Duration("command-timeout")
	cfg.Retries = c.Int("retries")
	cfg.PreemptFallback = c.Bool("preempt-fallback")
	cfg.Wait = arbitrate.DefaultWait(cfg.Period, cfg.Misses, cfg.CommandTimeout)
	if c.IsSet("wait") {
		cfg.Wait = c.Duration("wait")
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
		d, err := scsi.Open(p, scsi.OpenOptions{Device: scsi.DeviceOptions{Timeout: cfg.CommandTimeout}})
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
