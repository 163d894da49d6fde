package arbitrate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

func TestValidate(t *testing.T) {
	lus := newLUs(sim.QuirkNone, 2)
	devs := newNode("node1", false, lus).devs
	tests := []struct {
		name   string
		modify func(c *Config)
		want   string // substring of the error; "" = valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"wait just above the bound", func(c *Config) { c.Wait = 9*time.Second + 1 }, ""},
		{"wait equal to the bound", func(c *Config) { c.Wait = 9 * time.Second },
			"wait 9s must exceed (misses+1)*period+timeout+overhead = (1+1)*3s+2s+1s = 9s"},
		{"ECX's 7s against 3s with two misses", func(c *Config) { c.Wait, c.Misses = 7*time.Second, 2 },
			"(2+1)*3s+2s+1s = 12s"},
		// defend --once started P after the previous run ended: 19 s with the defaults.
		{"sync monitor, the async default wait", func(c *Config) { c.SyncMonitor = true },
			"wait 10s must exceed (misses+1)*(2*period+2*overhead)+timeout+overhead (defend --once) = (1+1)*(2*3s+2*1s)+2s+1s = 19s"},
		{"sync monitor, wait just above the bound", func(c *Config) { c.SyncMonitor, c.Wait = true, 19*time.Second+1 }, ""},
		{"sync monitor, period overflow", func(c *Config) { c.SyncMonitor, c.Period, c.Wait = true, 1<<62, math.MaxInt64 }, "period 1281023h"},
		{"period not above timeout", func(c *Config) { c.Period = 2 * time.Second }, "period 2s must exceed the command timeout 2s"},
		{"zero timeout", func(c *Config) { c.CommandTimeout = 0 }, "command timeout 0s must be positive"},
		{"negative misses", func(c *Config) { c.Misses = -1 }, "misses -1"},
		// (m+1)*p overflowed to a negative gap and was accepted.
		{"misses overflow", func(c *Config) { c.Misses, c.Wait = math.MaxInt64, 10*time.Second }, "misses 9223372036854775807 must be between 0 and 100"},
		{"misses overflow, huge wait", func(c *Config) { c.Misses, c.Wait = math.MaxInt64, math.MaxInt64 }, "misses 9223372036854775807"},
		{"misses product overflow", func(c *Config) { c.Misses = math.MaxInt64 / int(3*time.Second) }, "must be between 0 and 100"},
		{"misses at the limit", func(c *Config) { c.Misses, c.Wait = MaxMisses, 2*time.Hour }, ""},
		{"period above the limit", func(c *Config) { c.Period, c.Wait = 1<<62, math.MaxInt64 }, "period 1281023h"},
		{"timeout above the limit", func(c *Config) { c.CommandTimeout, c.Period, c.Wait = time.Hour, 2*time.Hour, 24*time.Hour }, "at most 5m0s"},
		{"wait above the limit", func(c *Config) { c.Wait = 25 * time.Hour }, "wait 25h0m0s must be positive and at most 24h0m0s"},
		{"negative wait", func(c *Config) { c.Wait = -time.Second }, "wait -1s"},
		{"no devices", func(c *Config) { c.Devices = nil }, "no devices"},
		{"nil device", func(c *Config) { c.Devices = []pr.Device{nil} }, "device 0 is nil"},
		{"duplicate device", func(c *Config) { c.Devices = []pr.Device{devs[0], devs[0]} }, "/dev/sdb listed twice"},
		{"key 0", func(c *Config) { c.Key = 0 }, "key 0"},
		{"type 0", func(c *Config) { c.Type = 0 }, "reservation type none"},
		{"unknown type", func(c *Config) { c.Type = pr.TypeUnknown }, "reservation type unknown"},
		{"type 42", func(c *Config) { c.Type = 42 }, "type-42 is not one of WE, EA"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Defaults(devs, key1)
			tc.modify(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate = %v; want valid", err)
			case tc.want != "" && (err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate = %v; want ErrConfig containing %q", err, tc.want)
			case err != nil && strings.Contains(err.Error(), "\n"):
				t.Errorf("error spans lines: %q", err)
			}
			if tc.want == "" {
				return
			}
			// Every action refuses an invalid configuration before any I/O.
			gen := lus[0].Generation()
			if r, err := Acquire(context.Background(), c); err == nil || r.Outcome != Failed {
				t.Errorf("Acquire accepted it")
			}
			if err := Defend(context.Background(), c, true); !errors.Is(err, ErrConfig) {
				t.Errorf("Defend = %v", err)
			}
			if err := Release(context.Background(), c); !errors.Is(err, ErrConfig) {
				t.Errorf("Release = %v", err)
			}
			if lus[0].Generation() != gen || len(lus[0].Registrations()) != 0 {
				t.Errorf("an invalid configuration reached the device")
			}
		})
	}
}

