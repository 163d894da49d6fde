package fenceproto

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on the numeric options. fence_scsi accepts any integer; here a
// value beyond these is refused before anything runs, so no duration can
// overflow (--delay=18446744073 would otherwise wrap to no delay at all).
const (
	// MaxSeconds bounds every option in seconds (delay, power_timeout,
	// power_wait, shell_timeout, login_timeout, stonith_status_sleep) in
	// both directions: one day.
	MaxSeconds = 86400
	// MaxRetryOn bounds retry_on in both directions.
	MaxRetryOn = 100
	// StopGrace is how long a run may take beyond its limit (runLimit) to
	// wind down (kill its commands, print the error) before it is stopped
	// regardless of what it waits for.
	StopGrace = 2 * time.Second
)

// checkRange refuses a numeric option outside its documented range.
func checkRange(opt *Option, n int) error {
	max := MaxSeconds
	if opt.Type != "second" {
		max = MaxRetryOn
	}
	if n < -max || n > max {
		return failf("Failed: The value you have entered for --%s is out of range (%d to %d)", opt.Long, -max, max)
	}
	return nil
}

// runLimit is the longest a run may take, counted from its start, when
// timeouts apply (power_timeout > 0; never under Pacemaker, whose
// disable_timeout zeroes every timeout): the fence delay plus one second
// (off only, as fence-agents' run_delay waits 1+delay), login_timeout and
// shell_timeout for the work before the device is touched (key derivation,
// device discovery), and per attempt (1, or 1+retry_on for on)
// power_timeout for the set step, power_wait once per plug, and
// power_timeout polls stonith_status_sleep apart. 0 means no limit.
func runLimit(o *Options, plugs int) time.Duration {
	if o.PowerTimeout <= 0 {
		return 0
	}
	pos := func(n int) int64 { return int64(max(n, 0)) }
	attempts := int64(1)
	if o.Action == "on" {
		attempts = max(1, 1+int64(o.RetryOn))
	}
	pt := pos(o.PowerTimeout)
	secs := pos(o.LoginTimeout) + pos(o.ShellTimeout) +
		attempts*(pt+int64(plugs)*pos(o.PowerWait)+pt*max(1, pos(o.StonithStatusSleep)))
	if o.Action == "off" && o.Delay > 0 {
		secs += 1 + pos(o.Delay)
	}
	const most = int64(1) << 32 // far below time.Duration's range
	return time.Duration(min(secs, most)) * time.Second
}

// plugCount is how many plugs fence-agents' fence_action loops over
// (nodename wins over plug, as in step 13).
func plugCount(v values) int {
	plug, sep := v[optPort], v[optPlugSeparator]
	if n := v[optNodename]; n != "" {
		plug = n
	}
	if _, ok := v[optPort]; (ok || v[optNodename] != "") && sep != "" {
		return len(strings.Split(plug, sep))
	}
	return 1
}

// withRunLimit sets the run's deadline and arms the hard stop StopGrace
// after it.
func (r *run) withRunLimit(ctx context.Context, o *Options, plugs int) (context.Context, context.CancelFunc) {
	lim := runLimit(o, plugs)
	if lim <= 0 {
		return ctx, func() {}
	}
	left := lim - r.env.Now().Sub(r.start)
	t := time.AfterFunc(max(left, 0)+StopGrace, r.stop)
	ctx, cancel := context.WithTimeout(ctx, left)
	return ctx, func() { t.Stop(); cancel() }
}

// clean returns s as it is when it is printable on one line, else quoted
// with Go escapes, so that no user-supplied text can put a line break or a
// control character into stderr, a log file or syslog.
func clean(s string) string {
	if printable(s) {
		return s
	}
	return strconv.Quote(s)
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if c != ' ' && !unicode.IsPrint(c) {
			return false
		}
	}
	return true
}

// Clean is clean for backends: s unchanged when printable, else quoted.
func Clean(s string) string { return clean(s) }
