package arbitrate

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// TestAcquireBoundOverflow: the acquire bound 2·W + Y + devices·(47·T + Y) is made of
// checked products. At the largest W and T, the largest device count whose
// bound fits gives the exact bound; one device more is refused by
// ValidateTiming instead of wrapping to a small or negative bound.
func TestAcquireBoundOverflow(t *testing.T) {
	y := int64(DefaultRaceYield)
	per := commandsPerDevice*int64(MaxCommandTimeout) + y
	n := (math.MaxInt64 - 2*int64(MaxWait) - y) / per
	c := Defaults(make([]pr.Device, n), key1)
	c.CommandTimeout, c.Period, c.Wait = MaxCommandTimeout, MaxPeriod, MaxWait
	b, err := c.AcquireBound()
	if want := 2*int64(MaxWait) + y + n*per; err != nil || int64(b) != want {
		t.Fatalf("AcquireBound with %d devices = %v, %v; want %d ns", n, b, err, want)
	}
	if err := c.ValidateTiming(); err != nil {
		t.Fatalf("ValidateTiming with %d devices = %v", n, err)
	}
	c.Devices = make([]pr.Device, n+1)
	if b, err := c.AcquireBound(); err == nil {
		t.Fatalf("AcquireBound with %d devices = %v; want an overflow error", n+1, b)
	}
	if err := c.ValidateTiming(); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "acquire bound overflows") {
		t.Fatalf("ValidateTiming with %d devices = %v; want the acquire bound refused", n+1, err)
	}
	// The device count at which devices·(47·T + Y) wraps past 2^64 to a
	// small positive bound, which an unchecked product would accept.
	wrap := math.MaxUint64/uint64(per) + 1
	c.Devices = make([]pr.Device, wrap)
	if b, err := c.AcquireBound(); err == nil {
		t.Fatalf("AcquireBound with %d devices = %v; want an overflow error", wrap, b)
	}
}
