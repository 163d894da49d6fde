package fence

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestForEach: every index runs exactly once; never more than par at a
// time; and par at a time are reached (each call waits, up to 5 s, until
// they have been: devices are worked on concurrently, not one after the
// other).
func TestForEach(t *testing.T) {
	for _, c := range []struct{ n, par int }{{0, 4}, {1, 4}, {3, 1}, {5, 16}, {64, 16}, {16, 16}, {7, 0}} {
		var mu sync.Mutex
		seen := map[int]int{}
		var running, peak atomic.Int32
		want := int32(min(c.n, max(c.par, 1)))
		forEach(c.n, c.par, func(i int) {
			r := running.Add(1)
			for {
				p := peak.Load()
				if r <= p || peak.CompareAndSwap(p, r) {
					break
				}
			}
			for end := time.Now().Add(5 * time.Second); peak.Load() < want && time.Now().Before(end); {
				time.Sleep(time.Millisecond)
			}
			running.Add(-1)
			mu.Lock()
			seen[i]++
			mu.Unlock()
		})
		if len(seen) != c.n {
			t.Errorf("n=%d par=%d: %d indexes ran", c.n, c.par, len(seen))
		}
		for i, k := range seen {
			if i < 0 || i >= c.n || k != 1 {
				t.Errorf("n=%d par=%d: index %d ran %d times", c.n, c.par, i, k)
			}
		}
		if p := peak.Load(); p != want {
			t.Errorf("n=%d par=%d: %d at a time, want %d", c.n, c.par, p, want)
		}
	}
}
