package check

import (
	"errors"
	"math"
	"strconv"
	"time"
)

// Limits of the retry settings in /etc/sysconfig/stonith. fence_scsi's check
// takes any number; here a count beyond the int range looped for ever and a
// sleep beyond about 9.2e9 seconds overflowed the duration into no wait at
// all. The bounds match the agent's own: MaxRetry is the limit of
// --retry-on, MaxRetrySleep (seconds) that of the options in seconds.
const (
	MaxRetry      = 100
	MaxRetrySleep = 86400
)

// retryPolicy returns the retry count and the sleep between attempts,
// clamped to 0...MaxRetry and 0...MaxRetrySleep seconds. A value out of
// range is clamped, one that is no number gives the default (retry 0,
// retry-sleep 1); both with one error line, and the check goes on.
func retryPolicy(set settings, log logger) (int, time.Duration) {
	return retryCount(set["retry"], log), retrySleep(set["retry-sleep"], log)
}

func retryCount(v string, log logger) int {
	n, err := strconv.Atoi(v)
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange):
		log.errorf("retry %q is not an integer, using 0", v)
		return 0
	case n < 0 || n > MaxRetry: // ErrRange: n is the nearest int
		n = min(max(n, 0), MaxRetry)
		log.errorf("retry %q is out of range (0 to %d), using %d", v, MaxRetry, n)
	}
	return n
}

func retrySleep(v string, log logger) time.Duration {
	// Whole seconds (the default "1" among them) need no float parsing, which is a large
	// piece of code to run at every start of the check.
	if n, err := strconv.Atoi(v); err == nil && n >= 0 && n <= MaxRetrySleep {
		return time.Duration(n) * time.Second
	}
	f, err := strconv.ParseFloat(v, 64)
	switch {
	case (err != nil && !errors.Is(err, strconv.ErrRange)) || math.IsNaN(f):
		log.errorf("retry-sleep %q is not a number, using 1", v)
		return time.Second
	case f < 0 || f > MaxRetrySleep: // ErrRange: f is ±Inf
		f = min(max(f, 0), MaxRetrySleep)
		log.errorf("retry-sleep %q is out of range (0 to %d), using %g", v, MaxRetrySleep, f)
	}
	return time.Duration(f * float64(time.Second))
}
