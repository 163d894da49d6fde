package fenceproto

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// FuzzReport: whatever error text a backend returns, the error report is
// exit 1, printable lines only, the -h hint exactly for usage errors, and
// "Connection timed out" for a run past its deadline.
func FuzzReport(f *testing.F) {
	for i, s := range []string{"Failed: device \"/dev/sdb\" does not exist", "a\nb", "\x00\xff", "Failed to verify 2 device(s)", ""} {
		f.Add(uint8(i), s)
	}
	f.Fuzz(func(t *testing.T, kind uint8, msg string) {
		var err error
		switch kind % 5 {
		case 0:
			err = &Error{Msg: msg, Usage: true}
		case 1:
			err = &Error{Msg: msg}
		case 2:
			err = errors.New(msg)
		case 3:
			err = fmt.Errorf("%s: %w", msg, context.DeadlineExceeded)
		case 4:
			err = fmt.Errorf("wrapped: %w", &Error{Msg: msg, Usage: true, Err: errors.New(msg)})
		}
		var errb bytes.Buffer
		l := newLogger(&errb, time.Now, nil)
		l.setup(false, false)
		if code := report(l, err); code != exitFail {
			t.Fatalf("exit %d", code)
		}
		out := errb.String()
		checkOneLine(t, nil, out)
		hint := strings.Contains(out, "ERROR: Please use '-h' for usage\n")
		if usage := kind%5 == 0 || kind%5 == 4; hint != usage {
			t.Fatalf("kind %d: hint %v in %q", kind%5, hint, out)
		}
		if kind%5 == 3 && !strings.HasSuffix(out, "ERROR: Connection timed out\n\n\n") {
			t.Fatalf("deadline: %q", out)
		}
	})
}
