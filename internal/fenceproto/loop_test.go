package fenceproto

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// loopRun is a run with only what fenceAction's steps use: the backend,
// stdout, stderr's logger and a sleep that records its durations.
func loopRun(b *fakeBackend, out *bytes.Buffer, sleeps *[]time.Duration) *run {
	var stderr bytes.Buffer
	sleep := func(ctx context.Context, d time.Duration) error {
		*sleeps = append(*sleeps, d)
		return ctx.Err()
	}
	return &run{env: Env{Sleep: sleep}, b: b, out: out, log: newLogger(&stderr, func() time.Time { return testStart }, nil)}
}

func TestStatusAsksEveryPlug(t *testing.T) {
	for _, tc := range []struct {
		action   string
		statuses []bool
		want     bool
		call     string
	}{
		{"status", []bool{false, true}, true, "status k [/d] all=false"},
		{"off", []bool{false, false}, false, "status k [/d] all=false"},
		{"on", []bool{true, false}, true, "status k [/d] all=true"},
	} {
		b := &fakeBackend{statuses: tc.statuses}
		var sleeps []time.Duration
		on, err := loopRun(b, &bytes.Buffer{}, &sleeps).status(context.Background(), &Options{Action: tc.action, Key: "k"}, []string{"/d"}, 2)
		if err != nil || on != tc.want || !reflect.DeepEqual(b.calls, []string{tc.call, tc.call}) {
			t.Errorf("%s %v: on=%v err=%v calls %q, want %v and 2 x %q", tc.action, tc.statuses, on, err, b.calls, tc.want, tc.call)
		}
	}
	b := &fakeBackend{statErr: errors.New("boom")}
	var sleeps []time.Duration
	if _, err := loopRun(b, &bytes.Buffer{}, &sleeps).status(context.Background(), &Options{Key: "k"}, nil, 3); err == nil || len(b.calls) != 1 {
		t.Fatalf("status error: err=%v calls %q, want the error after 1 call", err, b.calls)
	}
}

func TestAnswerFromStatus(t *testing.T) {
	setErr := errors.New("no reservation")
	for _, tc := range []struct {
		action string
		on     bool
		setErr error
		code   int
		done   bool
		out    string
		calls  []string
	}{
		{"status", true, nil, exitOK, true, "Status: ON\n", nil},
		{"status", false, nil, exitOff, true, "Status: OFF\n", nil},
		{"off", false, nil, exitOK, true, "Success: Already OFF\n", []string{"off k [/d]"}},
		{"off", false, setErr, 0, true, "", []string{"off k [/d]"}},
		{"off", true, nil, 0, false, "", nil},
		{"on", true, nil, 0, false, "", nil},
		{"on", false, nil, 0, false, "", nil},
	} {
		b := &fakeBackend{setErr: tc.setErr}
		var out bytes.Buffer
		var sleeps []time.Duration
		code, done, err := loopRun(b, &out, &sleeps).answerFromStatus(context.Background(), &Options{Action: tc.action, Key: "k"}, []string{"/d"}, tc.on)
		if code != tc.code || done != tc.done || !errors.Is(err, tc.setErr) || (tc.setErr == nil && err != nil) ||
			out.String() != tc.out || !reflect.DeepEqual(b.calls, tc.calls) {
			t.Errorf("%s on=%v: code %d done %v err %v out %q calls %q", tc.action, tc.on, code, done, err, out.String(), b.calls)
		}
	}
}

func TestSetPower(t *testing.T) {
	o := &Options{Key: "k", PowerWait: 3}
	for _, want := range []bool{true, false} {
		b := &fakeBackend{}
		var sleeps []time.Duration
		if err := loopRun(b, &bytes.Buffer{}, &sleeps).setPower(context.Background(), o, []string{"/d"}, 2, want); err != nil {
			t.Fatal(err)
		}
		call := "off k [/d]"
		if want {
			call = "on k [/d]"
		}
		if !reflect.DeepEqual(b.calls, []string{call, call}) || !reflect.DeepEqual(sleeps, []time.Duration{3 * time.Second, 3 * time.Second}) {
			t.Errorf("want=%v: calls %q sleeps %v", want, b.calls, sleeps)
		}
	}
	b := &fakeBackend{setErr: errors.New("boom")}
	var sleeps []time.Duration
	if err := loopRun(b, &bytes.Buffer{}, &sleeps).setPower(context.Background(), o, []string{"/d"}, 2, true); err == nil || len(b.calls) != 1 || sleeps != nil {
		t.Fatalf("set error: err=%v calls %q sleeps %v, want the error after 1 call, no sleep", err, b.calls, sleeps)
	}
}

func TestWaitForPower(t *testing.T) {
	p := 4 * time.Second
	for _, tc := range []struct {
		name     string
		timeout  int
		statuses []bool
		want     bool
		reads    int
		sleeps   []time.Duration
	}{
		{"reached on the third read, no limit", 0, []bool{false, false, true}, true, 3, []time.Duration{p, p}},
		{"reached on the first read", 2, []bool{true}, true, 1, nil},
		{"power_timeout 2 reads", 2, []bool{false}, false, 2, []time.Duration{p, p}},
	} {
		b := &fakeBackend{statuses: tc.statuses}
		var sleeps []time.Duration
		o := &Options{Action: "on", Key: "k", PowerTimeout: tc.timeout, StonithStatusSleep: 4}
		got, err := loopRun(b, &bytes.Buffer{}, &sleeps).waitForPower(context.Background(), o, []string{"/d"}, 1, true)
		if err != nil || got != tc.want || len(b.calls) != tc.reads || !reflect.DeepEqual(sleeps, tc.sleeps) {
			t.Errorf("%s: reached %v err %v reads %d sleeps %v", tc.name, got, err, len(b.calls), sleeps)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := &fakeBackend{statuses: []bool{false}}
	var sleeps []time.Duration
	_, err := loopRun(b, &bytes.Buffer{}, &sleeps).waitForPower(ctx, &Options{Key: "k"}, nil, 1, true)
	if !errors.Is(err, context.Canceled) || len(b.calls) != 1 {
		t.Fatalf("cancelled: err %v calls %q, want context.Canceled after 1 read", err, b.calls)
	}
}

func TestTimedOutMessage(t *testing.T) {
	// The status never reaches what the action wants: ON stays OFF, OFF stays ON.
	for _, tc := range []struct {
		args   string
		status bool
		want   string
	}{
		{"-o on -k 1 --power-timeout=1", false, "ERROR: Failed: Timed out waiting to power ON\n\n\n"},
		{"-o off -k 1 --power-timeout=1", true, "ERROR: Failed: Timed out waiting to power OFF\n\n\n"},
	} {
		r := runAgent(t, &fakeBackend{devs: []string{"/d"}, statuses: []bool{tc.status}}, nil, "", strings.Fields(tc.args)...)
		if r.code != exitFail || !strings.HasSuffix(r.stderr, tc.want) {
			t.Errorf("%s: exit %d stderr %q", tc.args, r.code, r.stderr)
		}
	}
}
