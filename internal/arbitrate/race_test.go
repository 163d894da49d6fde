package arbitrate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/logging"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr/scsipr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

// stepper interleaves the commands of two racing nodes deterministically:
// sched[i] is the node allowed to send the i-th command (every SG_IO
// attempt is one step); after the schedule, or while the other node is idle
// (finished, or in its wait window), commands run as they come.
type stepper struct {
	mu    sync.Mutex
	cond  *sync.Cond
	sched []int
	step  int
	idle  [2]bool
}

func newStepper(sched []int) *stepper {
	s := &stepper{sched: sched}
	s.cond = sync.NewCond(&s.mu)
	return s
}

func (s *stepper) turn(who int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.step < len(s.sched) && s.sched[s.step] != who && !s.idle[1-who] {
		s.cond.Wait()
	}
	s.step++
	s.cond.Broadcast()
}

func (s *stepper) setIdle(who int, idle bool) {
	s.mu.Lock()
	s.idle[who] = idle
	s.cond.Broadcast()
	s.mu.Unlock()
}

// sleepOrder keeps the two nodes' waits in the order of their lengths: when
// both sleep, the shorter wait ends first and its length is taken off the
// other's (a 2 s yield ends before a 10 s watch that began with it).
type sleepOrder struct {
	mu     sync.Mutex
	asleep [2]bool
	rem    [2]time.Duration
}

func (o *sleepOrder) start(who int, d time.Duration) {
	o.mu.Lock()
	o.asleep[who], o.rem[who] = true, d
	o.mu.Unlock()
}

func (o *sleepOrder) wake(who int) {
	o.mu.Lock()
	if o.asleep[1-who] {
		o.rem[1-who] = max(o.rem[1-who]-o.rem[who], 0)
	}
	o.asleep[who], o.rem[who] = false, 0
	o.mu.Unlock()
}

// wakesFirst: the other node sleeps too, for at least who's remaining wait,
// so who's wait ends first.
func (o *sleepOrder) wakesFirst(who int) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.asleep[1-who] && o.rem[1-who] >= o.rem[who]
}

// stepTransport takes a turn from the stepper before every command.
type stepTransport struct {
	scsi.Transport
	s   *stepper
	who int
}

func (p stepTransport) Execute(ctx context.Context, cmd *scsi.Command) (*scsi.Result, error) {
	p.s.turn(p.who)
	return p.Transport.Execute(ctx, cmd)
}

// raceResult is what one simultaneous start produced.
type raceResult struct {
	out  [2]Result
	err  [2]error
	lus  []*sim.LU
	name [2]string
}

// race starts node1 and node2 at once on two free LUs (node2 lists them in
// the other order under other names), their commands interleaved by sched
// (nil: free-running goroutines). As on an ECX server, a node that
// acquired starts its defender: a node in its wait window sees the other's
// renewal once the other finished acquiring (Defend once through the
// winner's nexus), or nothing if the other never finishes in time.
func race(t *testing.T, q sim.Quirks, typ scsi.ReservationType, keys [2]scsi.Key, sched []int, logf func(string, ...any)) raceResult {
	rr := raceResult{lus: newLUs(q, 2), name: [2]string{"node1", "node2"}}
	s := newStepper(sched)
	done := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
	var plain [2][]pr.Device
	cfgs := [2]Config{}
	noSleep := func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	vc := &sleepOrder{}
	for who := range 2 {
		var devs []pr.Device
		for i := range rr.lus {
			lu := rr.lus[i]
			if who == 1 {
				lu = rr.lus[len(rr.lus)-1-i]
			}
			name := fmt.Sprintf("/dev/sd%c", 'b'+i+2*who)
			opt := scsi.DeviceOptions{Timeout: time.Second, Sleep: noSleep}
			devs = append(devs, scsipr.New(scsi.NewDevice(name, stepTransport{lu.Connect(rr.name[who]), s, who}, opt)))
			plain[who] = append(plain[who], scsipr.New(scsi.NewDevice(name, lu.Connect(rr.name[who]), opt)))
		}
		c := Defaults(devs, keys[who])
		c.Type = typ.PR()
		if logf != nil {
			c.Log = logging.Func(func(_ slog.Level, msg string) { logf("%s", msg) })
		}
		c.Sleep = func(ctx context.Context, d time.Duration) error {
			s.setIdle(who, true)
			defer s.setIdle(who, false)
			vc.start(who, d)
			defer vc.wake(who)
			// The wait ends when the other has finished, or sleeps too and its
			// wait ends later; while the other runs (its commands take
			// milliseconds against a wait of seconds) or sleeps for less, it
			// acts first. No wall-clock limit: the outcome must not depend on
			// how busy the machine running the test is.
			for {
				select {
				case <-done[1-who]:
					if rr.out[1-who].Outcome == Acquired {
						o := Defaults(plain[1-who], keys[1-who])
						o.Type = typ.PR()
						if err := Defend(ctx, o, true); err != nil {
							t.Errorf("%s's defender during %s's wait: %v", rr.name[1-who], rr.name[who], err)
						}
					}
					return ctx.Err()
				default:
				}
				if vc.wakesFirst(who) {
					return ctx.Err()
				}
				time.Sleep(time.Millisecond)
			}
		}
		cfgs[who] = c
	}
	var wg sync.WaitGroup
	for who := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.setIdle(who, true)
			defer close(done[who])
			rr.out[who], rr.err[who] = Acquire(context.Background(), cfgs[who])
		}()
	}
	wg.Wait()
	return rr
}

