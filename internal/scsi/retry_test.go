package scsi

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// seq answers the i-th call with results[i], and with the last one after that.
func seq(results ...*Result) func(int, *Command) (*Result, error) {
	return func(i int, cmd *Command) (*Result, error) {
		r := *results[min(i, len(results)-1)]
		if cmd.Direction == DirFromDevice && r.DataIn == nil {
			d := reply(cmd, plausibleResponse(cmd))
			r.DataIn, r.Resid = d.DataIn, d.Resid
		}
		return &r, nil
	}
}

func repeat(r *Result, n int) []*Result {
	rs := make([]*Result, n)
	for i := range rs {
		rs[i] = r
	}
	return rs
}

var (
	good     = &Result{}
	ua       = checkCondition(SenseUnitAttention, 0x29, 0x00)
	busy     = &Result{Status: StatusBusy}
	conflict = &Result{Status: StatusReservationConflict}
)

func preemptAndAbort(ctx context.Context, d Device) error {
	return d.PreemptAndAbort(ctx, keyHost, keyVictim, TypeWriteExclusiveRegistrantsOnly)
}

func readReservation(ctx context.Context, d Device) error {
	_, err := d.ReadReservation(ctx)
	return err
}

// TestRetryPolicy drives the one retry policy (budgets of docs/pr-notes.md) through
// NewDevice and counts what reaches the transport.
func TestRetryPolicy(t *testing.T) {
	deferred := checkCondition(SenseHardwareError, 0x44, 0x00)
	deferred.Sense[0] = 0x71
	deferredAborted := checkCondition(SenseAbortedCommand, 0x47, 0x00)
	deferredAborted.Sense[0] = 0x71
	tests := []struct {
		name      string
		op        func(context.Context, Device) error
		results   []*Result
		opt       DeviceOptions
		want      error // nil = success
		unknown   bool
		calls     int
		waits     int
		waitFirst time.Duration
	}{
		{"UA storm of 3 then success", preemptAndAbort, append(repeat(ua, 3), good), DeviceOptions{}, nil, false, 4, 0, 0},
		{"9 UAs exhaust the budget", readReservation, repeat(ua, 20), DeviceOptions{}, ErrUnitAttention, false, 9, 0, 0},
		{"UA budget is injectable", readReservation, repeat(ua, 20), DeviceOptions{MaxUARetries: 2}, ErrUnitAttention, false, 3, 0, 0},
		{"UA retries can be disabled", readReservation, repeat(ua, 20), DeviceOptions{MaxUARetries: -1}, ErrUnitAttention, false, 1, 0, 0},
		{"2A/05 on PR OUT is retried (not executed)", preemptAndAbort, []*Result{checkCondition(6, 0x2A, 0x05), good}, DeviceOptions{}, nil, false, 2, 0, 0},
		{"deferred error retried at once", readReservation, []*Result{deferred, good}, DeviceOptions{}, nil, false, 2, 0, 0},
		{"deferred ABORTED COMMAND on PR OUT is re-sent (this one did not run)", preemptAndAbort, []*Result{deferredAborted, good}, DeviceOptions{}, nil, false, 2, 0, 0},
		{"conflict never retried", preemptAndAbort, []*Result{conflict, good}, DeviceOptions{}, ErrReservationConflict, false, 1, 0, 0},
		{"BUSY backs off then succeeds", preemptAndAbort, append(repeat(busy, 5), good), DeviceOptions{}, nil, false, 6, 5, 50 * time.Millisecond},
		{"TASK SET FULL budget", readReservation, repeat(&Result{Status: StatusTaskSetFull}, 50), DeviceOptions{MaxBusyRetries: 4}, ErrBusy, false, 5, 4, 50 * time.Millisecond},
		{"NOT READY becoming ready backs off", readReservation, []*Result{checkCondition(2, 0x04, 0x01), good}, DeviceOptions{}, nil, false, 2, 1, 50 * time.Millisecond},
		{"NOT READY medium not present is final", readReservation, []*Result{checkCondition(2, 0x3A, 0x00), good}, DeviceOptions{}, ErrNotReady, false, 1, 0, 0},
		{"PR OUT DID_TIME_OUT not re-sent", preemptAndAbort, []*Result{{HostStatus: DIDTimeOut}, good}, DeviceOptions{}, ErrTimeout, true, 1, 0, 0},
		{"PR OUT DID_BUS_BUSY not re-sent", preemptAndAbort, []*Result{{HostStatus: DIDBusBusy}, good}, DeviceOptions{}, ErrTransport, true, 1, 0, 0},
		{"PR OUT TASK ABORTED not re-sent", preemptAndAbort, []*Result{{Status: StatusTaskAborted}, good}, DeviceOptions{}, ErrAborted, true, 1, 0, 0},
		{"PR OUT ABORTED COMMAND not re-sent", preemptAndAbort, []*Result{checkCondition(0xB, 0x47, 0), good}, DeviceOptions{}, ErrAborted, true, 1, 0, 0},
		{"PR OUT data-out residual", preemptAndAbort, []*Result{{Resid: 24}, good}, DeviceOptions{}, ErrTransport, true, 1, 0, 0},
		{"PR OUT illegal request is known", preemptAndAbort, []*Result{checkCondition(5, 0x24, 0), good}, DeviceOptions{}, ErrIllegalRequest, false, 1, 0, 0},
		{"read DID_TIME_OUT: final, outcome irrelevant", readReservation, []*Result{{HostStatus: DIDTimeOut}, good}, DeviceOptions{}, ErrTimeout, false, 1, 0, 0},
		{"read DID_BUS_BUSY retried", readReservation, []*Result{{HostStatus: DIDBusBusy}, {HostStatus: DIDRequeue}, good}, DeviceOptions{}, nil, false, 3, 2, 50 * time.Millisecond},
		{"read transient budget", readReservation, repeat(&Result{HostStatus: DIDSoftError}, 9), DeviceOptions{}, ErrTransport, false, 3, 2, 50 * time.Millisecond},
		{"read DID_NO_CONNECT is final", readReservation, []*Result{{HostStatus: DIDNoConnect}, good}, DeviceOptions{}, ErrTransport, false, 1, 0, 0},
		{"read CHECK CONDITION without sense retried", readReservation, []*Result{{Status: 2}, good}, DeviceOptions{}, nil, false, 2, 1, 50 * time.Millisecond},
		{"illegal request 20/00 never retried", readReservation, []*Result{checkCondition(5, 0x20, 0), good}, DeviceOptions{}, ErrNotSupported, false, 1, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTransport{respond: seq(tt.results...)}
			s := &noSleep{}
			tt.opt.Sleep = s.sleep
			err := tt.op(context.Background(), NewDevice("/dev/sdz", f, tt.opt))
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("got %v, want success", err)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if got := errors.Is(err, ErrOutcomeUnknown); got != tt.unknown {
				t.Errorf("outcome unknown = %v, want %v (%v)", got, tt.unknown, err)
			}
			if f.n() != tt.calls {
				t.Errorf("%d commands sent, want %d", f.n(), tt.calls)
			}
			if len(s.waits) != tt.waits {
				t.Errorf("%d backoff waits %v, want %d", len(s.waits), s.waits, tt.waits)
			}
			if tt.waits > 0 && s.waits[0] != tt.waitFirst {
				t.Errorf("first wait %v, want %v", s.waits[0], tt.waitFirst)
			}
			var se *Error
			if err != nil && (!errors.As(err, &se) || se.Device != "/dev/sdz" || se.Op == "") {
				t.Errorf("error lacks op/device: %#v", err)
			}
		})
	}
}

