package fence

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

// memoRun runs the actions of one agent process with a KeyMemo on a fake
// clock, counting the READ KEYS each action sends per device.
type memoRun struct {
	t   *testing.T
	o   Options
	mu  sync.Mutex
	now time.Time
}

func newMemoRun(t *testing.T, o Options) *memoRun {
	m := &memoRun{t: t, o: o, now: time.Unix(1e9, 0)}
	m.o.Memo = &KeyMemo{Now: func() time.Time { m.mu.Lock(); defer m.mu.Unlock(); return m.now }}
	return m
}

func (m *memoRun) advance(d time.Duration) {
	m.mu.Lock()
	m.now = m.now.Add(d)
	m.mu.Unlock()
}

// reads runs action and returns how many READ KEYS it sent to dev (an
// answer taken from the memo is logged otherwise).
func (m *memoRun) reads(dev string, action func(Options) error) int {
	m.t.Helper()
	rec := recordLog("registration keys on " + dev + ":")
	o := m.o
	o.Log = rec.logger()
	if err := action(o); err != nil {
		m.t.Fatal(err)
	}
	return len(rec.messages())
}

// statusOf is a Status action that must answer want.
func statusOf(devs []string, key pr.Key, want bool) func(Options) error {
	return func(o Options) error {
		on, err := Status(ctx, o, devs, key)
		if err == nil && on != want {
			return &VerifyError{Devices: 1}
		}
		return err
	}
}

// TestKeyMemoStatusOffStatus: in the status, off, status flow of one
// process the status answers the validation pass and off's read-back
// answers the status after it; each answer serves once.
func TestKeyMemoStatusOffStatus(t *testing.T) {
	devs := []string{"/dev/sdb"}
	s := newSAN(devs...)
	m := newMemoRun(t, unfenceAll(t, s, devs)["n1"])
	steps := []struct {
		name   string
		action func(Options) error
		want   int
	}{
		{"status before", statusOf(devs, key3, true), 1},
		{"off", func(o Options) error { _, err := Off(ctx, o, devs, key3); return err }, 1},
		{"status after", statusOf(devs, key3, false), 0},
		{"status again", statusOf(devs, key3, false), 1},
	}
	for _, st := range steps {
		if n := m.reads(devs[0], st.action); n != st.want {
			t.Errorf("%s: %d READ KEYS, want %d", st.name, n, st.want)
		}
	}
}

// TestKeyMemoExpires: an answer KeyMemoAge old (a power_wait of 1 s in
// between) is read again; a younger one serves.
func TestKeyMemoExpires(t *testing.T) {
	devs := []string{"/dev/sdb"}
	s := newSAN(devs...)
	o := unfenceAll(t, s, devs)["n1"]
	for _, tt := range []struct {
		wait  time.Duration
		reads int
	}{{KeyMemoAge - time.Millisecond, 0}, {KeyMemoAge, 1}} {
		m := newMemoRun(t, o)
		if n := m.reads(devs[0], statusOf(devs, key1, true)); n != 1 {
			t.Fatalf("first status: %d READ KEYS", n)
		}
		m.advance(tt.wait)
		if n := m.reads(devs[0], statusOf(devs, key1, true)); n != tt.reads {
			t.Errorf("%d READ KEYS after %v, want %d", n, tt.wait, tt.reads)
		}
	}
}

