package fence

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// KeyMemoAge bounds how old a READ KEYS answer handed from one action to
// the next may be, counted from its sending. In fence-agents' flow the
// next action starts at once (power_wait is 0 by default), a few
// milliseconds later on real storage, some hundreds in a loaded emulated
// guest. power_wait and stonith_status_sleep are whole seconds, so an
// answer never serves across one of them: the status poll after such a
// wait reads the device.
const KeyMemoAge = time.Second

// KeyMemo hands a device's READ KEYS answer from one action to the next
// one of the same process. fence-agents' flow reads the status, runs on or
// off, then reads the status again; with a KeyMemo the status read before
// on or off serves their validation pass, and the read-back of on or off
// serves the status read after them, instead of sending READ KEYS twice
// in a row.
//
// An answer is kept only if no PR OUT was sent to its logical unit after
// it (through any configured name or multipath path of the action) and no
// PR OUT of the action on that logical unit failed. It is handed out once,
// by configured path, and only younger than KeyMemoAge. Only
// answers read from the device are kept, never one taken from the memo.
// The zero value is ready to use; a nil *KeyMemo keeps nothing.
type KeyMemo struct {
	// Now is time.Now unless replaced (tests).
	Now func() time.Time

	mu sync.Mutex
	m  map[string]memoKeys
	// noFullStatus holds the paths whose device refused READ FULL STATUS
	// (readStatus): the process's later actions do not ask again.
	noFullStatus map[string]bool
}

type memoKeys struct {
	kl *pr.KeyList
	// res is the reservation the same answer showed (READ FULL STATUS),
	// nil after a READ KEYS.
	res *pr.Reservation
	// at is when the action that read kl began: no later than the
	// sending of its READ KEYS, so the age take computes is never less
	// than the answer's.
	at time.Time
}

func (m *KeyMemo) now() time.Time {
	if m != nil && m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// take removes path's answer and returns it with its age if it is still
// young enough. The clock is read only when there is an answer, and at
// each one: a reading shared by the takes of a pass would make the later
// answers look younger than they are.
func (m *KeyMemo) take(path string) (memoKeys, time.Duration, bool) {
	if m == nil {
		return memoKeys{}, 0, false
	}
	m.mu.Lock()
	e, ok := m.m[path]
	delete(m.m, path)
	m.mu.Unlock()
	if !ok {
		return memoKeys{}, 0, false
	}
	age := m.now().Sub(e.at)
	if age < 0 || age >= KeyMemoAge {
		return memoKeys{}, 0, false
	}
	return e, age, true
}

// fullStatusRefused reports whether path's device refused READ FULL
// STATUS earlier in the process.
func (m *KeyMemo) fullStatusRefused(path string) bool {
	if m == nil {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.noFullStatus[path]
}

// refuseFullStatus records that path's device refused READ FULL STATUS.
func (m *KeyMemo) refuseFullStatus(path string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.noFullStatus == nil {
		m.noFullStatus = map[string]bool{}
	}
	m.noFullStatus[path] = true
}

func (m *KeyMemo) put(path string, e memoKeys) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string]memoKeys{}
	}
	m.m[path] = e
}

// remember puts into the memo the last READ KEYS answer of every target
// after which nothing was sent that could change the registrations of its
// logical unit. Targets group by identity; a target without one may be
// any logical unit of the action, so it is compared with every target,
// and every target with it.
func (r *runner) remember(targets []*target) {
	if r.o.Memo == nil {
		return
	}
	type bound struct {
		seq   uint64
		dirty bool
	}
	add := func(b *bound, seq uint64, dirty bool) {
		b.seq, b.dirty = max(b.seq, seq), b.dirty || dirty
	}
	var all, unknown bound
	byLU := map[string]*bound{}
	for _, t := range targets {
		if byLU[t.lu] == nil {
			byLU[t.lu] = &bound{}
		}
		for _, w := range t.watchedDevices() {
			seq, dirty := w.sent()
			add(&all, seq, dirty)
			add(byLU[t.lu], seq, dirty)
			if t.lu == "" {
				add(&unknown, seq, dirty)
			}
		}
	}
	for _, t := range targets {
		b := all
		if t.lu != "" {
			b = *byLU[t.lu]
			add(&b, unknown.seq, unknown.dirty)
		}
		kl, res, seq := t.w.lastKeys()
		if kl != nil && seq > b.seq && !b.dirty {
			r.o.Memo.put(t.path, memoKeys{kl: kl, res: res, at: r.start})
		}
	}
}

