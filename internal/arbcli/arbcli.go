// Package arbcli is the command line of the storage arbitration mode
// (`fence_scsi_go acquire|defend|release`, docs/arbitration.md): flags,
// device checks, multipath expansion, opening the devices, and the mapping
// of internal/arbitrate's typed outcomes to process exit codes. The
// arbitration logic itself is in internal/arbitrate, which returns no exit
// codes.
package arbcli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/fence-scsi-go/fence_scsi_go/internal/arbitrate"
	"github.com/fence-scsi-go/fence_scsi_go/internal/logging"
)

// Commands are the first arguments that select the storage arbitration
// mode instead of the fence_scsi agent.
var Commands = map[string]bool{"acquire": true, "defend": true, "release": true}

// Exit codes of the acquire, defend and release actions.
const (
	exitOK         = 0 // acquired / held / released
	exitFailed     = 1 // any failure; for defend: lost or gave up
	exitOwnerAlive = 3 // acquire only: another server owns the devices; nothing was disturbed
)

// Run runs `fence_scsi_go acquire|defend|release ...` (args is the whole
// argv) and returns the exit code: 0 done/held, 1 failure or loss, 3
// (acquire) the owner is alive and nothing was disturbed.
func Run(args []string, stderr io.Writer) int {
	return run(args, stderr, system)
}

// actionFunc is one command's work on a checked configuration.
type actionFunc func(ctx context.Context, cfg arbitrate.Config, c *cli.Context, logf func(string, ...any)) int

func run(args []string, stderr io.Writer, e env) int {
	code := exitFailed
	action := func(f actionFunc) cli.ActionFunc {
		return func(c *cli.Context) error {
			code = runAction(c, stderr, e, f)
			return nil
		}
	}
	app := newApp(stderr, action)
	if err := app.Run(args); err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return exitFailed
	}
	return code
}

// runAction builds the configuration of one command and runs f on it.
func runAction(c *cli.Context, stderr io.Writer, e env, f actionFunc) int {
	// Progress messages: one timestamped line each on stderr.
	var log *slog.Logger
	if !c.Bool("quiet") {
		log = logging.Func(func(_ slog.Level, msg string) {
			fmt.Fprintf(stderr, "%s %s\n", time.Now().Format("2006-01-02 15:04:05.000"), msg)
		})
	}
	logf := func(format string, a ...any) {
		if log != nil {
			log.Info(fmt.Sprintf(format, a...))
		}
	}
	cfg, closeAll, err := config(c, e, logf)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", c.Command.Name, err)
		return exitFailed
	}
	defer closeAll()
	cfg.Log = log
	// SIGTERM/SIGINT stop a defender cleanly (the cluster manager
	// stopping the group); an acquire in progress is abandoned the
	// same way, with its partial takes rolled back by Acquire.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return f(ctx, cfg, c, logf)
}

func commonFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "devices", Aliases: []string{"d"}, Usage: "whole LUNs (a multipath device stands for its paths), comma or space separated"},
		&cli.StringFlag{Name: "key", Aliases: []string{"k"}, Usage: "this node's key (hex); or use --node and --cluster-name"},
		&cli.StringFlag{Name: "node", Usage: "node name: the key is 16 bits of MD5(--cluster-name) and 48 bits of MD5(--node)"},
		&cli.StringFlag{Name: "cluster-name", Usage: "cluster name for --node"},
		&cli.StringFlag{Name: "type", Value: "7", Usage: "reservation type: 7 (WE-AR, default), 8, 5, 6, 1 or 3"},
		&cli.DurationFlag{Name: "period", Value: arbitrate.DefaultPeriod, Usage: "defender cycle P"},
		&cli.IntFlag{Name: "misses", Value: arbitrate.DefaultMisses, Usage: "failed defender cycles tolerated M"},
		&cli.DurationFlag{Name: "command-timeout", Value: arbitrate.DefaultCommandTimeout, Usage: "bound on each SCSI command T"},
		&cli.DurationFlag{Name: "wait", Usage: "attacker observation window W (default (M+1)·P + T + 2s; must exceed (M+1)·P + T + 1s)"},
		&cli.BoolFlag{Name: "sync-monitor", Usage: "the defender runs as \"defend --once\", started P after the previous run ended: W must exceed (M+1)·(2·P + 2s) + T + 1s (default 1s more)"},
		&cli.IntFlag{Name: "retries", Value: arbitrate.DefaultRetries, Usage: "the SG_IO layer's re-sends after transient path errors (0-10), within T"},
		&cli.BoolFlag{Name: "preempt-fallback", Usage: "retry a rejected PREEMPT AND ABORT as PREEMPT"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress messages"},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "defend: also log every renewal (timestamped)"},
	}
}

func newApp(stderr io.Writer, action func(actionFunc) cli.ActionFunc) *cli.App {
	common := commonFlags()
	return &cli.App{
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
}
