package fenceproto

import (
	"context"
	"errors"
	"fmt"
)

// Error is a failure that carries the exact text fence_scsi logs for it.
// Return it (wrapped or not) from a Backend to control what the caller sees.
type Error struct {
	Msg string
	// Usage marks a fatal usage error (fence-agents fail_usage): the message
	// is followed by a blank line and "Please use '-h' for usage". Most
	// fence_scsi failures are of this kind, e.g. `Failed: device "X" does
	// not exist`; "Failed to verify N device(s)" is not.
	Usage bool
	Err   error // underlying cause, if any (not printed)
}

func (e *Error) Error() string { return e.Msg }

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// UsageErrorf returns a fatal usage error with a formatted message.
func UsageErrorf(format string, a ...any) error {
	return &Error{Msg: fmt.Sprintf(format, a...), Usage: true}
}

// failf returns a plain failure: the message is logged as one ERROR line.
func failf(format string, a ...any) error {
	return &Error{Msg: fmt.Sprintf(format, a...)}
}

const usageHint = "Please use '-h' for usage\n"

// TimedOutMsg is fence-agents' EC_TIMED_OUT text as fail() logs it: what a
// run prints when a command or the run itself exceeds its time limit.
const TimedOutMsg = "Connection timed out\n\n"

// refusedFile is a logfile or debug file path that is not a regular file.
type refusedFile struct{ why string }

func (e *refusedFile) Error() string { return e.why }

// fileError is the failure to open the logfile or debug file name:
// fence_scsi's texts for an open error, one line for a refused file type.
func (r *run) fileError(name string, err error, debug bool) error {
	var rf *refusedFile
	if errors.As(err, &rf) {
		return failf("Failed: Unable to create file %s: %s", clean(name), rf.why)
	}
	if debug {
		r.log.Errorf("Unable to create file %s", clean(name))
	}
	return UsageErrorf("Failed: Unable to create file %s", clean(name))
}

// report logs err the way fence_scsi would and returns the exit code (1).
func report(log *Logger, err error) int {
	if errors.Is(err, context.DeadlineExceeded) {
		log.Errorf("%s", TimedOutMsg)
		return exitFail
	}
	var fe *Error
	if errors.As(err, &fe) {
		if fe.Usage {
			failUsage(log, fe.Msg, true)
			return exitFail
		}
		log.Errorf("%s", fe.Msg)
		return exitFail
	}
	log.Errorf("%s", err.Error())
	return exitFail
}

// failUsage logs like fence-agents fail_usage: "msg\n", then the -h hint
// when the error stops the agent.
func failUsage(log *Logger, msg string, stop bool) {
	if msg != "" {
		log.Errorf("%s\n", msg)
	}
	if stop {
		log.Errorf("%s", usageHint)
	}
}

// Exit codes (fence-agents lib/fencing.py.py's EC_* values).
const (
	exitOK   = 0
	exitFail = 1
	exitOff  = 2 // status: the node is OFF
)
