package storagecheck

import (
	"context"
	"errors"
	"fmt"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// CleanupResult is what Cleanup did on one device.
type CleanupResult struct {
	Device  string   `json:"device"`
	Found   []string `json:"found"`   // scratch keys registered before
	Removed []string `json:"removed"` // "unregistered KEY through PATH"
	// Remaining are scratch keys still registered: through a nexus of
	// another host (or one that could not be reached).
	Remaining []string `json:"remaining"`
	Errors    []string `json:"errors,omitempty"`
}

// Cleanup removes the check-storage scratch keys registered through this
// host's paths to t (and its peer): through each path, REGISTER with the
// scratch key as reservation key and 0 as service action key. A nexus
// registered under any other key answers RESERVATION CONFLICT and keeps its
// registration, so no key but a scratch key is ever touched; unregistering
// the holder also ends its reservation (SPC-4 5.13.11.2.2).
func Cleanup(ctx context.Context, t Target) CleanupResult {
	c := CleanupResult{Device: t.Name, Found: []string{}, Removed: []string{}, Remaining: []string{}}
	paths := t.Paths
	if t.Peer != nil {
		paths = append(paths[:len(paths):len(paths)], *t.Peer)
	}
	if len(paths) == 0 {
		return c
	}
	left, err := scratchOn(ctx, paths[0])
	if err != nil {
		c.Errors = append(c.Errors, err.Error())
		return c
	}
	for _, k := range left {
		c.Found = append(c.Found, k.String())
	}
	for _, p := range paths {
		for _, k := range left {
			err := p.Dev.Register(ctx, k, 0, scsi.RegisterOptions{})
			if errors.Is(err, scsi.ErrReservationConflict) {
				continue // not this nexus's key
			}
			if err != nil {
				c.Errors = append(c.Errors, fmt.Sprintf("unregister %s through %s: %v", k, p.Name, err))
				continue
			}
			c.Removed = append(c.Removed, fmt.Sprintf("unregistered %s through %s", k, p.Name))
			if left, err = scratchOn(ctx, paths[0]); err != nil {
				c.Errors = append(c.Errors, err.Error())
				return c
			}
			break // a nexus has one registration
		}
	}
	for _, k := range left {
		c.Remaining = append(c.Remaining, k.String())
	}
	return c
}

// scratchOn lists the distinct scratch keys registered on the LU.
func scratchOn(ctx context.Context, p Path) ([]scsi.Key, error) {
	kl, err := p.Dev.ReadKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("read keys through %s: %w", p.Name, err)
	}
	return scratchKeys(kl.Keys), nil
}
