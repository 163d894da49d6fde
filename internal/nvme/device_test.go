package nvme

import (
	"context"
	"errors"
	"syscall"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// TestRetryPolicy checks what one failed answer leads to, per command kind.
func TestRetryPolicy(t *testing.T) {
	type answer struct {
		st  Status
		err error
	}
	tests := []struct {
		name     string
		first    answer
		write    bool // a reservation command that changes state (Register)
		class    error
		calls    int  // commands sent (answers after the first succeed)
		unknown  bool // pr.ErrOutcomeUnknown
		retrySec bool // a backoff wait was requested
	}{
		{"conflict is final", answer{st: StatusReservationConflict | StatusDNR}, true, pr.ErrReservationConflict, 1, false, false},
		{"conflict without DNR is final too", answer{st: StatusReservationConflict}, true, pr.ErrReservationConflict, 1, false, false},
		{"namespace not ready is retried", answer{st: StatusNamespaceNotReady}, true, nil, 2, false, true},
		{"not ready with DNR is final", answer{st: StatusNamespaceNotReady | StatusDNR}, true, pr.ErrNotReady, 1, false, false},
		{"command interrupted is retried", answer{st: StatusCommandInterrupted}, true, nil, 2, false, true},
		{"ANA transition is retried", answer{st: StatusANATransition}, false, nil, 2, false, true},
		{"transport error of a report is retried", answer{st: StatusTransientTransport}, false, nil, 2, false, true},
		{"transport error of a register: outcome unknown", answer{st: StatusTransientTransport}, true, pr.ErrTransport, 1, true, false},
		{"host-aborted register: outcome unknown", answer{st: StatusHostAbortedCommand}, true, pr.ErrAborted, 1, true, false},
		{"EINTR on a register: outcome unknown", answer{err: syscall.EINTR}, true, pr.ErrAborted, 1, true, false},
		{"EINTR on a report is retried", answer{err: syscall.EINTR}, false, nil, 2, false, true},
		{"EACCES is final, not unknown", answer{err: syscall.EACCES}, true, pr.ErrTransport, 1, false, false},
		{"ENOTTY: not supported", answer{err: syscall.ENOTTY}, false, ErrNotSupported, 1, false, false},
		{"invalid opcode: not supported", answer{st: StatusInvalidOpcode | StatusDNR}, true, ErrNotSupported, 1, false, false},
		{"preempted: aborted, not executed, final", answer{st: StatusAbortedPreemptAbort}, true, ErrPreempted, 1, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, f, s := newFake(func(i int, cmd *Command) (Completion, error) {
				if i == 0 {
					return Completion{Status: tc.first.st}, tc.first.err
				}
				return Completion{}, nil
			})
			var err error
			if tc.write {
				err = d.Register(context.Background(), keyHost, RegisterOptions{})
			} else {
				_, err = d.Report(context.Background())
			}
			if tc.class == nil && err != nil || tc.class != nil && !errors.Is(err, tc.class) {
				t.Fatalf("err = %v, want class %v", err, tc.class)
			}
			if f.n() != tc.calls {
				t.Errorf("%d commands sent, want %d", f.n(), tc.calls)
			}
			if errors.Is(err, pr.ErrOutcomeUnknown) != tc.unknown {
				t.Errorf("outcome unknown = %v, want %v (%v)", !tc.unknown, tc.unknown, err)
			}
			if (len(s.waits) > 0) != tc.retrySec {
				t.Errorf("waits %v", s.waits)
			}
		})
	}
}

// TestRetryBudget: a namespace that stays not ready gets MaxBusyRetries
// retries with a doubling, bounded backoff, then the error.
func TestRetryBudget(t *testing.T) {
	f := &fakeTransport{nsid: 1, respond: func(int, *Command) (Completion, error) {
		return Completion{Status: StatusNamespaceNotReady}, nil
	}}
	s := &noSleep{}
	d := NewDevice("/dev/nvme0n1", f, DeviceOptions{Sleep: s.sleep, MaxBusyRetries: 5})
	err := d.Acquire(context.Background(), keyHost, WERO)
	if !errors.Is(err, pr.ErrNotReady) || f.n() != 6 {
		t.Fatalf("err %v after %d commands, want pr.ErrNotReady after 6", err, f.n())
	}
	want := []int64{50, 100, 200, 400, 800}
	for i, w := range s.waits {
		if w.Milliseconds() != want[i] {
			t.Errorf("wait %d = %v, want %dms", i, w, want[i])
		}
	}
	if e := err.Error(); e != "acquire /dev/nvme0n1: not ready: namespace not ready (sct 0x0 sc 0x82)" {
		t.Errorf("message %q", e)
	}
}

// TestContextEndsBeforeSending: nothing is sent, and the outcome is known.
func TestContextEndsBeforeSending(t *testing.T) {
	d, f, _ := newFake(nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := d.Preempt(ctx, keyHost, keyVictim, WERO)
	if !errors.Is(err, pr.ErrAborted) || errors.Is(err, pr.ErrOutcomeUnknown) || f.n() != 0 {
		t.Fatalf("err %v after %d commands", err, f.n())
	}
}

// TestReportGrows: a list longer than the first buffer is read again with
// room for every registrant.
func TestReportGrows(t *testing.T) {
	regs := make([]Registrant, 100)
	for i := range regs {
		regs[i] = Registrant{ControllerID: uint16(i), Key: Key(i + 1)}
	}
	full := reportSample(9, WEAR, false, regs...)
	d, f, _ := newFake(func(_ int, cmd *Command) (Completion, error) {
		copy(cmd.Data, full)
		return Completion{}, nil
	})
	r, err := d.Report(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if f.n() != 2 || len(f.calls[1].data) != 64+100*64 || f.calls[1].cmd.CDW10 != (64+100*64)/4-1 {
		t.Fatalf("%d reads, second of %d bytes", f.n(), len(f.calls[len(f.calls)-1].data))
	}
	if r.Partial || len(r.Registrants) != 100 || r.Registrants[99].Key != 100 {
		t.Errorf("report after growing: partial %v, %d registrants", r.Partial, len(r.Registrants))
	}
}

// TestRegisterAndIgnorePreemptedBetween: Register conflicts (other key),
// Replace conflicts (this host was preempted meanwhile), Register succeeds.
func TestRegisterAndIgnorePreemptedBetween(t *testing.T) {
	d, f, _ := newFake(func(i int, cmd *Command) (Completion, error) {
		if i < 2 {
			return Completion{Status: StatusReservationConflict | StatusDNR}, nil
		}
		return Completion{}, nil
	})
	if err := d.RegisterAndIgnore(context.Background(), keyHost, RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	if f.n() != 3 || f.calls[2].cmd.CDW10 != 0 {
		t.Fatalf("%d commands", f.n())
	}
	d, f, _ = newFake(func(int, *Command) (Completion, error) {
		return Completion{Status: StatusReservationConflict | StatusDNR}, nil
	})
	if err := d.RegisterAndIgnore(context.Background(), keyHost, RegisterOptions{}); !errors.Is(err, pr.ErrReservationConflict) || f.n() != 3 {
		t.Fatalf("endless conflict: %v after %d commands, want a conflict after 3", err, f.n())
	}
}
