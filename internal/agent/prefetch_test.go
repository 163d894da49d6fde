package agent

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/fenceproto"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// TestStatusBeforeOffReadsIdentity: the status read of an off run reads each
// device's keys and reservation (READ FULL STATUS) and its identity, and
// off, on the devices the pool kept open, then sends no INQUIRY and no READ
// RESERVATION (its priority check on the first logical unit takes the
// reservation read with the keys): its validation pass sends nothing. A
// status of its own (action status) reads the keys only.
func TestStatusBeforeOffReadsIdentity(t *testing.T) {
	devs := []string{"/dev/sdb", "/dev/sdc"}
	c := newCluster(t, devs...)
	wl := &wireLog{cmds: map[string][]string{}}
	c.wire = func(node, path string, tr scsi.Transport) scsi.Transport {
		return &loggedWire{Transport: tr, log: wl, key: node + " " + path}
	}
	// node2 first: it holds the reservations, so its off does not wait.
	for _, n := range []string{"node2", "node1"} {
		if rc, out, errs := c.agent(n, "action=on\ndevices="+strings.Join(devs, ",")+"\nkey=6c9d000"+n[4:]+"\n"); rc != 0 {
			t.Fatalf("%s on: rc=%d out=%q err=%q", n, rc, out, errs)
		}
		for _, d := range devs {
			wl.take(n, d)
		}
	}
	ctx := context.Background()
	expect := func(step string, want ...string) {
		t.Helper()
		for _, d := range devs {
			w := want
			if got := wl.take("node2", d); strings.Join(got, ", ") != strings.Join(w, ", ") {
				t.Errorf("%s on %s: %q, want %q", step, d, got, w)
			}
		}
	}
	// One process each, as the agent runs: the status action, then off's.
	if on, err := c.backend("node2").Status(ctx, &fenceproto.Options{Action: "status"}, devs, "6c9d0001", false); err != nil || !on {
		t.Fatalf("status: %v %v", on, err)
	}
	expect("status action", "READ KEYS")
	b := c.backend("node2")
	if on, err := b.Status(ctx, &fenceproto.Options{Action: "off"}, devs, "6c9d0001", false); err != nil || !on {
		t.Fatalf("status before off: %v %v", on, err)
	}
	expect("status before off", "READ FULL STATUS", "INQUIRY 83h")
	if err := b.Off(ctx, &fenceproto.Options{Action: "off"}, devs, "6c9d0001"); err != nil {
		t.Fatalf("off: %v", err)
	}
	expect("off", "PREEMPT AND ABORT", "READ FULL STATUS")
	for name, lu := range c.luns {
		if lu.MayWrite("node1") {
			t.Errorf("node1 may still write %s", name)
		}
	}
}

// identityDev answers Identity with err until it is cleared, counting calls.
type identityDev struct {
	pr.Device
	calls int
	err   error
}

func (d *identityDev) Identity(context.Context) (string, error) {
	d.calls++
	if d.err != nil {
		return "", d.err
	}
	return "naa.01", nil
}

// TestIdentityOnce: an identity read is remembered, a failure is not.
func TestIdentityOnce(t *testing.T) {
	d := &identityDev{err: errors.New("timeout")}
	o := &identityOnce{Device: d}
	ctx := context.Background()
	if _, err := o.Identity(ctx); err == nil {
		t.Fatal("error lost")
	}
	d.err = nil
	for i := 0; i < 3; i++ {
		if id, err := o.Identity(ctx); err != nil || id != "naa.01" {
			t.Fatalf("identity %q, %v", id, err)
		}
	}
	if d.calls != 2 {
		t.Errorf("%d reads of the identity, want 2 (one failed, one remembered)", d.calls)
	}
}
