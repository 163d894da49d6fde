// Package arbitrate implements exclusive-owner storage arbitration for
// cluster managers without Pacemaker (EXPRESSCLUSTER and anything that can
// run a start script and a monitor): Acquire (the attacker, run once when a
// group starts), Defend (the defender, run while the group is active) and
// Release (clean stop), built on pr.Device: one owner
// key holds the devices, a taker must watch them for a wait window without
// disturbing them and may PREEMPT AND ABORT the owner only if the owner did
// not renew.
//
// The package is pure logic over []pr.Device; it never builds a CDB.
package arbitrate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/clock"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// Timing and type defaults (ECX, MSCS and WSFC renew every 3 s).
const (
	DefaultPeriod         = 3 * time.Second
	DefaultMisses         = 1
	DefaultCommandTimeout = 2 * time.Second
	DefaultRetries        = 2
	DefaultType           = pr.WEAR
	// waitMargin is added to the minimum safe wait to form the default wait.
	waitMargin = time.Second
)

// Upper limits of the settings (docs/arbitration.md "Limits"): far beyond
// any sensible cluster timing, and small enough that no bound computed from
// them can overflow a time.Duration.
const (
	MaxPeriod         = 10 * time.Minute
	MaxMisses         = 100
	MaxCommandTimeout = 5 * time.Minute
	MaxWait           = 24 * time.Hour
	MaxRetries        = 10
)

// RunOverhead is what the renewal-gap bound adds to (M+1)·P + T for the
// time a renewal can be late beyond its command timeout: the SG_IO layer
// gives its last attempt at least one second even when the command's
// deadline is nearer (internal/scsi cmdTimeout), and a `defend --once` run
// starts a process and opens its devices before it renews (measured on LIO
// in the QEMU guest, docs/arbitration.md "Timing").
const RunOverhead = time.Second

// Config is one arbitration setup. Build it with Defaults and override fields.
type Config struct {
	// Devices are the whole LUNs, one pr.Device (one I_T nexus) each.
	Devices []pr.Device
	// Key is this node's reservation key; never 0.
	Key pr.Key
	// Type is the reservation type (default WE-AR, see docs/arbitration.md).
	Type pr.Type
	// Period P is the defender cycle.
	Period time.Duration
	// Misses M is how many consecutive failed defender cycles (transport or
	// device errors, never evidence of loss) are tolerated; the (M+1)-th
	// consecutive failed cycle makes Defend give up.
	Misses int
	// Wait W is the attacker's observation window; it must exceed
	// RenewalGap(P, M, T), the longest a live defender can go without a
	// renewal the attacker can see.
	Wait time.Duration
	// CommandTimeout T bounds each SCSI command including the SG_IO layer's
	// own retries (context deadline). This package never re-sends a command.
	CommandTimeout time.Duration
	// PreemptFallback retries a PREEMPT AND ABORT that the device rejects
	// with ILLEGAL REQUEST as plain PREEMPT (tgt, some virtual disks).
	PreemptFallback bool
	// RaceYield is how long Acquire waits on a free LU when a racer with
	// a lower key registered at the same time, before reading again and
	// preempting it (see yieldToRacers). Zero never waits; Defaults sets
	// DefaultRaceYield.
	RaceYield time.Duration

	// Now and Sleep are the clock; nil means the real one. Tests inject both.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Log receives progress messages at INFO; nil discards them.
	Log *slog.Logger
	// Verbose also logs every renewal (one line per device and cycle), to
	// measure the renewal gap.
	Verbose bool
	// SyncMonitor says the defender runs as `defend --once`, each run
	// started P after the previous one ended (a synchronous monitor), not
	// as one `defend` process: a run's own length then adds to every cycle
	// of the renewal gap (SyncRenewalGap), and W must exceed that.
	SyncMonitor bool
}

// DefaultRaceYield is Defaults' RaceYield: far longer than one
// registration and PREEMPT take on any target.
const DefaultRaceYield = 2 * time.Second

// Defaults returns a Config with the default type and timings for devs and key.
func Defaults(devs []pr.Device, key pr.Key) Config {
	c := Config{
		Devices:        devs,
		Key:            key,
		Type:           DefaultType,
		Period:         DefaultPeriod,
		Misses:         DefaultMisses,
		CommandTimeout: DefaultCommandTimeout,
		RaceYield:      DefaultRaceYield,
	}
	c.Wait, _ = DefaultWait(c.Period, c.Misses, c.CommandTimeout)
	return c
}

