package sim

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

func TestUnitAttentionFIFOAndInquiry(t *testing.T) {
	lu := NewLU()
	a := lu.Connect("a")
	lu.QueueUnitAttention("a", 0x29, 0x07, 1)
	lu.QueueUnitAttention("a", 0x2A, 0x05, 2)
	inq := &scsi.Command{CDB: []byte{0x12, 0, 0, 0, 36, 0}, Direction: scsi.DirFromDevice, DataInLen: 36}
	if got := outcome(run(t, a, inq)); got != "GOOD" {
		t.Fatalf("INQUIRY with pending UA: %s", got)
	}
	// The UA fails the command it is reported on: the REGISTER must not execute.
	if got := outcome(prOut(t, a, regIgn, 0, 0, 5)); got != "CC 6/29/07" {
		t.Fatalf("first command: %s", got)
	}
	if regs := lu.Registrations(); len(regs) != 0 {
		t.Fatalf("command failed by a UA executed: %v", regs)
	}
	if got := drainUA(t, a); !reflect.DeepEqual(got, []string{"CC 6/2A/05", "CC 6/2A/05"}) {
		t.Errorf("remaining UAs %q", got)
	}
	if got := lu.PendingUnitAttentions("b"); len(got) != 0 {
		t.Errorf("UAs leaked to another nexus: %v", got)
	}
}

func TestFaults(t *testing.T) {
	ctx := context.Background()
	t.Run("not ready for N commands", func(t *testing.T) {
		lu := NewLU()
		a := lu.Connect("a")
		lu.Inject("a", Fault{Kind: FaultNotReady, Count: 2})
		got := []string{outcome(tur(t, a)), outcome(prOut(t, a, regIgn, 0, 0, 5)), outcome(tur(t, a))}
		if !reflect.DeepEqual(got, []string{"CC 2/04/01", "CC 2/04/01", "GOOD"}) {
			t.Errorf("got %q", got)
		}
		if len(lu.Registrations()) != 0 {
			t.Error("a NOT READY command executed")
		}
	})
	t.Run("PR unsupported", func(t *testing.T) {
		lu := NewLU()
		a := lu.Connect("a")
		lu.Inject("a", Fault{Kind: FaultPRUnsupported, Count: -1, Opcodes: []byte{0x5E, 0x5F}})
		got := []string{outcome(prOut(t, a, regIgn, 0, 0, 5)), outcome(run(t, a, prInCmd(0, 8))), outcome(tur(t, a)), outcome(run(t, a, prInCmd(0, 8)))}
		if !reflect.DeepEqual(got, []string{"CC 5/20/00", "CC 5/20/00", "GOOD", "CC 5/20/00"}) {
			t.Errorf("got %q", got)
		}
		lu.ClearFaults("a")
		if got := outcome(run(t, a, prInCmd(0, 8))); got != "GOOD" {
			t.Errorf("after ClearFaults: %s", got)
		}
	})
	t.Run("timeout before", func(t *testing.T) {
		lu := NewLU()
		lu.Inject("a", Fault{Kind: FaultTimeoutBefore, Count: 1})
		_, err := lu.Connect("a").Execute(ctx, prOutCmd(regIgn, 0, 0, 5, 0))
		if !errors.Is(err, context.DeadlineExceeded) || len(lu.Registrations()) != 0 {
			t.Errorf("err %v, registrations %v", err, lu.Registrations())
		}
	})
	t.Run("timeout after: executed, answer lost", func(t *testing.T) {
		lu := NewLU()
		lu.Inject("a", Fault{Kind: FaultTimeoutAfter, Count: 1, Opcodes: []byte{0x5F}})
		_, err := lu.Connect("a").Execute(ctx, prOutCmd(regIgn, 0, 0, 5, 0))
		if !errors.Is(err, ErrTimeout) || len(lu.Registrations()) != 1 {
			t.Errorf("err %v, registrations %v", err, lu.Registrations())
		}
	})
	t.Run("truncated response lies about resid", func(t *testing.T) {
		lu := NewLU()
		a := lu.Connect("a")
		prOut(t, a, regIgn, 0, 0, 5)
		lu.Inject("a", Fault{Kind: FaultTruncate, Count: 1, Bytes: 10, LieResid: true})
		r := run(t, a, prInCmd(0, 64))
		if r.Resid != 0 || r.DataIn[7] != 8 || r.DataIn[10] != 0 || r.DataIn[15] != 0 {
			t.Errorf("resid %d data % x", r.Resid, r.DataIn[:16])
		}
		lu.Inject("a", Fault{Kind: FaultTruncate, Count: 1, Bytes: 10})
		if r := run(t, a, prInCmd(0, 64)); r.Resid != 54 {
			t.Errorf("honest truncation: resid %d, want 54", r.Resid)
		}
	})
	t.Run("busy", func(t *testing.T) {
		lu := NewLU()
		lu.Inject("a", Fault{Kind: FaultBusy, Count: 1})
		if got := outcome(tur(t, lu.Connect("a"))); got != "BUSY" {
			t.Errorf("got %s", got)
		}
	})
}