// checkOneWinner asserts the race rules' promise: exactly one node
// acquired, the other lost without an error, and every LU is held by the
// winner's key alone.
func checkOneWinner(t *testing.T, rr raceResult, typ scsi.ReservationType, keys [2]scsi.Key) bool {
	t.Helper()
	var winners []int
	for who := range 2 {
		if rr.out[who].Outcome == Acquired && rr.err[who] == nil {
			winners = append(winners, who)
		}
	}
	if len(winners) != 1 {
		t.Errorf("outcomes %v (%v), %v (%v); want exactly one acquired", rr.out[0].Outcome, rr.err[0], rr.out[1].Outcome, rr.err[1])
		return false
	}
	w, l := winners[0], 1-winners[0]
	if rr.err[l] != nil || (rr.out[l].Outcome != LostRace && rr.out[l].Outcome != OwnerAlive) {
		t.Errorf("loser %s: %v, %v; want lost race or owner alive, no error", rr.name[l], rr.out[l].Outcome, rr.err[l])
	}
	ok := true
	for i, lu := range rr.lus {
		rs := lu.ReservationState()
		if ks := keysOn(lu); !slices.Equal(ks, []scsi.Key{keys[w]}) || !rs.Present || rs.Type != typ ||
			!lu.MayWrite(rr.name[w]) || lu.MayWrite(rr.name[l]) {
			t.Errorf("LU %d: keys %v, reservation %+v, %s may write %v, %s may write %v; want %s's key alone, reserved",
				i, ks, rs, rr.name[w], lu.MayWrite(rr.name[w]), rr.name[l], lu.MayWrite(rr.name[l]), rr.name[w])
			ok = false
		}
	}
	return ok
}

// schedules returns n reproducible interleavings of 60 steps, from "node1
// runs alone" and "node2 runs alone" through strict alternation to random.
func schedules(n int) [][]int {
	r := rand.New(rand.NewSource(7))
	var out [][]int
	for k := range n {
		s := make([]int, 60)
		for i := range s {
			switch k {
			case 0: // node1 first
			case 1:
				s[i] = 1
			case 2:
				s[i] = i % 2
			case 3:
				s[i] = 1 - i%2
			default:
				s[i] = r.Intn(2)
			}
		}
		out = append(out, s)
	}
	return out
}

// TestSimultaneousAcquire: two servers start at once on free LUs (as ECX
// start scripts do), their commands interleaved step by step in many
// orders: exactly one ends as owner, holding every LU alone; the other
// stops with LostRace or OwnerAlive and leaves nothing behind.
func TestSimultaneousAcquire(t *testing.T) {
	keys := [2]scsi.Key{key1, key2}
	n := 300
	if testing.Short() {
		n = 40
	}
	for _, p := range profiles {
		for _, typ := range []scsi.ReservationType{scsi.TypeWriteExclusiveAllRegistrants, scsi.TypeWriteExclusiveRegistrantsOnly, scsi.TypeWriteExclusive} {
			t.Run(p.name+"/"+typ.String(), func(t *testing.T) {
				seen := &pathCounter{}
				for i, sched := range schedules(n) {
					if !checkOneWinner(t, race(t, p.quirks, typ, keys, sched, seen.logf), typ, keys) {
						t.Fatalf("schedule %d %v", i, sched)
					}
				}
				seen.require(t, testing.Short())
			})
		}
	}
}