// DefaultWait is the default attacker wait for period p, misses m and command
// timeout t: the renewal gap plus a one-second margin.
func DefaultWait(p time.Duration, m int, t time.Duration) (time.Duration, error) {
	g, err := RenewalGap(p, m, t)
	if err != nil {
		return 0, err
	}
	return add(g, waitMargin)
}

// DefaultSyncWait is DefaultWait for a synchronous monitor: SyncRenewalGap
// plus the same margin.
func DefaultSyncWait(p time.Duration, m int, t time.Duration) (time.Duration, error) {
	g, err := SyncRenewalGap(p, m, t)
	if err != nil {
		return 0, err
	}
	return add(g, waitMargin)
}

// SyncRenewalGap is RenewalGap for a defender run as `defend --once`, each
// run started p after the previous one ended. A run renews right after its
// start-up and ends at most one cycle deadline (p) plus the SG_IO floor
// later, so consecutive renewals can be p + (p + RunOverhead) + RunOverhead
// apart: (m+1)·(2·p + 2·RunOverhead) + t + RunOverhead. Measured on LIO in
// the QEMU guest: 5.4 s at p = 3 s, t = 2 s, the longest run 2.1 s
// (docs/arbitration.md "Synchronous monitor").
func SyncRenewalGap(p time.Duration, m int, t time.Duration) (time.Duration, error) {
	cycle, err := mul(p, 2)
	if err == nil {
		cycle, err = add(cycle, 2*RunOverhead)
	}
	if err != nil {
		return 0, err
	}
	return RenewalGap(cycle, m, t)
}

// renewalGap is RenewalGap or SyncRenewalGap, as c.SyncMonitor says.
func (c *Config) renewalGap() (time.Duration, error) {
	if c.SyncMonitor {
		return SyncRenewalGap(c.Period, c.Misses, c.CommandTimeout)
	}
	return RenewalGap(c.Period, c.Misses, c.CommandTimeout)
}

// RenewalGap is the longest interval between two renewals of a live defender
// that has not given up: a renewal at the start of one cycle, m failed
// cycles, and a renewal completing up to t (plus RunOverhead) into the
// cycle after them: (m+1)·p + t + RunOverhead. It fails instead of
// overflowing.
func RenewalGap(p time.Duration, m int, t time.Duration) (time.Duration, error) {
	if m < 0 || int64(m) == math.MaxInt64 {
		return 0, errOverflow
	}
	g, err := mul(p, int64(m)+1)
	if err == nil {
		g, err = add(g, t)
	}
	if err == nil {
		g, err = add(g, RunOverhead)
	}
	return g, err
}

var errOverflow = errors.New("overflows a duration")

// mul is a*n, or errOverflow (a, n >= 0).
func mul(a time.Duration, n int64) (time.Duration, error) {
	if a < 0 || n < 0 || (n != 0 && int64(a) > math.MaxInt64/n) {
		return 0, errOverflow
	}
	return a * time.Duration(n), nil
}

// add is a+b, or errOverflow (a, b >= 0).
func add(a, b time.Duration) (time.Duration, error) {
	if a < 0 || b < 0 || int64(a) > math.MaxInt64-int64(b) {
		return 0, errOverflow
	}
	return a + b, nil
}

// commandsPerDevice is an upper bound on the commands Acquire sends to one
// LU whose owner holds one key: identity (2), first read (2), read (2),
// probe, register, snapshot (2), full status (2), re-read (2), preempt,
// read (2), read after preempt (2), reserve, read (2), verify (2), full
// status, the wait for late registrants (3), three rounds of late-registrant
// removal (3·5), final verify (3).
const commandsPerDevice = 47