func TestPowerCycleAPTPL(t *testing.T) {
	for _, aptpl := range []bool{false, true} {
		lu := NewLU()
		a := lu.Connect("a")
		var flags byte
		if aptpl {
			flags = flagAPTPL
		}
		run(t, a, prOutCmd(regIgn, 0, 0, 5, flags))
		prOut(t, a, reserve, 5, 5, 0)
		lu.PowerCycle()
		if got := drainUA(t, a); !reflect.DeepEqual(got, []string{"CC 6/29/00"}) {
			t.Errorf("aptpl=%v UAs after power cycle %q", aptpl, got)
		}
		gen, ks := keys(t, a)
		if gen != 0 || (len(ks) == 1) != aptpl || lu.ReservationState().Present != aptpl {
			t.Errorf("aptpl=%v after power cycle: generation %d keys %v reservation %+v", aptpl, gen, ks, lu.ReservationState())
		}
	}
	lu := NewLU(WithQuirks(QuirkTGT))
	if got := outcome(run(t, lu.Connect("a"), prOutCmd(regIgn, 0, 0, 5, flagAPTPL))); got != "CC 5/24/00" {
		t.Errorf("tgt APTPL: %s", got)
	}
}

func TestAPTPLDirMissing(t *testing.T) {
	lu := NewLU(WithQuirks(QuirkLIO | QuirkAPTPLDirMissing))
	if got := outcome(prOut(t, lu.Connect("a"), regIgn, 0, 0, 5)); got != "CC 2/08/00" {
		t.Errorf("got %s", got)
	}
	if len(lu.Registrations()) != 1 {
		t.Error("the registration must still happen")
	}
}

// TestPreemptAndAbortAbortsQueuedWrite: the victim's WRITE waits in the task
// set (Pause); PREEMPT AND ABORT aborts it (TASK ABORTED, TAS=1), while
// after a plain PREEMPT it runs and is failed by the 2A/05 unit attention.
// Either way the next write gets RESERVATION CONFLICT.
func TestPreemptAndAbortAbortsQueuedWrite(t *testing.T) {
	for sa, want := range map[byte]string{abort: "ABORTED", preempt: "CC 6/2A/05"} {
		lu := NewLU()
		a, b := lu.Connect("a"), lu.Connect("b")
		prOut(t, a, regIgn, 0, 0, 1)
		prOut(t, b, regIgn, 0, 0, 2)
		prOut(t, a, reserve, 5, 1, 0)
		resume := lu.Pause("b")
		done := make(chan *scsi.Result)
		go func() {
			r, _ := b.Execute(context.Background(), &scsi.Command{CDB: []byte{0x2A, 0, 0, 0, 0, 1, 0, 0, 1, 0}, Direction: scsi.DirToDevice, DataOut: make([]byte, BlockSize)})
			done <- r
		}()
		for deadline := time.Now().Add(5 * time.Second); lu.Pending("b") == 0; {
			if time.Now().After(deadline) {
				t.Fatal("write never queued")
			}
			time.Sleep(time.Millisecond)
		}
		prOut(t, a, sa, 5, 1, 2)
		resume()
		if got := outcome(<-done); got != want {
			t.Errorf("SA %d: queued write %s, want %s", sa, got, want)
		}
		if err := WriteBlock(context.Background(), b, 1, make([]byte, BlockSize)); !errors.Is(err, scsi.ErrReservationConflict) {
			t.Errorf("SA %d: next write %v", sa, err)
		}
		if lu.MayWrite("b") || !lu.MayRead("b") || !lu.MayWrite("a") {
			t.Error("access after fencing")
		}
	}
}

