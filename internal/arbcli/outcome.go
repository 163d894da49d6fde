package arbcli

import (
	"context"
	"errors"

	"github.com/fence-scsi-go/fence_scsi_go/internal/arbitrate"
)

// acquireExit maps an Acquire result to the exit code: a race lost to
// another server is "owner alive" too (it owns them now, nothing of its was
// touched).
func acquireExit(r arbitrate.Result, err error) int {
	switch {
	case err == nil && r.Outcome == arbitrate.Acquired:
		return exitOK
	case err == nil && (r.Outcome == arbitrate.OwnerAlive || r.Outcome == arbitrate.LostRace):
		return exitOwnerAlive
	}
	return exitFailed
}

// runAcquire runs Acquire, logs the outcome and returns the exit code.
func runAcquire(ctx context.Context, cfg arbitrate.Config, logf func(string, ...any)) int {
	logf("acquire: %s", cfg.Bounds())
	r, err := arbitrate.Acquire(ctx, cfg)
	switch {
	case err != nil:
		logf("acquire: FAILED: %v", err)
	case r.Outcome == arbitrate.OwnerAlive:
		logf("acquire: owner alive: it renewed during the %v wait; nothing was disturbed", cfg.Wait)
	case r.Outcome == arbitrate.LostRace:
		logf("acquire: lost the race: another server took the devices first; nothing of its was disturbed")
	default:
		for _, d := range r.Devices {
			logf("acquire %s: %s (previous owners %v)", d.Name, d.Action, d.Owners)
		}
		logf("acquire: acquired %d device(s) with key %v, type %v", len(r.Devices), cfg.Key, cfg.Type)
	}
	return acquireExit(r, err)
}

// defendExit maps a Defend result to the exit code: 0 only when held
// (once) or stopped by a signal, 1 lost, gave up, or a permanent error.
func defendExit(err error) int {
	if err == nil || errors.Is(err, context.Canceled) {
		return exitOK
	}
	return exitFailed
}

// runDefend runs Defend, logs the outcome and returns the exit code.
func runDefend(ctx context.Context, cfg arbitrate.Config, once bool, logf func(string, ...any)) int {
	if !once {
		logf("defend: %s", cfg.Bounds())
	}
	err := arbitrate.Defend(ctx, cfg, once)
	switch {
	case err == nil:
		logf("defend: held")
	case errors.Is(err, context.Canceled):
		logf("defend: stopped")
	case errors.Is(err, arbitrate.ErrLost):
		logf("defend: LOST: %v", err)
	default:
		logf("defend: FAILED: %v", err)
	}
	return defendExit(err)
}

// runRelease runs Release and returns the exit code.
func runRelease(ctx context.Context, cfg arbitrate.Config, logf func(string, ...any)) int {
	if err := arbitrate.Release(ctx, cfg); err != nil {
		logf("release: FAILED: %v", err)
		return exitFailed
	}
	return exitOK
}
