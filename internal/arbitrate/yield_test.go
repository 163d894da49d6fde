package arbitrate

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/logging"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr/scsipr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

// hookedOut runs f once, right after the first PR OUT through the wrapped
// transport that trigger accepts (our registration, or our RESERVE), and
// counts the PREEMPTs sent through it.
type hookedOut struct {
	scsi.Transport
	trigger  func(scsi.PROutServiceAction) bool
	once     *sync.Once
	f        func()
	preempts *int
}

func (a hookedOut) Execute(ctx context.Context, cmd *scsi.Command) (*scsi.Result, error) {
	r, err := a.Transport.Execute(ctx, cmd)
	if len(cmd.CDB) > 1 && cmd.CDB[0] == scsi.OpPersistentReserveOut {
		sa := scsi.PROutServiceAction(cmd.CDB[1] & 0x1f)
		if a.trigger(sa) {
			a.once.Do(a.f)
		}
		if sa == scsi.PROutPreempt || sa == scsi.PROutPreemptAndAbort {
			*a.preempts++
		}
	}
	return r, err
}

// racerRig: we (key ours) acquire one free LU; "racer" (key theirs)
// registers right after our first PR OUT that trigger accepts; during our
// first wait duringWait runs. It returns our result, the LU, our sleeps and
// the PREEMPTs we sent.
func racerRig(t *testing.T, ours, theirs scsi.Key, trigger func(scsi.PROutServiceAction) bool, duringWait func(racer scsi.Device)) (Result, *sim.LU, []time.Duration, int, error) {
	t.Helper()
	lu := sim.NewLU(sim.WithSerial("lu-a"))
	opt := scsi.DeviceOptions{Timeout: time.Second, Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}
	racer := scsi.NewDevice("/dev/sdz", lu.Connect("racer"), opt)
	preempts := 0
	tr := hookedOut{Transport: lu.Connect("us"), trigger: trigger, once: &sync.Once{}, preempts: &preempts, f: func() {
		if err := racer.RegisterAndIgnore(context.Background(), theirs, scsi.RegisterOptions{}); err != nil {
			t.Errorf("racer register: %v", err)
		}
	}}
	c := Defaults([]pr.Device{scsipr.New(scsi.NewDevice("/dev/sdb", tr, opt))}, ours)
	clk := newClock()
	clk.hook = func(n int, d time.Duration) {
		if n == 1 && duringWait != nil {
			duringWait(racer)
		}
	}
	c.Now, c.Sleep = clk.Now, clk.Sleep
	c.Log = logging.Func(func(_ slog.Level, msg string) { t.Logf("us: %s", msg) })
	r, err := Acquire(context.Background(), c)
	return r, lu, clk.sleeps, preempts, err
}

// yieldRig: the racer registers right after our registration (a
// simultaneous start).
func yieldRig(t *testing.T, ours, theirs scsi.Key, duringWait func(racer scsi.Device)) (Result, *sim.LU, []time.Duration, error) {
	t.Helper()
	r, lu, sleeps, _, err := racerRig(t, ours, theirs, func(scsi.PROutServiceAction) bool { return true }, duringWait)
	return r, lu, sleeps, err
}

// A racer with a lower key that reserves during our wait wins; we lose
// without preempting it.
func TestAcquireYieldsToLowerKey(t *testing.T) {
	r, lu, sleeps, err := yieldRig(t, 0x2, 0x1, func(racer scsi.Device) {
		if err := racer.Reserve(context.Background(), 0x1, defaultSCSI); err != nil {
			t.Errorf("racer reserve: %v", err)
		}
	})
	if err != nil || r.Outcome != LostRace {
		t.Fatalf("Acquire = %v, %v; want LostRace", r.Outcome, err)
	}
	if len(sleeps) == 0 || sleeps[0] != DefaultRaceYield {
		t.Fatalf("sleeps %v, want the %v yield first", sleeps, DefaultRaceYield)
	}
	if ks := keysOn(lu); len(ks) != 1 || ks[0] != 0x1 {
		t.Fatalf("keys %v, want the racer's 0x1 alone", ks)
	}
	if !lu.MayWrite("racer") || lu.MayWrite("us") {
		t.Fatal("the racer must write the LU, we must not")
	}
}

