package arbitrate

import (
	"context"
	"errors"
)

// Exit codes of the acquire, defend and release actions (issue 7).
const (
	ExitOK         = 0 // acquired / held / released
	ExitFailed     = 1 // any failure; for defend: lost or gave up
	ExitOwnerAlive = 3 // acquire only: the owner renewed; nothing was disturbed
)

// ExitCode maps an Acquire result to the CLI exit code.
func ExitCode(r Result, err error) int {
	switch {
	case err == nil && r.Outcome == Acquired:
		return ExitOK
	case err == nil && r.Outcome == OwnerAlive:
		return ExitOwnerAlive
	}
	return ExitFailed
}

// RunAcquire runs Acquire, logs the outcome through logf (nil: cfg.Logf) and
// returns the exit code.
func RunAcquire(ctx context.Context, cfg Config, logf func(string, ...any)) int {
	c := withLog(cfg, logf)
	if err := c.Validate(); err == nil {
		c.logf("acquire: %s", c.Bounds())
	}
	r, err := Acquire(ctx, c)
	switch {
	case err != nil:
		c.logf("acquire: FAILED: %v", err)
	case r.Outcome == OwnerAlive:
		c.logf("acquire: owner alive: it renewed during the %v wait; nothing was disturbed", c.Wait)
	default:
		for _, d := range r.Devices {
			c.logf("acquire %s: %s (previous owners %v)", d.Name, d.Action, d.Owners)
		}
		c.logf("acquire: acquired %d device(s) with key %v, type %v", len(r.Devices), c.Key, c.Type)
	}
	return ExitCode(r, err)
}

// RunDefend runs Defend and returns the exit code: 0 only when once is set
// and the devices are held (or ctx was cancelled for a clean stop), 1 when
// the reservation was lost, the defender gave up, or the configuration is invalid.
func RunDefend(ctx context.Context, cfg Config, once bool, logf func(string, ...any)) int {
	c := withLog(cfg, logf)
	if err := c.Validate(); err == nil && !once {
		c.logf("defend: %s", c.Bounds())
	}
	err := Defend(ctx, c, once)
	switch {
	case err == nil:
		c.logf("defend: held")
		return ExitOK
	case errors.Is(err, context.Canceled):
		c.logf("defend: stopped")
		return ExitOK
	case errors.Is(err, ErrLost):
		c.logf("defend: LOST: %v", err)
	default:
		c.logf("defend: FAILED: %v", err)
	}
	return ExitFailed
}

// RunRelease runs Release and returns the exit code.
func RunRelease(ctx context.Context, cfg Config, logf func(string, ...any)) int {
	c := withLog(cfg, logf)
	if err := Release(ctx, c); err != nil {
		c.logf("release: FAILED: %v", err)
		return ExitFailed
	}
	return ExitOK
}

func withLog(cfg Config, logf func(string, ...any)) Config {
	if logf != nil {
		cfg.Logf = logf
	}
	return cfg
}