// pathCounter counts which race-rule decisions the interleavings reached.
type pathCounter struct {
	mu sync.Mutex
	n  map[string]int
}

// raceDecisions are the log messages of the race rules' decisions.
var raceDecisions = []string{
	"racing",                        // a racer registered between our two reads
	"removed racer",                 // our PREEMPT of the racer landed first
	"another server won",            // the racer's PREEMPT landed first
	"another server is active",      // a reservation appeared since our first read
	"owner alive",                   // the other finished first; its defender renewed
	"was removed by another server", // our key was gone at our second read
}

func (c *pathCounter) logf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	for _, d := range raceDecisions {
		if strings.Contains(msg, d) {
			c.n[d]++
		}
	}
}

// require fails unless every decision was reached; relaxed in -short runs.
func (c *pathCounter) require(t *testing.T, short bool) {
	t.Helper()
	t.Logf("race-rule decisions reached: %v", c.n)
	if short {
		return
	}
	for _, d := range raceDecisions {
		if c.n[d] == 0 {
			t.Errorf("no interleaving reached %q", d)
		}
	}
}

// TestSimultaneousAcquireFreeRunning: the same race with the two Acquire
// calls as free-running goroutines, many times.
func TestSimultaneousAcquireFreeRunning(t *testing.T) {
	keys := [2]scsi.Key{key1, key2}
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) {
			for i := range 200 {
				if !checkOneWinner(t, race(t, p.quirks, defaultSCSI, keys, nil, nil), defaultSCSI, keys) {
					t.Fatalf("iteration %d", i)
				}
			}
		})
	}
}

// TestDuplicateKeyRefused: a second server configured with the owner's key
// (shared KEY= in ECX scripts) is refused with ErrDuplicateKey, registers
// nothing and cannot write; the owner keeps the LUs.
func TestDuplicateKeyRefused(t *testing.T) {
	forEach(t, func(t *testing.T, q sim.Quirks, typ scsi.ReservationType) {
		lus := newLUs(q, 2)
		n1, n2 := newNode("node1", false, lus), newNode("node2", true, lus)
		mustAcquire(t, n1.cfg(t, key1, typ))
		r, err := Acquire(context.Background(), n2.cfg(t, key1, typ))
		if !errors.Is(err, ErrDuplicateKey) || r.Outcome == Acquired {
			t.Fatalf("second server with the same key: Acquire = %v, %v; want ErrDuplicateKey", r.Outcome, err)
		}
		checkOwner(t, lus, typ, "node1", key1, "node2")
		for i, lu := range lus {
			for _, reg := range lu.Registrations() {
				if reg.Nexus != "node1" {
					t.Errorf("LU %d: registration through %s left behind", i, reg.Nexus)
				}
			}
		}
		if err := Defend(context.Background(), n1.cfg(t, key1, typ), true); err != nil {
			t.Errorf("owner's Defend(once) after the refusal = %v", err)
		}
	})
}

// TestDuplicateKeySimultaneous: two servers with the same key start at
// once on free LUs: never both acquire; a winner is registered through its
// own nexus alone, the other's nexus may not write, and when both refuse
// the LUs are left free as they were.
func TestDuplicateKeySimultaneous(t *testing.T) {
	keys := [2]scsi.Key{key1, key1}
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) {
			for i, sched := range schedules(150) {
				rr := race(t, p.quirks, defaultSCSI, keys, sched, nil)
				won := 0
				for who := range 2 {
					if rr.err[who] == nil && rr.out[who].Outcome == Acquired {
						won++
					} else if !errors.Is(rr.err[who], ErrDuplicateKey) {
						t.Errorf("schedule %d: %s: %v, %v; want acquired or ErrDuplicateKey", i, rr.name[who], rr.out[who].Outcome, rr.err[who])
					}
				}
				if won > 1 {
					t.Fatalf("schedule %d: both servers acquired with the same key", i)
				}
				for _, lu := range rr.lus {
					regs := lu.Registrations()
					if len(regs) > won {
						t.Fatalf("schedule %d: registrations %+v with %d winner(s)", i, regs, won)
					}
					for who := range 2 {
						if lu.ReservationState().Present && lu.MayWrite(rr.name[who]) && rr.out[who].Outcome != Acquired {
							t.Fatalf("schedule %d: %s may write without owning", i, rr.name[who])
						}
					}
				}
			}
		})
	}
}
