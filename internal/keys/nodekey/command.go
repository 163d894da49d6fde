package nodekey

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/fence-scsi-go/fence_scsi_go/internal/texts"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/interrupt"
	"github.com/fence-scsi-go/fence_scsi_go/internal/logging"
)

// ErrCommandTimeout is returned when the context ends while an external
// command runs; the text is what fence_scsi logs when a command times out.
var ErrCommandTimeout = errors.New(texts.CommandTimedOut)

// CommandResult is what an external command printed and how it ended.
type CommandResult struct {
	Stdout, Stderr string
	// ExitCode is the exit status, or -1 when the command could not be run.
	ExitCode int
}

type commandTimeoutKey struct{}

// WithCommandTimeout returns a context under which every RunCommand is
// limited to d (fence-agents' run_command kills a command after
// power_timeout seconds). d <= 0 means no limit besides the context's own.
func WithCommandTimeout(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, commandTimeoutKey{}, d)
}

// CommandTimeout returns the per-command limit set by WithCommandTimeout (0: none).
func CommandTimeout(ctx context.Context) time.Duration {
	d, _ := ctx.Value(commandTimeoutKey{}).(time.Duration)
	return d
}

// maxOutput bounds what is kept of a command's stdout and stderr each.
const maxOutput = 4 << 20

// RunCommand runs path with args as an argument vector (never through a
// shell) with LANG=C and LC_ALL=C added to the environment, as fence_scsi's
// run_cmd does, and logs the command and its result at INFO/DEBUG. A command
// that cannot be started is reported with ExitCode -1 and a nil error, like a
// shell's 127 in fence_scsi.
//
// The command runs in a process group of its own. When ctx ends or the
// per-command limit (WithCommandTimeout) passes, the whole group is killed
// with SIGKILL, so a shell script's children do not outlive it, and
// ErrCommandTimeout is returned (wrapping the cause when ctx was cancelled
// rather than timed out).
//
// log (nil: none) gets fence_scsi's lines: the command line at INFO, its
// result at DEBUG.
func RunCommand(ctx context.Context, log *slog.Logger, path string, args ...string) (CommandResult, error) {
	log = logging.OrDiscard(log)
	log.Info(fmt.Sprintf(texts.ExecutingCommand, path, strings.Join(args, " ")))
	cctx := ctx
	if d := CommandTimeout(ctx); d > 0 {
		var cancel context.CancelFunc
		cctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	// The command runs in a process group of its own, which a signal sent
	// to the agent alone does not reach: from now on SIGTERM and SIGINT
	// cancel the run (and with it the command) instead of ending the agent.
	interrupt.Arm(ctx)
	cmd := exec.CommandContext(cctx, path, args...)
	cmd.Env = append(os.Environ(), "LANG=C", "LC_ALL=C")
	cmd.WaitDelay = time.Second
	ownProcessGroup(cmd)
	stdout, stderr := &limitedBuffer{max: maxOutput}, &limitedBuffer{max: maxOutput}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	if cctx.Err() != nil {
		log.Debug(fmt.Sprintf("%s: %v\n", path, cctx.Err()))
		if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return CommandResult{ExitCode: -1}, fmt.Errorf("%w (%w)", ErrCommandTimeout, context.Cause(ctx))
		}
		return CommandResult{ExitCode: -1}, ErrCommandTimeout
	}
	res := CommandResult{Stdout: stdout.String(), Stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		res.ExitCode = exitErr.ExitCode()
	default:
		res.ExitCode = -1
		res.Stderr += err.Error()
	}
	log.Debug(fmt.Sprintf("%d %s %s\n", res.ExitCode, res.Stdout, res.Stderr))
	return res, nil
}

// limitedBuffer keeps the first max bytes written to it and drops the rest
// (a runaway command cannot exhaust memory). It has no ReadFrom, so io.Copy
// goes through Write.
type limitedBuffer struct {
	buf bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string { return b.buf.String() }