func TestAccessMatrix(t *testing.T) {
	// SPC-4 table 65 / SBC-4 4.17 access: registered / unregistered non-holder.
	want := map[scsi.ReservationType][4]bool{ // reg read, reg write, unreg read, unreg write
		1: {true, false, true, false}, 3: {false, false, false, false},
		5: {true, true, true, false}, 6: {true, true, false, false},
		7: {true, true, true, false}, 8: {true, true, false, false},
	}
	for typ, w := range want {
		lu := NewLU()
		prOut(t, lu.Connect("a"), regIgn, 0, 0, 1)
		prOut(t, lu.Connect("b"), regIgn, 0, 0, 2)
		prOut(t, lu.Connect("a"), reserve, byte(typ), 1, 0)
		got := [4]bool{lu.MayRead("b"), lu.MayWrite("b"), lu.MayRead("c"), lu.MayWrite("c")}
		if got != w || !lu.MayWrite("a") || !lu.MayRead("a") {
			t.Errorf("type %v: %v, want %v", typ, got, w)
		}
		if err := WriteBlock(context.Background(), lu.Connect("c"), 1, make([]byte, BlockSize)); (err == nil) != w[3] {
			t.Errorf("type %v: WRITE(10) from unregistered: %v", typ, err)
		}
	}
}

// TestConcurrentPROut hammers one LU from many nexuses under -race; every
// nexus ends registered exactly once and the generation counts every REGISTER.
func TestConcurrentPROut(t *testing.T) {
	lu := NewLU()
	var wg sync.WaitGroup
	const nodes, rounds = 8, 50
	for i := 0; i < nodes; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			tr := lu.Connect(string(rune('a' + i)))
			for j := 0; j < rounds; j++ {
				_, _ = tr.Execute(context.Background(), prOutCmd(regIgn, 0, 0, uint64(i+1), 0))
				_, _ = tr.Execute(context.Background(), prInCmd(0, 256))
			}
		}(i)
	}
	wg.Wait()
	if n := len(lu.Registrations()); n != nodes {
		t.Errorf("%d registrations", n)
	}
	if g := lu.Generation(); g != nodes*rounds {
		t.Errorf("generation %d, want %d", g, nodes*rounds)
	}
}

// TestPauseFreezesNode: a paused nexus' command waits until its context
// ends (a frozen node), without executing and without blocking other nexuses.
func TestPauseFreezesNode(t *testing.T) {
	lu := NewLU()
	resume := lu.Pause("a")
	defer resume()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := lu.Connect("a").Execute(ctx, prOutCmd(regIgn, 0, 0, 5, 0))
	if !errors.Is(err, context.DeadlineExceeded) || len(lu.Registrations()) != 0 || lu.Pending("a") != 0 {
		t.Errorf("err %v, registrations %v, pending %d", err, lu.Registrations(), lu.Pending("a"))
	}
	if got := outcome(prOut(t, lu.Connect("b"), regIgn, 0, 0, 6)); got != "GOOD" {
		t.Errorf("other nexus while a is paused: %s", got)
	}
	resume()
	if got := outcome(prOut(t, lu.Connect("a"), regIgn, 0, 0, 5)); got != "GOOD" {
		t.Errorf("after resume: %s", got)
	}
}
