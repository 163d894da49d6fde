package fenceproto

import (
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

// Failf returns a plain failure: the message is logged as one ERROR line.
func Failf(format string, a ...any) error {
	return &Error{Msg: fmt.Sprintf(format, a...)}
}

const usageHint = "Please use '-h' for usage\n"

// report logs err the way fence_scsi would and returns the exit code (1).
func report(log *Logger, err error) int {
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