// TestBackoffDoublesAndCaps checks 50ms doubling up to 2s (docs/pr-notes.md).
func TestBackoffDoublesAndCaps(t *testing.T) {
	f := &fakeTransport{respond: seq(repeat(busy, 12)...)}
	s := &noSleep{}
	err := readReservation(context.Background(), NewDevice("d", f, DeviceOptions{Sleep: s.sleep, MaxBusyRetries: 8}))
	if !errors.Is(err, ErrBusy) {
		t.Fatal(err)
	}
	ms := time.Millisecond
	want := []time.Duration{50 * ms, 100 * ms, 200 * ms, 400 * ms, 800 * ms, 1600 * ms, 2000 * ms, 2000 * ms}
	if len(s.waits) != len(want) {
		t.Fatalf("waits %v, want %v", s.waits, want)
	}
	for i := range want {
		if s.waits[i] != want[i] {
			t.Fatalf("waits %v, want %v", s.waits, want)
		}
	}
}

// TestBusyHonoursContext uses the real sleep: a device that stays BUSY ends
// at the ctx deadline with the BUSY error, not after the whole budget.
func TestBusyHonoursContext(t *testing.T) {
	f := &fakeTransport{respond: seq(busy)}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := readReservation(ctx, NewDevice("d", f, DeviceOptions{}))
	if el := time.Since(start); el > time.Second {
		t.Errorf("took %v, want about 200ms", el)
	}
	if !errors.Is(err, ErrBusy) {
		t.Errorf("got %v, want busy", err)
	}
	if n := f.n(); n < 2 || n > 4 {
		t.Errorf("%d commands in 200ms with 50/100ms backoff, want 2-4", n)
	}
}

