package fence

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// offTimed runs Off for node with the given RaceYield and returns how
// long it took and its error.
func offTimed(t *testing.T, o Options, dev string, victim scsi.Key, yield time.Duration) (time.Duration, error) {
	return offTimedAfter(t, o, dev, victim, yield, false)
}

// offTimedAfter is offTimed; with prefetch, Off follows a status read
// (untimed) that read the keys and the reservation with READ FULL STATUS
// and handed them to Off through a KeyMemo, as in the agent: the priority
// check then decides on that reservation instead of reading it.
func offTimedAfter(t *testing.T, o Options, dev string, victim scsi.Key, yield time.Duration, prefetch bool) (time.Duration, error) {
	t.Helper()
	o.RaceYield = yield
	if prefetch {
		o.Memo, o.PrefetchReservation = &KeyMemo{}, true
		if _, err := Status(context.Background(), o, []string{dev}, victim); err != nil {
			t.Fatalf("status before off: %v", err)
		}
	}
	start := time.Now()
	_, err := Off(context.Background(), o, []string{dev}, victim)
	return time.Since(start), err
}

// The reservation holder fences at once; a node fencing the holder waits
// RaceYield first. The same with the reservation read by the status read
// before off.
func TestOffYieldsToTheHolder(t *testing.T) {
	for _, prefetch := range []bool{false, true} {
		t.Run(fmt.Sprint("prefetch=", prefetch), func(t *testing.T) { testOffYieldsToTheHolder(t, prefetch) })
	}
}

func testOffYieldsToTheHolder(t *testing.T, prefetch bool) {
	const dev = "/dev/sdb"
	s := newSAN(dev)
	opts := unfenceAll(t, s, []string{dev}) // n1 holds the reservation
	took, err := offTimedAfter(t, opts["n1"], dev, key2, time.Hour, prefetch)
	if err != nil || took > 10*time.Second {
		t.Fatalf("holder n1 fencing n2: err %v after %s, want success at once", err, took)
	}

	s = newSAN(dev)
	opts = unfenceAll(t, s, []string{dev})
	took, err = offTimedAfter(t, opts["n2"], dev, key1, 300*time.Millisecond, prefetch)
	if err != nil || took < 300*time.Millisecond {
		t.Fatalf("n2 fencing the holder n1 (dead): err %v after %s, want success after the 300 ms yield", err, took)
	}
	if got, want := s.regs(dev), "n2:/dev/sdb=6c9d0001 n3:/dev/sdb=6c9d0002"; got != want {
		t.Fatalf("registrations %q, want %q", got, want)
	}
}

// Neither the fencer nor the victim holds the reservation: the lower key
// goes at once, the higher waits (also with the reservation read by the
// status read before off).
func TestOffYieldsToTheLowerKey(t *testing.T) {
	for _, prefetch := range []bool{false, true} {
		t.Run(fmt.Sprint("prefetch=", prefetch), func(t *testing.T) { testOffYieldsToTheLowerKey(t, prefetch) })
	}
}

func testOffYieldsToTheLowerKey(t *testing.T, prefetch bool) {
	const dev = "/dev/sdb"
	s := newSAN(dev)
	opts := unfenceAll(t, s, []string{dev}) // n1 holds; n2 < n3
	took, err := offTimedAfter(t, opts["n2"], dev, key3, time.Hour, prefetch)
	if err != nil || took > 10*time.Second {
		t.Fatalf("n2 fencing n3: err %v after %s, want success at once", err, took)
	}
	s = newSAN(dev)
	opts = unfenceAll(t, s, []string{dev})
	took, err = offTimedAfter(t, opts["n3"], dev, key2, 300*time.Millisecond, prefetch)
	if err != nil || took < 300*time.Millisecond {
		t.Fatalf("n3 fencing n2: err %v after %s, want success after the 300 ms yield", err, took)
	}
}

// The yielding node reads the keys again after its wait: fenced by the
// holder meanwhile, it has lost and sends nothing (its key stays gone, the
// holder keeps the reservation).
func TestOffYieldLosesToTheHolder(t *testing.T) {
	const dev = "/dev/sdb"
	s := newSAN(dev)
	opts := unfenceAll(t, s, []string{dev})
	done := make(chan error, 1)
	var took time.Duration
	go func() {
		var err error
		took, err = offTimed(t, opts["n2"], dev, key1, 2*time.Second)
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	o1 := opts["n1"]
	o1.RaceYield = time.Hour
	if _, err := Off(context.Background(), o1, []string{dev}, key2); err != nil {
		t.Fatalf("holder n1 fencing n2 during n2's yield: %v", err)
	}
	err := <-done
	var lost *LostError
	if !errors.As(err, &lost) {
		t.Fatalf("n2 after its yield: %v, want LostError", err)
	}
	if took < 2*time.Second {
		t.Fatalf("n2 returned after %s, before its 2 s yield ended", took)
	}
	if got, want := s.regs(dev), "n1:/dev/sdb=6c9d0000 n3:/dev/sdb=6c9d0002"; got != want {
		t.Fatalf("registrations %q, want %q", got, want)
	}
	if rs := s.lus[dev].ReservationState(); !rs.Present || rs.Holder != "n1:/dev/sdb" || !s.lus[dev].MayWrite("n1:/dev/sdb") || s.lus[dev].MayWrite("n2:/dev/sdb") {
		t.Fatalf("reservation %+v: want n1 holding it, n1 writing, n2 refused", rs)
	}
}

// A run deadline during the yield ends Off with the timeout error.
func TestOffYieldEndsWithTheDeadline(t *testing.T) {
	const dev = "/dev/sdb"
	s := newSAN(dev)
	opts := unfenceAll(t, s, []string{dev})
	o := opts["n2"]
	o.RaceYield = time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := Off(ctx, o, []string{dev}, key1)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Off with a 200 ms deadline during a 1 h yield: %v, want ErrTimeout", err)
	}
	if got, want := s.regs(dev), "n1:/dev/sdb=6c9d0000 n2:/dev/sdb=6c9d0001 n3:/dev/sdb=6c9d0002"; got != want {
		t.Fatalf("registrations %q, want %q (nothing sent)", got, want)
	}
}
