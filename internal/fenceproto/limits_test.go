package fenceproto

import (
	"testing"
	"time"
)

// TestRunLimitFormula pins the limit documented in runLimit and checks it
// cannot overflow at the option maximums.
func TestRunLimitFormula(t *testing.T) {
	if got := runLimit(&Options{Action: "on", PowerTimeout: 20, LoginTimeout: 5, ShellTimeout: 3, StonithStatusSleep: 1, RetryOn: 1, PowerWait: 2}, 3); got != (5+3+2*(20+3*2+20))*time.Second {
		t.Fatalf("runLimit = %v", got)
	}
	if got := runLimit(&Options{Action: "off", PowerTimeout: 86400, StonithStatusSleep: 86400, PowerWait: 86400, Delay: 86400}, 1<<20); got <= 0 {
		t.Fatalf("runLimit overflowed: %v", got)
	}
	if got := runLimit(&Options{Action: "off", PowerTimeout: 0, Delay: 5}, 1); got != 0 {
		t.Fatalf("no power_timeout: limit %v, want none", got)
	}
}
