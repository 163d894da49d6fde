// Package arbitrate implements exclusive-owner storage arbitration for
// cluster managers without Pacemaker (EXPRESSCLUSTER and anything that can
// run a start script and a monitor): Acquire (the attacker, run once when a
// group starts), Defend (the defender, run while the group is active) and
// Release (clean stop). It is field-map §1.6 built on scsi.Device: one owner
// key holds the devices, a taker must watch them for a wait window without
// disturbing them and may PREEMPT AND ABORT the owner only if the owner did
// not renew.
//
// The package is pure logic over []scsi.Device; it never builds a CDB.
package arbitrate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// Timing and type defaults (field-map §1.5/§1.6: ECX, MSCS and WSFC renew every 3 s).
const (
	DefaultPeriod         = 3 * time.Second
	DefaultMisses         = 1
	DefaultCommandTimeout = 2 * time.Second
	DefaultRetries        = 2
	DefaultType           = scsi.TypeWriteExclusiveAllRegistrants
	// waitMargin is added to the minimum safe wait to form the default wait.
	waitMargin = time.Second
)

// Config is one arbitration setup. Build it with Defaults and override fields.
type Config struct {
	// Devices are the whole LUNs, one scsi.Device (one I_T nexus) each.
	Devices []scsi.Device
	// Key is this node's reservation key; never 0.
	Key scsi.Key
	// Type is the reservation type (default WE-AR, see docs/arbitration.md).
	Type scsi.ReservationType
	// Period P is the defender cycle.
	Period time.Duration
	// Misses M is how many consecutive failed defender cycles (transport or
	// device errors, never evidence of loss) are tolerated; the (M+1)-th
	// consecutive failed cycle makes Defend give up.
	Misses int
	// Wait W is the attacker's observation window; it must exceed
	// (M+1)·P + CommandTimeout, the longest a live defender can go without a
	// renewal the attacker can see.
	Wait time.Duration
	// CommandTimeout T bounds each SCSI command (context deadline).
	CommandTimeout time.Duration
	// Retries R is how often Acquire and Release re-send an idempotent
	// command after a transient failure. Defend never retries within a cycle:
	// a failed cycle is what Misses counts.
	Retries int
	// PreemptFallback retries a PREEMPT AND ABORT that the device rejects
	// with ILLEGAL REQUEST as plain PREEMPT (tgt, some virtual disks).
	PreemptFallback bool

	// Now and Sleep are the clock; nil means the real one. Tests inject both.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Logf receives progress messages; nil discards them.
	Logf func(format string, args ...any)
}

// Defaults returns a Config with the default type and timings for devs and key.
func Defaults(devs []scsi.Device, key scsi.Key) Config {
	c := Config{
		Devices:        devs,
		Key:            key,
		Type:           DefaultType,
		Period:         DefaultPeriod,
		Misses:         DefaultMisses,
		CommandTimeout: DefaultCommandTimeout,
		Retries:        DefaultRetries,
	}
	c.Wait = DefaultWait(c.Period, c.Misses, c.CommandTimeout)
	return c
}

// DefaultWait is the default attacker wait for period p, misses m and command
// timeout t: the renewal gap (m+1)·p + t plus a one-second margin.
func DefaultWait(p time.Duration, m int, t time.Duration) time.Duration {
	return RenewalGap(p, m, t) + waitMargin
}

// RenewalGap is the longest interval between two renewals of a live defender
// that has not given up: a renewal at the start of one cycle, m failed
// cycles, and a renewal completing up to t into the cycle after them.
func RenewalGap(p time.Duration, m int, t time.Duration) time.Duration {
	return time.Duration(m+1)*p + t
}

// commandsPerDevice is an upper bound on the commands Acquire sends to one
// device whose owner holds one key: pre-read (2), register, snapshot (2),
// re-read (2), preempt, reserve check (2), reserve, verify (2).
const commandsPerDevice = 13

// AcquireBound is an upper bound on how long Acquire can run (one foreign key
// per device, every command retried R times up to its timeout). It must fit
// the cluster manager's start-script timeout.
func (c *Config) AcquireBound() time.Duration {
	per := time.Duration(commandsPerDevice*(c.Retries+1)) * c.CommandTimeout
	return c.Wait + time.Duration(len(c.Devices))*per
}

// Bounds describes the computed worst cases in one line.
func (c *Config) Bounds() string {
	return fmt.Sprintf("renewal gap (misses+1)*period+timeout = (%d+1)*%v+%v = %v < wait %v; "+
		"loss detected within period+timeout = %v; acquire worst case %v",
		c.Misses, c.Period, c.CommandTimeout, RenewalGap(c.Period, c.Misses, c.CommandTimeout),
		c.Wait, c.Period+c.CommandTimeout, c.AcquireBound())
}

// ErrConfig is matched by every error Validate returns.
var ErrConfig = errors.New("invalid arbitration configuration")

// Validate rejects an unsafe or incomplete configuration with a one-line error.
func (c *Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
	}
	if len(c.Devices) == 0 {
		return bad("no devices")
	}
	seen := map[string]bool{}
	for i, d := range c.Devices {
		if d == nil {
			return bad("device %d is nil", i)
		}
		if seen[d.Name()] {
			return bad("device %s listed twice", d.Name())
		}
		seen[d.Name()] = true
	}
	switch {
	case c.Key == 0:
		return bad("key 0 is not a valid reservation key")
	case !c.Type.Valid():
		return bad("reservation type %v is not one of 1, 3, 5, 6, 7, 8", c.Type)
	case c.CommandTimeout <= 0:
		return bad("command timeout %v must be positive", c.CommandTimeout)
	case c.Period <= c.CommandTimeout:
		return bad("period %v must exceed the command timeout %v", c.Period, c.CommandTimeout)
	case c.Misses < 0:
		return bad("misses %d must not be negative", c.Misses)
	case c.Retries < 0:
		return bad("retries %d must not be negative", c.Retries)
	}
	if gap := RenewalGap(c.Period, c.Misses, c.CommandTimeout); c.Wait <= gap {
		return bad("unsafe timing: wait %v must exceed (misses+1)*period+timeout = (%d+1)*%v+%v = %v, "+
			"or a live defender can be preempted", c.Wait, c.Misses, c.Period, c.CommandTimeout, gap)
	}
	return nil
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Config) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	return scsi.SleepContext(ctx, d)
}

func (c *Config) logf(format string, args ...any) {
	if c.Logf != nil {
		c.Logf(format, args...)
	}
}