// AcquireBound is an upper bound on how long Acquire can run: the wait
// window (twice: the first LU, then the others), the racer yield on the
// first LU, and per LU every command taking its full timeout (the SG_IO
// layer's retries included) plus the wait for late registrants:
// 2·W + Y + N·(47·T + Y). It must fit the cluster manager's start-script
// timeout.
func (c *Config) AcquireBound() (time.Duration, error) {
	per, err := mul(c.CommandTimeout, commandsPerDevice)
	if err == nil {
		per, err = add(per, max(c.RaceYield, 0))
	}
	if err == nil {
		per, err = mul(per, int64(len(c.Devices)))
	}
	w, err2 := mul(c.Wait, 2)
	if err == nil {
		err = err2
	}
	if err == nil {
		w, err = add(w, max(c.RaceYield, 0))
	}
	if err == nil {
		w, err = add(w, per)
	}
	return w, err
}

// Bounds describes the computed worst cases in one line.
func (c *Config) Bounds() string {
	gap, _ := c.renewalGap()
	ab, _ := c.AcquireBound()
	return fmt.Sprintf("renewal gap %s = %v < wait %v; "+
		"loss detected within period+timeout = %v; acquire worst case %v",
		c.gapFormula(), gap, c.Wait, c.Period+c.CommandTimeout, ab)
}

// gapFormula spells out the renewal gap with c's values.
func (c *Config) gapFormula() string {
	if c.SyncMonitor {
		return fmt.Sprintf("(misses+1)*(2*period+2*overhead)+timeout+overhead (defend --once) = (%d+1)*(2*%v+2*%v)+%v+%v",
			c.Misses, c.Period, RunOverhead, c.CommandTimeout, RunOverhead)
	}
	return fmt.Sprintf("(misses+1)*period+timeout+overhead = (%d+1)*%v+%v+%v",
		c.Misses, c.Period, c.CommandTimeout, RunOverhead)
}

// ErrConfig is matched by every error Validate returns.
var ErrConfig = errors.New("invalid arbitration configuration")

// Validate rejects an unsafe or incomplete configuration with a one-line error.
func (c *Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
	}
	if err := c.validateDevices(); err != nil {
		return bad("%v", err)
	}
	switch {
	case c.Key == 0:
		return bad("key 0 is not a valid reservation key")
	case !c.Type.Valid():
		return bad("reservation type %v is not one of WE, EA, WE-RO, EA-RO, WE-AR, EA-AR", c.Type)
	}
	return c.ValidateTiming()
}

// ValidateTiming is the part of Validate that checks P, M, T and W: every
// setting within its limit, no bound overflowing, W above the renewal gap.
func (c *Config) ValidateTiming() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
	}
	switch {
	case c.CommandTimeout <= 0 || c.CommandTimeout > MaxCommandTimeout:
		return bad("command timeout %v must be positive and at most %v", c.CommandTimeout, MaxCommandTimeout)
	case c.Period > MaxPeriod:
		return bad("period %v must be at most %v", c.Period, MaxPeriod)
	case c.Period <= c.CommandTimeout:
		return bad("period %v must exceed the command timeout %v", c.Period, c.CommandTimeout)
	case c.Misses < 0 || c.Misses > MaxMisses:
		return bad("misses %d must be between 0 and %d", c.Misses, MaxMisses)
	case c.Wait <= 0 || c.Wait > MaxWait:
		return bad("wait %v must be positive and at most %v", c.Wait, MaxWait)
	}
	gap, err := c.renewalGap()
	if err != nil {
		return bad("the renewal gap %v", err)
	}
	if c.Wait <= gap {
		return bad("unsafe timing: wait %v must exceed %s = %v, "+
			"or a live defender can be preempted", c.Wait, c.gapFormula(), gap)
	}
	if _, err := c.AcquireBound(); err != nil {
		return bad("acquire bound %v", err)
	}
	return nil
}

// validateDevices checks the device list.
func (c *Config) validateDevices() error {
	if len(c.Devices) == 0 {
		return errors.New("no devices")
	}
	seen := map[string]bool{}
	for i, d := range c.Devices {
		if d == nil {
			return fmt.Errorf("device %d is nil", i)
		}
		if seen[d.Name()] {
			return fmt.Errorf("device %s listed twice", d.Name())
		}
		seen[d.Name()] = true
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
	return clock.Sleep(ctx, d)
}

func (c *Config) logf(format string, args ...any) {
	if c.Log != nil {
		c.Log.Info(fmt.Sprintf(format, args...))
	}
}

// vlogf logs only when Verbose is set.
func (c *Config) vlogf(format string, args ...any) {
	if c.Verbose {
		c.logf(format, args...)
	}
}
