package arbitrate

import (
	"context"
	"errors"
	"fmt"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// Release is the clean stop: on every device where our key is registered,
// RELEASE the reservation if we hold it (with its actual type) and
// unregister our key. A device where we are not registered is left alone —
// under WE-AR any registrant's RELEASE would drop the new owner's
// reservation, so we never send one unless our key is there. Every device is
// attempted; the error joins the failures.
func Release(ctx context.Context, cfg Config) error {
	c := &cfg
	if err := c.Validate(); err != nil {
		return err
	}
	var errs []error
	for _, d := range c.Devices {
		if err := releaseDevice(ctx, c, d); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func releaseDevice(ctx context.Context, c *Config, d pr.Device) error {
	name := d.Name()
	v, err := readView(ctx, c, d)
	if err != nil {
		return describe("release "+name+": read state", err)
	}
	if !v.registered(c.Key) {
		c.logf("release %s: key %v not registered; nothing to do", name, c.Key)
		return nil
	}
	if v.res.Present && (v.res.Type.AllRegistrants() || v.res.Key == c.Key) {
		t := v.res.Type
		if err := command(ctx, c, func(ctx context.Context) error { return d.Release(ctx, c.Key, t) }); err != nil {
			return fmt.Errorf("release %s: release %v: %w", name, t, err)
		}
	}
	err = command(ctx, c, func(ctx context.Context) error { return d.Register(ctx, c.Key, 0, pr.RegisterOptions{}) })
	if errors.Is(err, pr.ErrReservationConflict) {
		// Our key was preempted between the read and the unregister.
		return nil
	}
	if err != nil {
		return fmt.Errorf("release %s: unregister %v: %w", name, c.Key, err)
	}
	c.logf("release %s: released and unregistered %v", name, c.Key)
	return nil
}
