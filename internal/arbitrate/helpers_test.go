package arbitrate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/logging"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
	"github.com/fence-scsi-go/fence_scsi_go/internal/testutil/prsim"
)

const (
	key1 = scsi.Key(0x7e0001) // node1
	key2 = scsi.Key(0x7e0002) // node2
	key3 = scsi.Key(0x7e0003) // a third party
)

// fakeClock is a fake clock: Sleep advances Now and then runs hook, which lets
// a test act "during" the sleep (freeze a node, run the other node).
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
	hook   func(n int, d time.Duration)
}

// maxSleeps bounds every fake-clock run; no test needs more cycles.
const maxSleeps = 50

var errTooManySleeps = errors.New("fake clock: too many sleeps")

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.sleeps = append(c.sleeps, d)
	n, hook := len(c.sleeps), c.hook
	c.mu.Unlock()
	if n > maxSleeps { // a defender that never returns fails the test instead of hanging it
		return errTooManySleeps
	}
	if hook != nil {
		hook(n, d)
	}
	return ctx.Err()
}

func (c *fakeClock) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sleeps)
}

// profile is one simulated target flavour under test.
type profile struct {
	name   string
	quirks sim.Quirks
}

var profiles = []profile{{"spc4", sim.QuirkNone}, {"lio", sim.QuirkLIO}}

// newLUs returns n LUs with distinct serials ("lu-a", "lu-b", ...).
func newLUs(q sim.Quirks, n int) []*sim.LU {
	lus := make([]*sim.LU, n)
	for i := range lus {
		lus[i] = sim.NewLU(sim.WithQuirks(q), sim.WithSerial(fmt.Sprintf("lu-%c", 'a'+i)))
	}
	return lus
}

// node is one cluster node: one nexus (named after the node) per LU. Its
// device names are its own (node2 sees the LUs in reverse order under other
// names, as hosts often do) so the serial-number ordering is exercised.
type node struct {
	name string
	devs []pr.Device
	clk  *fakeClock
}

func newNode(name string, reverse bool, lus []*sim.LU) *node {
	n := &node{name: name, clk: newClock()}
	for i, lu := range lus {
		dev := fmt.Sprintf("/dev/sd%c", 'b'+i)
		if reverse {
			dev = fmt.Sprintf("/dev/sd%c", 'b'+len(lus)-1-i)
		}
		n.devs = append(n.devs, prsim.SCSI(dev, lu, name, prsim.Quick))
	}
	if reverse {
		slices.Reverse(n.devs)
	}
	return n
}

func (n *node) cfg(t *testing.T, key scsi.Key, typ scsi.ReservationType) Config {
	c := Defaults(n.devs, key)
	c.Type = typ.PR()
	c.Now, c.Sleep = n.clk.Now, n.clk.Sleep
	c.Log = logging.Func(func(_ slog.Level, msg string) { t.Logf("%s: %s", n.name, msg) })
	return c
}

// keysOn returns the registered keys of lu, in registration order.
func keysOn(lu *sim.LU) []scsi.Key {
	var ks []scsi.Key
	for _, r := range lu.Registrations() {
		ks = append(ks, r.Key)
	}
	return ks
}

// mustAcquire acquires or fails the test.
func mustAcquire(t *testing.T, cfg Config) Result {
	t.Helper()
	r, err := Acquire(context.Background(), cfg)
	if err != nil || r.Outcome != Acquired {
		t.Fatalf("Acquire = %v, %v; want acquired", r.Outcome, err)
	}
	return r
}

// checkOwner asserts that exactly owner may write to every LU and that only
// owner's key is registered.
func checkOwner(t *testing.T, lus []*sim.LU, typ scsi.ReservationType, owner string, ownerKey scsi.Key, others ...string) {
	t.Helper()
	for i, lu := range lus {
		if !lu.MayWrite(owner) {
			t.Errorf("LU %d: %s may not write", i, owner)
		}
		for _, o := range others {
			if lu.MayWrite(o) {
				t.Errorf("LU %d: %s may write, but %s owns the LU", i, o, owner)
			}
		}
		if got := keysOn(lu); !slices.Equal(got, []scsi.Key{ownerKey}) {
			t.Errorf("LU %d: registered keys %v, want only %v", i, got, ownerKey)
		}
		if rs := lu.ReservationState(); !rs.Present || rs.Type != typ {
			t.Errorf("LU %d: reservation %+v, want %v", i, rs, typ)
		}
	}
}

// luOrder returns the indexes of lus in the order every node arbitrates
// them (LU identity order), computed through a probe node's paths.
func luOrder(t *testing.T, lus []*sim.LU) []int {
	t.Helper()
	n := newNode("probe", false, lus)
	c := n.cfg(t, key3, defaultSCSI)
	us, err := units(context.Background(), &c)
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, u := range us {
		out = append(out, slices.Index(n.devs, u.dev()))
	}
	return out
}

// defaultSCSI is DefaultType as the SCSI simulator reports it (TYPE 7).
const defaultSCSI = scsi.TypeWriteExclusiveAllRegistrants
