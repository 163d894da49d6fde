package arbitrate

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

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
		{"wait just above the bound", func(c *Config) { c.Wait = 8*time.Second + 1 }, ""},
		{"wait equal to the bound", func(c *Config) { c.Wait = 8 * time.Second },
			"wait 8s must exceed (misses+1)*period+timeout = (1+1)*3s+2s = 8s"},
		{"ECX's 7s against 3s with two misses", func(c *Config) { c.Wait, c.Misses = 7*time.Second, 2 },
			"(2+1)*3s+2s = 11s"},
		{"period not above timeout", func(c *Config) { c.Period = 2 * time.Second }, "period 2s must exceed the command timeout 2s"},
		{"zero timeout", func(c *Config) { c.CommandTimeout = 0 }, "command timeout 0s must be positive"},
		{"negative misses", func(c *Config) { c.Misses = -1 }, "misses -1"},
		{"negative retries", func(c *Config) { c.Retries = -1 }, "retries -1"},
		{"no devices", func(c *Config) { c.Devices = nil }, "no devices"},
		{"nil device", func(c *Config) { c.Devices = []scsi.Device{nil} }, "device 0 is nil"},
		{"duplicate device", func(c *Config) { c.Devices = []scsi.Device{devs[0], devs[0]} }, "/dev/sdb listed twice"},
		{"key 0", func(c *Config) { c.Key = 0 }, "key 0"},
		{"type 0", func(c *Config) { c.Type = 0 }, "reservation type none"},
		{"type 2", func(c *Config) { c.Type = 2 }, "type-0x2"},
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
	c := Defaults([]scsi.Device{nil}, key1)
	if c.Wait != 9*time.Second || c.Period != 3*time.Second || c.Misses != 1 || c.Type != scsi.TypeWriteExclusiveAllRegistrants {
		t.Errorf("defaults = P %v M %d W %v type %v; want 3s 1 9s WE-AR", c.Period, c.Misses, c.Wait, c.Type)
	}
	// 9s wait + 1 device × 13 commands × 3 tries × 2s.
	if got := c.AcquireBound(); got != 9*time.Second+78*time.Second {
		t.Errorf("AcquireBound = %v", got)
	}
	if b := c.Bounds(); !strings.Contains(b, "= 8s < wait 9s") || !strings.Contains(b, "acquire worst case 1m27s") {
		t.Errorf("Bounds = %q", b)
	}
}

func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		r    Result
		err  error
		want int
	}{
		{Result{Outcome: Acquired}, nil, 0},
		{Result{Outcome: OwnerAlive}, nil, 3},
		{Result{Outcome: Failed}, errors.New("x"), 1},
		{Result{Outcome: Acquired}, errors.New("x"), 1},
	} {
		if got := ExitCode(tc.r, tc.err); got != tc.want {
			t.Errorf("ExitCode(%v, %v) = %d; want %d", tc.r.Outcome, tc.err, got, tc.want)
		}
	}
}
