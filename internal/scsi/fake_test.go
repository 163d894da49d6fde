package scsi

import (
	"context"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
	"time"
)

// call is one command a fakeTransport received (copied, so later mutation can't hide bugs).
type call struct {
	cdb       []byte
	dir       Direction
	dataOut   []byte
	dataInLen int
	timeout   time.Duration
}

// fakeTransport records every command and answers with respond(i, cmd),
// i counting calls from 0; a nil respond answers GOOD with no data.
type fakeTransport struct {
	mu      sync.Mutex
	calls   []call
	respond func(i int, cmd *Command) (*Result, error)
	closed  bool
}

func (f *fakeTransport) Execute(_ context.Context, cmd *Command) (*Result, error) {
	f.mu.Lock()
	i := len(f.calls)
	f.calls = append(f.calls, call{
		cdb:       append([]byte(nil), cmd.CDB...),
		dir:       cmd.Direction,
		dataOut:   append([]byte(nil), cmd.DataOut...),
		dataInLen: cmd.DataInLen,
		timeout:   cmd.Timeout,
	})
	f.mu.Unlock()
	if f.respond == nil {
		return &Result{DataIn: make([]byte, cmd.DataInLen), Resid: cmd.DataInLen}, nil
	}
	return f.respond(i, cmd)
}

func (f *fakeTransport) Close() error { f.closed = true; return nil }

func (f *fakeTransport) n() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// reply answers GOOD with data in a DataInLen buffer and an honest residual.
func reply(cmd *Command, data []byte) *Result {
	buf := make([]byte, cmd.DataInLen)
	n := copy(buf, data)
	return &Result{DataIn: buf, Resid: cmd.DataInLen - n}
}

// checkCondition answers CHECK CONDITION with fixed-format sense key/asc/ascq.
func checkCondition(key, asc, ascq byte) *Result {
	return &Result{Status: StatusCheckCondition, DriverStatus: DriverSense, Sense: fixedSense(key, asc, ascq)}
}

func fixedSense(key, asc, ascq byte) []byte {
	s := make([]byte, 18)
	s[0], s[2], s[7], s[12], s[13] = 0x70, key, 10, asc, ascq
	return s
}

// unhex parses "5f 06 00 ..." (spaces ignored).
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// noSleep records backoff waits without sleeping.
type noSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *noSleep) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func newTestDevice(f *fakeTransport, s *noSleep) Device {
	opt := DeviceOptions{}
	if s != nil {
		opt.Sleep = s.sleep
	}
	return NewDevice("/dev/sdz", f, opt)
}
