package agent

import (
	"context"
	"sync"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// devPool keeps the devices an action closed open for the next action of the
// same process: fence_scsi's flow reads the status, fences or unfences, then
// reads the status again, and each step would otherwise open every device
// anew. A device is lent to one user at a time; the process's exit closes
// the idle ones.
type devPool struct {
	mu   sync.Mutex
	idle map[poolKey][]pr.Device
}

type poolKey struct {
	path     string
	readOnly bool
}

// pooled is a lent device: Close gives it back to the pool, once (a second
// Close must not lend the device to two users).
type pooled struct {
	pr.Device
	pool     *devPool
	key      poolKey
	returned bool
}

func (d *pooled) Close() error {
	d.pool.mu.Lock()
	defer d.pool.mu.Unlock()
	if !d.returned {
		d.returned = true
		d.pool.idle[d.key] = append(d.pool.idle[d.key], d.Device)
	}
	return nil
}

// take lends an idle device, or opens one with open.
func (p *devPool) take(k poolKey, open func() (pr.Device, error)) (pr.Device, error) {
	p.mu.Lock()
	if l := p.idle[k]; len(l) > 0 {
		d := l[len(l)-1]
		p.idle[k] = l[:len(l)-1]
		p.mu.Unlock()
		return &pooled{Device: d, pool: p, key: k}, nil
	}
	p.mu.Unlock()
	d, err := open()
	if err != nil {
		return nil, err
	}
	return &pooled{Device: d, pool: p, key: k}, nil
}

// identityOnce remembers a device's identity once it has been read: it
// names the logical unit behind the open descriptor, which stays the same
// for as long as the descriptor is open, so the status read before off
// reads it (fence.Options.PrefetchIdentity) and off finds it here. Errors
// are not remembered: a later call sends the command again.
type identityOnce struct {
	pr.Device
	mu sync.Mutex
	id string
}

func (d *identityOnce) Identity(ctx context.Context) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.id != "" {
		return d.id, nil
	}
	id, err := d.Device.Identity(ctx)
	if err == nil {
		d.id = id
	}
	return id, err
}