// A racer with a lower key that stays silent through our wait (dead half
// way) is removed; we acquire.
func TestAcquireYieldThenTakesFromSilentRacer(t *testing.T) {
	r, lu, sleeps, err := yieldRig(t, 0x2, 0x1, nil)
	if err != nil || r.Outcome != Acquired {
		t.Fatalf("Acquire = %v, %v; want Acquired", r.Outcome, err)
	}
	if len(sleeps) == 0 || sleeps[0] != DefaultRaceYield {
		t.Fatalf("sleeps %v, want the %v yield first", sleeps, DefaultRaceYield)
	}
	if ks := keysOn(lu); len(ks) != 1 || ks[0] != 0x2 {
		t.Fatalf("keys %v, want ours (0x2) alone", ks)
	}
}

// With the lower key we do not wait: the racer is removed at once.
func TestAcquireLowerKeyDoesNotYield(t *testing.T) {
	r, lu, sleeps, err := yieldRig(t, 0x1, 0x2, nil)
	if err != nil || r.Outcome != Acquired {
		t.Fatalf("Acquire = %v, %v; want Acquired", r.Outcome, err)
	}
	for _, d := range sleeps {
		if d == DefaultRaceYield {
			t.Fatalf("sleeps %v: the lower key waited", sleeps)
		}
	}
	if ks := keysOn(lu); len(ks) != 1 || ks[0] != 0x1 {
		t.Fatalf("keys %v, want ours (0x1) alone", ks)
	}
}

// lateRacerRig: we (key 0x1) acquire; the racer (0x2) registers right
// after our RESERVE, a late registrant for our verification.
func lateRacerRig(t *testing.T, duringWait func(racer scsi.Device)) (Result, *sim.LU, []time.Duration, int, error) {
	t.Helper()
	return racerRig(t, 0x1, 0x2, func(sa scsi.PROutServiceAction) bool { return sa == scsi.PROutReserve }, duringWait)
}

// A late racer that withdraws during our wait is never preempted: no
// PREEMPT meets its own REGISTER (the LIO deadlock).
func TestVerifyWaitsForLateRacerToWithdraw(t *testing.T) {
	r, lu, sleeps, preempts, err := lateRacerRig(t, func(racer scsi.Device) {
		if err := racer.Register(context.Background(), 0x2, 0, scsi.RegisterOptions{}); err != nil {
			t.Errorf("racer withdraw: %v", err)
		}
	})
	if err != nil || r.Outcome != Acquired {
		t.Fatalf("Acquire = %v, %v; want Acquired", r.Outcome, err)
	}
	if len(sleeps) == 0 || sleeps[0] != DefaultRaceYield {
		t.Fatalf("sleeps %v, want the %v wait first", sleeps, DefaultRaceYield)
	}
	if preempts != 0 {
		t.Fatalf("%d PREEMPTs sent, want none: the racer withdrew", preempts)
	}
	if ks := keysOn(lu); len(ks) != 1 || ks[0] != 0x1 || !lu.MayWrite("us") || lu.MayWrite("racer") {
		t.Fatalf("keys %v: want ours alone, we write, the racer does not", ks)
	}
}

// A late racer still registered after the wait (dead or stalled) is
// preempted; we acquire.
func TestVerifyPreemptsLateRacerAfterWait(t *testing.T) {
	r, lu, sleeps, preempts, err := lateRacerRig(t, nil)
	if err != nil || r.Outcome != Acquired {
		t.Fatalf("Acquire = %v, %v; want Acquired", r.Outcome, err)
	}
	if len(sleeps) == 0 || sleeps[0] != DefaultRaceYield || preempts != 1 {
		t.Fatalf("sleeps %v, PREEMPTs %d; want the %v wait, then one PREEMPT", sleeps, preempts, DefaultRaceYield)
	}
	if ks := keysOn(lu); len(ks) != 1 || ks[0] != 0x1 {
		t.Fatalf("keys %v, want ours (0x1) alone", ks)
	}
}
