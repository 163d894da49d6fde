package fenceproto

import (
	"context"
	"io"
	"time"
)

// fenceAction is fence-agents' generic fence_action for fence_scsi
// (lib/fencing.py.py's fence_action): read the status, short-circuit "Already OFF", run the set
// step (1 attempt for off, 1+retry_on for on), sleep power_wait, then poll
// the status every stonith_status_sleep seconds, at most power_timeout
// times (no limit when 0).
func (r *run) fenceAction(ctx context.Context, o *Options, devs []string) (int, error) {
	if o.Action == "list" || o.Action == "list-status" {
		io.WriteString(r.out, "NOTICE: List option is not working on this device yet\n")
		return exitOK, nil
	}
	// fence-agents runs get/set once per plug (split on plug_separator);
	// fence_scsi's key does not depend on it, so this only repeats calls.
	plugs := plugCount(o.Raw)
	on, err := r.status(ctx, o, devs, plugs)
	if err != nil {
		return 0, err
	}
	if code, done, err := r.answerFromStatus(ctx, o, devs, on); done || err != nil {
		return code, err
	}
	// "on" always runs the set step (fence_scsi sets force_on).
	attempts, want := 1, false
	if o.Action == "on" {
		attempts, want = 1+o.RetryOn, true
	}
	for a := 0; a < attempts; a++ {
		if err := r.setPower(ctx, o, devs, plugs, want); err != nil {
			return 0, err
		}
		reached, err := r.waitForPower(ctx, o, devs, plugs, want)
		if err != nil {
			return 0, err
		}
		if reached {
			io.WriteString(r.out, "Success: Powered "+powerWord(want)+"\n")
			return exitOK, nil
		}
	}
	r.log.Errorf("Failed: Timed out waiting to power %s\n\n", powerWord(want))
	return exitFail, nil
}

// status is fence_action's get_power_status, asked once per plug: "on"
// when any call says the key is registered. The "on" action asks for the
// key on every device.
func (r *run) status(ctx context.Context, o *Options, devs []string, plugs int) (bool, error) {
	on := false
	for i := 0; i < plugs; i++ {
		s, err := r.b.Status(ctx, o, devs, o.Key, o.Action == "on")
		if err != nil {
			return false, err
		}
		on = on || s
	}
	return on, nil
}

// answerFromStatus ends the actions the first status read decides:
// "status" (ON exits 0, OFF exits 2) and "off" of a key that is already
// gone. done is false when the set step must run.
func (r *run) answerFromStatus(ctx context.Context, o *Options, devs []string, on bool) (code int, done bool, err error) {
	switch o.Action {
	case "status":
		if on {
			io.WriteString(r.out, "Status: ON\n")
			return exitOK, true, nil
		}
		io.WriteString(r.out, "Status: OFF\n")
		return exitOff, true, nil
	case "off":
		if !on {
			// The key is gone, but that alone does not stop the node from
			// writing: Off then checks (and if it can, completes) the
			// reservations, and fails where the disks are open to anyone.
			if err := r.b.Off(ctx, o, devs, o.Key); err != nil {
				return 0, true, err
			}
			io.WriteString(r.out, "Success: Already OFF\n")
			return exitOK, true, nil
		}
	}
	return 0, false, nil
}

// setPower is one attempt's set step: On (want) or Off once per plug,
// each followed by power_wait.
func (r *run) setPower(ctx context.Context, o *Options, devs []string, plugs int, want bool) error {
	for i := 0; i < plugs; i++ {
		var err error
		if want {
			err = r.b.On(ctx, o, devs, o.Key)
		} else {
			err = r.b.Off(ctx, o, devs, o.Key)
		}
		if err != nil {
			return err
		}
		r.env.Sleep(ctx, seconds(o.PowerWait))
	}
	return nil
}

// waitForPower polls the status until it is want, sleeping
// stonith_status_sleep after each miss, at most power_timeout reads (no
// limit when 0). It reports whether want was reached.
func (r *run) waitForPower(ctx context.Context, o *Options, devs []string, plugs int, want bool) (bool, error) {
	for n := 1; ; n++ {
		s, err := r.status(ctx, o, devs, plugs)
		if err != nil {
			return false, err
		}
		if s == want {
			return true, nil
		}
		r.env.Sleep(ctx, seconds(o.StonithStatusSleep))
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if o.PowerTimeout > 0 && n >= o.PowerTimeout {
			return false, nil
		}
	}
}

// powerWord is fence-agents' spelling of a power state in messages.
func powerWord(on bool) string {
	if on {
		return "ON"
	}
	return "OFF"
}

func seconds(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}