// TestContextErrors: a done ctx sends nothing; a transport that gives up at
// the deadline leaves a PR OUT's outcome unknown but not a read's.
func TestContextErrors(t *testing.T) {
	f := &fakeTransport{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := preemptAndAbort(ctx, NewDevice("d", f, DeviceOptions{}))
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrOutcomeUnknown) || f.n() != 0 {
		t.Errorf("done ctx: %v, %d sent", err, f.n())
	}

	f = &fakeTransport{respond: func(int, *Command) (*Result, error) { return nil, context.DeadlineExceeded }}
	d := NewDevice("d", f, DeviceOptions{})
	if err := preemptAndAbort(context.Background(), d); !errors.Is(err, ErrTimeout) || !errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("PR OUT: %v", err)
	}
	if err := readReservation(context.Background(), d); !errors.Is(err, ErrTimeout) || errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("read: %v", err)
	}
	if f.n() != 2 {
		t.Errorf("%d sent, want 2", f.n())
	}
}

// TestDebugLog checks the Log hook sees the CDB sent and the retry.
func TestDebugLog(t *testing.T) {
	var lines []string
	f := &fakeTransport{respond: seq(ua, good)}
	d := NewDevice("/dev/sdz", f, DeviceOptions{Log: func(format string, args ...any) {
		lines = append(lines, fmt.Sprintf(format, args...))
	}})
	if err := d.TestUnitReady(context.Background()); err != nil {
		t.Fatal(err)
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{"test-unit-ready /dev/sdz: attempt 1 cdb [00 00 00 00 00 00]", "retrying", "attempt 2"} {
		if !strings.Contains(all, want) {
			t.Errorf("log lacks %q:\n%s", want, all)
		}
	}
}

// TestValidDataLength: the parsers see dxfer_len minus the clamped residual.
func TestValidDataLength(t *testing.T) {
	held := unhex(t, "00 00 00 07 00 00 00 10 00 00 00 00 a1 b2 00 01 00 00 00 00 00 05 00 00")
	tests := []struct {
		name    string
		resid   int
		dataIn  int // length of the buffer returned; 0 = the full 24
		present bool
		err     error
	}{
		{"full transfer", 0, 0, true, nil},
		{"negative resid clamps to 0", -100, 0, true, nil},
		{"resid 2 leaves 22 bytes: enough", 2, 0, true, nil},
		{"resid 3 leaves 21 bytes: malformed", 3, 0, false, ErrMalformed},
		{"resid beyond dxfer_len: nothing transferred", 1000, 0, false, ErrMalformed},
		{"short buffer from the transport", 0, 21, false, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTransport{respond: func(_ int, cmd *Command) (*Result, error) {
				r := reply(cmd, held)
				if tt.dataIn > 0 {
					r.DataIn = r.DataIn[:tt.dataIn]
				}
				r.Resid = tt.resid
				return r, nil
			}}
			r, err := newTestDevice(f, nil).ReadReservation(context.Background())
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("got %+v, %v; want %v", r, err, tt.err)
				}
				return
			}
			if err != nil || r.Present != tt.present || r.Key != keyHost {
				t.Fatalf("got %+v, %v", r, err)
			}
		})
	}
}