func TestDefaultsAndBounds(t *testing.T) {
	c := Defaults([]pr.Device{nil}, key1)
	if c.Wait != 10*time.Second || c.Period != 3*time.Second || c.Misses != 1 || c.Type != pr.WEAR {
		t.Errorf("defaults = P %v M %d W %v type %v; want 3s 1 10s WE-AR", c.Period, c.Misses, c.Wait, c.Type)
	}
	// Two 10s waits + the 2s racer yield + 1 device × (47 commands × 2s + the 2s late-registrant wait).
	if got, err := c.AcquireBound(); err != nil || got != 20*time.Second+2*time.Second+94*time.Second+2*time.Second {
		t.Errorf("AcquireBound = %v, %v", got, err)
	}
	if b := c.Bounds(); !strings.Contains(b, "= 9s < wait 10s") || !strings.Contains(b, "acquire worst case 1m58s") {
		t.Errorf("Bounds = %q", b)
	}
}

// TestRenewalGapOverflow: every product is checked instead of wrapping.
func TestRenewalGapOverflow(t *testing.T) {
	for _, tc := range []struct {
		p time.Duration
		m int
		t time.Duration
	}{
		{3 * time.Second, math.MaxInt64, 2 * time.Second},
		{math.MaxInt64 / 2, 1, time.Second},
		{time.Second, 1, math.MaxInt64 - time.Second},
		{time.Second, -1, time.Second},
	} {
		if g, err := RenewalGap(tc.p, tc.m, tc.t); err == nil {
			t.Errorf("RenewalGap(%v, %d, %v) = %v; want an overflow error", tc.p, tc.m, tc.t, g)
		}
		if w, err := DefaultWait(tc.p, tc.m, tc.t); err == nil {
			t.Errorf("DefaultWait(%v, %d, %v) = %v; want an overflow error", tc.p, tc.m, tc.t, w)
		}
	}
}

// TestKeyFromNames: the cluster part is fence_scsi's (first 4 hex digits of
// MD5(cluster)), the node part 48 bits of MD5(node); among 5000 names,
// whose 16-bit MD5 prefixes (fence_scsi's node part) collide many times,
// no two derive the same key.
func TestKeyFromNames(t *testing.T) {
	// MD5("cluster1") = fb56..., MD5("node1") = 164546f60261...
	if k, err := KeyFromNames("cluster1", "node1"); err != nil || k != 0xfb56164546f60261 {
		t.Errorf("KeyFromNames(cluster1, node1) = %v, %v; want 0xfb56164546f60261", k, err)
	}
	short := map[uint16]bool{}
	shortCollisions := 0
	seen := map[scsi.Key]string{}
	for i := 0; i < 5000; i++ {
		name := fmt.Sprintf("server%d", i)
		k, err := KeyFromNames("cluster1", name)
		if err != nil {
			t.Fatal(err)
		}
		if other, ok := seen[k]; ok {
			t.Fatalf("%s and %s derive the same key %v", name, other, k)
		}
		seen[k] = name
		p := uint16(uint64(k) >> 32) // the first 16 bits of MD5(name)
		if short[p] {
			shortCollisions++
		}
		short[p] = true
	}
	if shortCollisions == 0 {
		t.Errorf("no 16-bit collision among 5000 names: the test does not show the difference")
	}
	if _, err := KeyFromNames("", "node1"); err == nil {
		t.Error("empty cluster name accepted")
	}
}

// TestSyncWait: the synchronous monitor's bound and default wait with the
// defaults, and an overflow refused instead of wrapping.
func TestSyncWait(t *testing.T) {
	if g, err := SyncRenewalGap(DefaultPeriod, DefaultMisses, DefaultCommandTimeout); err != nil || g != 19*time.Second {
		t.Errorf("SyncRenewalGap(defaults) = %v, %v; want 19s", g, err)
	}
	if w, err := DefaultSyncWait(DefaultPeriod, DefaultMisses, DefaultCommandTimeout); err != nil || w != 20*time.Second {
		t.Errorf("DefaultSyncWait(defaults) = %v, %v; want 20s", w, err)
	}
	if g, err := SyncRenewalGap(math.MaxInt64/2, 0, 0); err == nil {
		t.Errorf("SyncRenewalGap(MaxInt64/2) = %v; want an overflow error", g)
	}
}
