package fenceproto

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeBackend records calls and answers from scripted values.
type fakeBackend struct {
	mu       sync.Mutex
	calls    []string
	key      string   // DeriveKey result
	keyErr   error    // DeriveKey error
	devs     []string // Devices result
	devErr   error
	statuses []bool // successive Status answers; the last one repeats
	statErr  error
	setErr   error
	monErr   error
	opts     *Options // last options seen
	// devsFromOptions answers Devices with o.Devices split on commas, as
	// fence_scsi does without looking at the devices.
	devsFromOptions bool
}

func (f *fakeBackend) record(format string, a ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, a...))
}

func (f *fakeBackend) DeriveKey(_ context.Context, o *Options, node string) (string, error) {
	f.opts = o
	f.record("derive %s", node)
	return f.key, f.keyErr
}

func (f *fakeBackend) Devices(_ context.Context, o *Options) ([]string, error) {
	f.opts = o
	f.record("devices %q", o.Devices)
	if f.devsFromOptions {
		return strings.Split(o.Devices, ","), nil
	}
	return f.devs, f.devErr
}

func (f *fakeBackend) Status(_ context.Context, o *Options, devs []string, key string, all bool) (bool, error) {
	f.opts = o
	f.record("status %s %v all=%v", key, devs, all)
	if f.statErr != nil {
		return false, f.statErr
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.statuses[0]
	if len(f.statuses) > 1 {
		f.statuses = f.statuses[1:]
	}
	return s, nil
}

func (f *fakeBackend) On(_ context.Context, o *Options, devs []string, key string) error {
	f.record("on %s %v", key, devs)
	return f.setErr
}

func (f *fakeBackend) Off(_ context.Context, o *Options, devs []string, key string) error {
	f.record("off %s %v", key, devs)
	return f.setErr
}

func (f *fakeBackend) Monitor(_ context.Context, o *Options) error {
	f.opts = o
	f.record("monitor")
	return f.monErr
}

// result is what one run showed to its caller.
type result struct {
	code           int
	stdout, stderr string
	sleeps         []time.Duration
	syslog         []string
	b              *fakeBackend
}

// testStart is the fake clock's start; log lines show "2026-01-02 03:04:05,006".
var testStart = time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.Local)

// runAgent runs the agent in-process with a fake clock that advances on
// Sleep. args[0] is the program name; with only args[0], stdin is read.
func runAgent(t *testing.T, b *fakeBackend, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	if b == nil {
		b = &fakeBackend{key: "6c9d0001", devs: []string{"/dev/sdb"}, statuses: []bool{true}}
	}
	var out, errb bytes.Buffer
	var res result
	now := testStart
	var mu sync.Mutex
	e := Env{
		Args:   append([]string{"fence_scsi"}, args...),
		Stdin:  strings.NewReader(stdin),
		Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return env[k] },
		Now: func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			return now
		},
		Sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			res.sleeps = append(res.sleeps, d)
			now = now.Add(d)
			return ctx.Err()
		},
		Syslog:  func(l Level, msg string) { res.syslog = append(res.syslog, l.String()+" "+msg) },
		Version: DefaultVersion,
	}
	res.code = Run(context.Background(), e, b)
	res.stdout, res.stderr, res.b = out.String(), errb.String(), b
	return res
}

const ts = "2026-01-02 03:04:05,006 "
