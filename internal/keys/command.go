package keys

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"time"
)

// ErrCommandTimeout is returned when the context ends while an external
// command runs; the text is what fence_scsi logs when a command times out.
var ErrCommandTimeout = errors.New("Connection timed out")

// Logf receives fence_scsi-style log lines; level is "DEBUG", "INFO", "WARNING" or "ERROR".
type Logf func(level, format string, args ...any)

// CommandResult is what an external command printed and how it ended.
type CommandResult struct {
	Stdout, Stderr string
	// ExitCode is the exit status, or -1 when the command could not be run.
	ExitCode int
}

// RunCommand runs path with args as an argument vector (never through a
// shell) with LANG=C and LC_ALL=C added to the environment, as fence_scsi's
// run_cmd does, and logs the command and its result at INFO/DEBUG. A command
// that cannot be started is reported with ExitCode -1 and a nil error, like a
// shell's 127 in fence_scsi; the only error is ErrCommandTimeout.
func RunCommand(ctx context.Context, logf Logf, path string, args ...string) (CommandResult, error) {
	if logf == nil {
		logf = func(string, string, ...any) {}
	}
	logf("INFO", "Executing: %s %s\n", path, strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(os.Environ(), "LANG=C", "LC_ALL=C")
	cmd.WaitDelay = time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		logf("DEBUG", "%s: %v\n", path, ctx.Err())
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
	logf("DEBUG", "%d %s %s\n", res.ExitCode, res.Stdout, res.Stderr)
	return res, nil
}
