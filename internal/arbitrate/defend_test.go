package arbitrate

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

// held sets up node1 owning n LUs.
func held(t *testing.T, q sim.Quirks, n int, typ scsi.ReservationType) ([]*sim.LU, *node) {
	t.Helper()
	lus := newLUs(q, n)
	n1 := newNode("node1", false, lus)
	mustAcquire(t, n1.cfg(t, key1, typ))
	return lus, n1
}

// TestDefendDecisions covers each decision of one defender cycle.
func TestDefendDecisions(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		typ     scsi.ReservationType // 0: defaultSCSI
		disturb func(t *testing.T, lus []*sim.LU, n1 *node)
		wantErr error // nil: held
		check   func(t *testing.T, lus []*sim.LU)
	}{{
		name:    "quiet cycle renews (PRgeneration advances)",
		disturb: func(*testing.T, []*sim.LU, *node) {},
	}, {
		name: "foreign registration is preempted by key, not cleared",
		disturb: func(t *testing.T, lus []*sim.LU, _ *node) {
			d := scsi.NewDevice("x", lus[1].Connect("node3"), scsi.DeviceOptions{})
			if err := d.RegisterAndIgnore(ctx, key3, scsi.RegisterOptions{}); err != nil {
				t.Fatal(err)
			}
		},
		check: func(t *testing.T, lus []*sim.LU) {
			if ks := keysOn(lus[1]); !slices.Equal(ks, []scsi.Key{key1}) || !lus[1].ReservationState().Present {
				t.Errorf("LU b keys %v, reservation %+v; want node1 alone, still reserved", ks, lus[1].ReservationState())
			}
		},
	}, {
		name: "reservation released while registered is re-reserved",
		disturb: func(t *testing.T, _ []*sim.LU, n1 *node) {
			if err := n1.devs[0].Release(ctx, key1, DefaultType); err != nil {
				t.Fatal(err)
			}
		},
		check: func(t *testing.T, lus []*sim.LU) {
			if !lus[0].ReservationState().Present {
				t.Errorf("LU a not re-reserved")
			}
		},
	}, {
		name: "preempted by another key is loss",
		disturb: func(t *testing.T, lus []*sim.LU, _ *node) {
			d := scsi.NewDevice("x", lus[1].Connect("node3"), scsi.DeviceOptions{})
			if err := d.RegisterAndIgnore(ctx, key3, scsi.RegisterOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := d.PreemptAndAbort(ctx, key3, key1, defaultSCSI); err != nil {
				t.Fatal(err)
			}
		},
		wantErr: ErrLost,
		check: func(t *testing.T, lus []*sim.LU) {
			if lus[0].MayWrite("node3") || !slices.Equal(keysOn(lus[1]), []scsi.Key{key3}) {
				t.Errorf("a lost defender disturbed the new owner: LU b keys %v", keysOn(lus[1]))
			}
		},
	}, {
		name: "cleared (reservation and every key gone) is loss, not re-registered",
		disturb: func(t *testing.T, _ []*sim.LU, n1 *node) {
			if err := n1.devs[0].Clear(ctx, key1); err != nil {
				t.Fatal(err)
			}
		},
		wantErr: ErrLost,
		check: func(t *testing.T, lus []*sim.LU) {
			if ks := keysOn(lus[0]); len(ks) != 0 {
				t.Errorf("LU a keys %v after a lost cycle; the defender must never register", ks)
			}
		},
	}, {
		name: "spurious 2A/05 unit attention while still registered is not loss",
		disturb: func(_ *testing.T, lus []*sim.LU, _ *node) {
			lus[0].QueueUnitAttention("node1", 0x2A, 0x05, 1)
		},
	}, {
		name: "holder-type reservation by a foreign key is loss",
		disturb: func(t *testing.T, lus []*sim.LU, n1 *node) {
			d := scsi.NewDevice("x", lus[0].Connect("node3"), scsi.DeviceOptions{})
			if err := n1.devs[0].Release(ctx, key1, DefaultType); err != nil {
				t.Fatal(err)
			}
			if err := d.RegisterAndIgnore(ctx, key3, scsi.RegisterOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := d.Reserve(ctx, key3, scsi.TypeExclusiveAccess); err != nil {
				t.Fatal(err)
			}
		},
		wantErr: ErrLost,
	}, {
		name: "WE-RO reservation of our type held by a foreign key is loss",
		typ:  scsi.TypeWriteExclusiveRegistrantsOnly,
		disturb: func(t *testing.T, lus []*sim.LU, n1 *node) {
			d := scsi.NewDevice("x", lus[0].Connect("node3"), scsi.DeviceOptions{})
			if err := n1.devs[0].Release(ctx, key1, pr.WERO); err != nil {
				t.Fatal(err)
			}
			if err := d.RegisterAndIgnore(ctx, key3, scsi.RegisterOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := d.Reserve(ctx, key3, scsi.TypeWriteExclusiveRegistrantsOnly); err != nil {
				t.Fatal(err)
			}
		},
		wantErr: ErrLost,
	}, {
		name: "transport timeout is a failed cycle, not loss",
		disturb: func(_ *testing.T, lus []*sim.LU, _ *node) {
			lus[1].Inject("node1", sim.Fault{Kind: sim.FaultTimeoutBefore, Count: 1, Opcodes: []byte{0x5F}})
		},
		wantErr: errFailedCycle,
	}}
	for _, p := range profiles {
		for _, tc := range tests {
			t.Run(p.name+"/"+tc.name, func(t *testing.T) {
				typ := cmp.Or(tc.typ, defaultSCSI)
				lus, n1 := held(t, p.quirks, 2, typ)
				gen := lus[0].Generation()
				tc.disturb(t, lus, n1)
				err := Defend(ctx, n1.cfg(t, key1, typ), true)
				switch {
				case tc.wantErr == nil && err != nil:
					t.Fatalf("Defend(once) = %v; want held", err)
				case tc.wantErr == errFailedCycle && (err == nil || errors.Is(err, ErrLost)):
					t.Fatalf("Defend(once) = %v; want a failed cycle that is not ErrLost", err)
				case tc.wantErr == ErrLost && !errors.Is(err, ErrLost):
					t.Fatalf("Defend(once) = %v; want ErrLost", err)
				}
				if tc.wantErr == nil {
					if g := lus[0].Generation(); g == gen {
						t.Errorf("PRgeneration still %d after a held cycle; a challenger cannot see the renewal", g)
					}
					if !lus[0].MayWrite("node1") || !lus[1].MayWrite("node1") {
						t.Errorf("node1 lost write access after a held cycle")
					}
				}
				if tc.check != nil {
					tc.check(t, lus)
				}
			})
		}
	}
}

// errFailedCycle marks "an error that is not ErrLost" in the table.
var errFailedCycle = errors.New("failed cycle")

// TestDefendMisses: transient failures are tolerated Misses times in a row;
// a success resets the count; Misses+1 consecutive failures give up.
func TestDefendMisses(t *testing.T) {
	lus, n1 := held(t, sim.QuirkLIO, 1, defaultSCSI)
	// Cycle 1 ok, 2 fails, 3 ok, 4 and 5 fail -> give up in cycle 5 (M=1).
	failIn := map[int]bool{2: true, 4: true, 5: true}
	n1.clk.hook = func(n int, d time.Duration) {
		if d != DefaultPeriod {
			t.Errorf("sleep %d = %v; want the period %v", n, d, DefaultPeriod)
		}
		if failIn[n+1] {
			lus[0].Inject("node1", sim.Fault{Kind: sim.FaultTimeoutBefore, Count: 1})
		}
	}
	err := Defend(context.Background(), n1.cfg(t, key1, defaultSCSI), false)
	if !errors.Is(err, ErrGaveUp) || errors.Is(err, ErrLost) {
		t.Fatalf("Defend = %v; want ErrGaveUp", err)
	}
	if n := n1.clk.count(); n != 4 {
		t.Errorf("Defend gave up after %d sleeps; want 4 (five cycles)", n)
	}
	if err := Defend(context.Background(), n1.cfg(t, key1, defaultSCSI), true); err != nil {
		t.Errorf("Defend(once) after recovery = %v; want held (the failures were not evidence)", err)
	}
}

// TestDefendCancel: cancelling the context stops the defender cleanly.
func TestDefendCancel(t *testing.T) {
	_, n1 := held(t, sim.QuirkLIO, 2, defaultSCSI)
	ctx, cancel := context.WithCancel(context.Background())
	n1.clk.hook = func(n int, _ time.Duration) {
		if n == 3 {
			cancel()
		}
	}
	if err := Defend(ctx, n1.cfg(t, key1, defaultSCSI), false); !errors.Is(err, context.Canceled) {
		t.Errorf("Defend after cancel = %v; want context.Canceled", err)
	}
	if n := n1.clk.count(); n != 3 {
		t.Errorf("defender slept %d times; want 3", n)
	}
}
