package arbcli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/arbitrate"
)

// TestArbitrationLimits: settings out of their documented limits, and
// products that would overflow ((M+1)·P wrapped negative and was accepted),
// are refused with exit 1 and one line naming the setting, before any
// device is looked at.
func TestArbitrationLimits(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"defend", "--misses=9223372036854775807", "--wait=10s"}, "misses 9223372036854775807 must be between 0 and 100"},
		{[]string{"acquire", "--misses=9223372036854775807"}, "misses 9223372036854775807 must be between 0 and 100"},
		{[]string{"acquire", "--misses=3074457345618258602", "--wait=10s"}, "must be between 0 and 100"},
		{[]string{"defend", "--period=2562047h", "--wait=10s"}, "period 2562047h0m0s must be at most 10m0s"},
		{[]string{"defend", "--command-timeout=1h", "--period=2h", "--wait=20h"}, "command timeout 1h0m0s must be positive and at most 5m0s"},
		{[]string{"acquire", "--wait=2562047h"}, "wait 2562047h0m0s must be positive and at most 24h0m0s"},
		{[]string{"acquire", "--retries=11"}, "--retries=11 must be between 0 and 10"},
		{[]string{"acquire", "--retries=-1"}, "--retries=-1 must be between 0 and 10"},
		{[]string{"acquire", "--wait=9s"}, "unsafe timing: wait 9s must exceed"},
	} {
		var stderr bytes.Buffer
		args := append([]string{"fence_scsi_go"}, tc.args...)
		args = append(args, "--key=1", "--devices=/nonexistent/sdz")
		code := Run(args, &stderr)
		out := strings.TrimSpace(stderr.String())
		if code != 1 || !strings.Contains(out, tc.want) || strings.Contains(out, "\n") {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 and one line containing %q", tc.args, code, out, tc.want)
		}
	}
}

// TestArbitrationExitCodes: the CLI maps the typed outcomes and errors of
// internal/arbitrate to exit codes.
func TestArbitrationExitCodes(t *testing.T) {
	for _, tc := range []struct {
		r    arbitrate.Result
		err  error
		want int
	}{
		{arbitrate.Result{Outcome: arbitrate.Acquired}, nil, 0},
		{arbitrate.Result{Outcome: arbitrate.OwnerAlive}, nil, 3},
		{arbitrate.Result{Outcome: arbitrate.LostRace}, nil, 3},
		{arbitrate.Result{Outcome: arbitrate.Failed}, errors.New("x"), 1},
		{arbitrate.Result{Outcome: arbitrate.Acquired}, errors.New("x"), 1},
		{arbitrate.Result{}, fmt.Errorf("acquire /dev/sdb: %w", arbitrate.ErrDuplicateKey), 1},
	} {
		if got := acquireExit(tc.r, tc.err); got != tc.want {
			t.Errorf("acquireExit(%v, %v) = %d; want %d", tc.r.Outcome, tc.err, got, tc.want)
		}
	}
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{context.Canceled, 0},
		{fmt.Errorf("x: %w", arbitrate.ErrLost), 1},
		{fmt.Errorf("x: %w", arbitrate.ErrGaveUp), 1},
		{fmt.Errorf("x: %w", arbitrate.ErrPermanent), 1},
	} {
		if got := defendExit(tc.err); got != tc.want {
			t.Errorf("defendExit(%v) = %d; want %d", tc.err, got, tc.want)
		}
	}
}

// TestFlagUsageHasNoBackticks: urfave/cli turns `text` in a flag's usage
// into the flag's value placeholder, so a backtick there corrupts --help.
func TestFlagUsageHasNoBackticks(t *testing.T) {
	for _, f := range commonFlags() {
		if u, ok := f.(interface{ GetUsage() string }); ok && strings.Contains(u.GetUsage(), "`") {
			t.Errorf("%v: usage %q has a backtick", f.Names(), u.GetUsage())
		}
	}
}
