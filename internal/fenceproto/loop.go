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
	status := func() (bool, error) {
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
	on, err := status()
	if err != nil {
		return 0, err
	}
	switch o.Action {
	case "status":
		if on {
			io.WriteString(r.out, "Status: ON\n")
			return exitOK, nil
		}
		io.WriteString(r.out, "Status: OFF\n")
		return exitOff, nil
	case "off":
		if !on {
			// The key is gone, but that alone does not stop the node from
			// writing: Off then checks (and if it can, completes) the
			// reservations, and fails where the disks are open to anyone.
			if err := r.b.Off(ctx, o, devs, o.Key); err != nil {
				return 0, err
			}
			io.WriteString(r.out, "Success: Already OFF\n")
			return exitOK, nil
		}
	}
	// "on" always runs the set step (fence_scsi sets force_on).
	attempts, want := 1, false
	if o.Action == "on" {
		attempts, want = 1+o.RetryOn, true
	}
	for a := 0; a < attempts; a++ {
		for i := 0; i < plugs; i++ {
			var err error
			if want {
				err = r.b.On(ctx, o, devs, o.Key)
			} else {
				err = r.b.Off(ctx, o, devs, o.Key)
			}
			if err != nil {
				return 0, err
			}
			r.env.Sleep(ctx, seconds(o.PowerWait))
		}
		for n := 1; ; n++ {
			s, err := status()
			if err != nil {
				return 0, err
			}
			if s == want {
				if want {
					io.WriteString(r.out, "Success: Powered ON\n")
				} else {
					io.WriteString(r.out, "Success: Powered OFF\n")
				}
				return exitOK, nil
			}
			r.env.Sleep(ctx, seconds(o.StonithStatusSleep))
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			if o.PowerTimeout > 0 && n >= o.PowerTimeout {
				break
			}
		}
	}
	if want {
		r.log.Errorf("Failed: Timed out waiting to power ON\n\n")
	} else {
		r.log.Errorf("Failed: Timed out waiting to power OFF\n\n")
	}
	return exitFail, nil
}

func seconds(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}
