// Package clock holds the module's one context-aware sleep. Every sleep
// hook (scsi and nvme DeviceOptions.Sleep, arbitrate.Config.Sleep,
// fenceproto.Env.Sleep, check.Env.Sleep) has its signature and defaults to
// it; tests inject fakes of the same shape.
package clock

import (
	"context"
	"time"
)

// Sleep waits for d or until ctx is done, whichever comes first, and
// returns ctx.Err() if ctx is done by then (nil otherwise). A d of zero or
// less does not wait.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