// TestKeyMemoNotAcrossPROut: an answer followed by a PR OUT on its
// logical unit is not kept, nor one after a PR OUT that failed (its
// outcome may be unknown), nor one read through another name of the
// unit before a PR OUT through the first.
func TestKeyMemoNotAcrossPROut(t *testing.T) {
	on := func(devs []string, key pr.Key) func(Options) error {
		return func(o Options) error { return On(ctx, o, devs, key) }
	}
	t.Run("reserve after the read-back", func(t *testing.T) {
		// The first node's on reserves after reading its key back.
		devs := []string{"/dev/sdb"}
		m := newMemoRun(t, newSAN(devs...).options(t, "n1"))
		m.reads(devs[0], on(devs, key1))
		if n := m.reads(devs[0], statusOf(devs, key1, true)); n != 1 {
			t.Errorf("status after on: %d READ KEYS, want 1", n)
		}
	})
	t.Run("failed PR OUT", func(t *testing.T) {
		devs := []string{"/dev/sdb"}
		s := newSAN(devs...)
		unfenceAll(t, s, devs)
		m := newMemoRun(t, s.options(t, "n4"))
		// REGISTER AND IGNORE takes effect, its answer is lost.
		s.lus["/dev/sdb"].Inject("n4:/dev/sdb", sim.Fault{Kind: sim.FaultTimeoutAfter, Count: 1, Opcodes: []byte{0x5F}})
		m.reads(devs[0], on(devs, 0x6c9d0003))
		if n := m.reads(devs[0], statusOf(devs, 0x6c9d0003, true)); n != 1 {
			t.Errorf("status after on: %d READ KEYS, want 1", n)
		}
	})
	t.Run("other name", func(t *testing.T) {
		// A by-id link that does not resolve to /dev/sdb but names its
		// logical unit (reserved already): on registers through it after
		// reading the keys back through /dev/sdb.
		s := newSAN("/dev/sdb")
		unfenceAll(t, s, []string{"/dev/sdb"})
		s.lus["/dev/disk/by-id/wwn-1"] = s.lus["/dev/sdb"]
		s.alias["/dev/disk/by-id/wwn-1"] = "/dev/sdb"
		m := newMemoRun(t, s.options(t, "n4"))
		m.reads("/dev/sdb", on([]string{"/dev/sdb", "/dev/disk/by-id/wwn-1"}, 0x6c9d0003))
		if n := m.reads("/dev/sdb", statusOf([]string{"/dev/sdb"}, 0x6c9d0003, true)); n != 1 {
			t.Errorf("status of /dev/sdb after on: %d READ KEYS, want 1", n)
		}
	})
	t.Run("other name without identity", func(t *testing.T) {
		// The same, but the link does not tell its identity: it may be any
		// logical unit of the action. Parallelism 1 runs /dev/sdb first.
		s := newSAN("/dev/sdb")
		unfenceAll(t, s, []string{"/dev/sdb"})
		s.lus["/dev/disk/by-id/wwn-1"] = s.lus["/dev/sdb"]
		s.alias["/dev/disk/by-id/wwn-1"] = "/dev/sdb"
		o := s.options(t, "n4")
		o.Parallelism = 1
		open := o.Open
		o.Open = func(p string, ro bool) (pr.Device, error) {
			d, err := open(p, ro)
			if p == "/dev/disk/by-id/wwn-1" {
				d = noIdentity{d}
			}
			return d, err
		}
		m := newMemoRun(t, o)
		m.reads("/dev/sdb", on([]string{"/dev/sdb", "/dev/disk/by-id/wwn-1"}, 0x6c9d0003))
		if n := m.reads("/dev/sdb", statusOf([]string{"/dev/sdb"}, 0x6c9d0003, true)); n != 1 {
			t.Errorf("status of /dev/sdb after on: %d READ KEYS, want 1", n)
		}
	})
}

type noIdentity struct{ pr.Device }

func (noIdentity) Identity(context.Context) (string, error) { return "", pr.ErrNoIdentity }

// TestKeyMemoLogsReuse: an answer taken from the memo is logged as such.
func TestKeyMemoLogsReuse(t *testing.T) {
	devs := []string{"/dev/sdb"}
	s := newSAN(devs...)
	m := newMemoRun(t, unfenceAll(t, s, devs)["n1"])
	m.reads(devs[0], statusOf(devs, key1, true))
	rec := recordLog("registration keys of /dev/sdb as read ")
	o := m.o
	o.Log = rec.logger()
	if on, err := Status(ctx, o, devs, key1); err != nil || !on {
		t.Fatal(on, err)
	}
	if msgs := rec.messages(); len(msgs) != 1 || !strings.Contains(msgs[0], "by the previous step") {
		t.Errorf("log %q", msgs)
	}
}