// finish remembers what the action read last, then closes its devices.
func (r *runner) finish(targets []*target) {
	r.remember(targets)
	closeAll(targets)
}

func (t *target) watchedDevices() []*watched {
	ws := []*watched{t.w}
	for _, p := range t.paths {
		ws = append(ws, p.w)
	}
	return ws
}

// watched is an opened device that numbers its READ KEYS and PR OUT
// commands in one sequence per action (runner.seq), so remember can tell
// which answers nothing was sent after. Every pr.Device method is written
// out, none embedded: a method added to the interface must be classed here
// as a read or a change before the package compiles.
type watched struct {
	d   pr.Device
	seq *atomic.Uint64

	mu      sync.Mutex
	keys    *pr.KeyList     // the last READ KEYS answer (nil after a failed one)
	res     *pr.Reservation // the reservation shown with keys (nil: not read with them)
	keysSeq uint64          // numbered before it was sent
	outSeq  uint64          // numbered after the last PR OUT returned (0: none)
	outErr  bool            // a PR OUT returned an error: its outcome may be unknown
}

func (w *watched) lastKeys() (*pr.KeyList, *pr.Reservation, uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.keys, w.res, w.keysSeq
}

func (w *watched) sent() (uint64, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.outSeq, w.outErr
}

// out runs a PR OUT and numbers it once it has returned.
func (w *watched) out(f func() error) error {
	err := f()
	seq := w.seq.Add(1)
	w.mu.Lock()
	w.outSeq = seq
	w.outErr = w.outErr || err != nil
	w.mu.Unlock()
	return err
}

func (w *watched) ReadKeys(ctx context.Context) (*pr.KeyList, error) {
	seq := w.seq.Add(1)
	kl, err := w.d.ReadKeys(ctx)
	w.mu.Lock()
	w.keys, w.res, w.keysSeq = kl, nil, seq
	if err != nil {
		w.keys = nil
	}
	w.mu.Unlock()
	return kl, err
}

func (w *watched) Name() string                                 { return w.d.Name() }
func (w *watched) Transport() pr.Transport                      { return w.d.Transport() }
func (w *watched) Ready(ctx context.Context) error              { return w.d.Ready(ctx) }
func (w *watched) Close() error                                 { return w.d.Close() }
func (w *watched) Identity(ctx context.Context) (string, error) { return w.d.Identity(ctx) }

func (w *watched) Capabilities(ctx context.Context) (*pr.Capabilities, error) {
	return w.d.Capabilities(ctx)
}

func (w *watched) ReadReservation(ctx context.Context) (*pr.Reservation, error) {
	return w.d.ReadReservation(ctx)
}

// ReadRegistrations counts as a READ KEYS: a complete list is the device's
// keys as one answer, so it is remembered like one.
func (w *watched) ReadRegistrations(ctx context.Context) (*pr.Registrations, error) {
	seq := w.seq.Add(1)
	regs, err := w.d.ReadRegistrations(ctx)
	w.mu.Lock()
	w.keys, w.res, w.keysSeq = nil, nil, seq
	if err == nil && !regs.Partial {
		w.keys, w.res = regs.KeyList(), &regs.Reservation
	}
	w.mu.Unlock()
	return regs, err
}

func (w *watched) Register(ctx context.Context, rk, sark pr.Key, opt pr.RegisterOptions) error {
	return w.out(func() error { return w.d.Register(ctx, rk, sark, opt) })
}

func (w *watched) RegisterAndIgnore(ctx context.Context, sark pr.Key, opt pr.RegisterOptions) error {
	return w.out(func() error { return w.d.RegisterAndIgnore(ctx, sark, opt) })
}

func (w *watched) Reserve(ctx context.Context, rk pr.Key, t pr.Type) error {
	return w.out(func() error { return w.d.Reserve(ctx, rk, t) })
}

func (w *watched) Release(ctx context.Context, rk pr.Key, t pr.Type) error {
	return w.out(func() error { return w.d.Release(ctx, rk, t) })
}

func (w *watched) Clear(ctx context.Context, rk pr.Key) error {
	return w.out(func() error { return w.d.Clear(ctx, rk) })
}

func (w *watched) Preempt(ctx context.Context, rk, sark pr.Key, t pr.Type) error {
	return w.out(func() error { return w.d.Preempt(ctx, rk, sark, t) })
}

func (w *watched) PreemptAndAbort(ctx context.Context, rk, sark pr.Key, t pr.Type) error {
	return w.out(func() error { return w.d.PreemptAndAbort(ctx, rk, sark, t) })
}
