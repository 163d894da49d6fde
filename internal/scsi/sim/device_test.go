package sim

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// These tests drive the simulator through scsi.NewDevice, so the builders,
// parsers and retry policy meet the simulator's independent decoding.

func TestDeviceTruncatedResponsesAreMalformed(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		bytes int
		call  func(scsi.Device) error
	}{
		{"read keys header", 6, func(d scsi.Device) error { _, err := d.ReadKeys(ctx); return err }},
		{"read reservation", 12, func(d scsi.Device) error { _, err := d.ReadReservation(ctx); return err }},
		{"report capabilities", 4, func(d scsi.Device) error { _, err := d.ReportCapabilities(ctx); return err }},
		{"inquiry", 3, func(d scsi.Device) error { _, err := d.Inquiry(ctx); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lu := NewLU()
			d := lu.Device("a")
			if err := d.RegisterAndIgnore(ctx, 5, scsi.RegisterOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := d.Reserve(ctx, 5, scsi.TypeWriteExclusiveRegistrantsOnly); err != nil {
				t.Fatal(err)
			}
			lu.Inject("a", Fault{Kind: FaultTruncate, Count: 1, Bytes: tc.bytes})
			if err := tc.call(d); !errors.Is(err, scsi.ErrMalformed) {
				t.Errorf("got %v, want a malformed-response error", err)
			}
		})
	}
}

func TestDeviceFaults(t *testing.T) {
	ctx := context.Background()
	lu := NewLU()
	d := lu.Device("a")

	lu.Inject("a", Fault{Kind: FaultTimeoutAfter, Count: 1, Opcodes: []byte{0x5F}})
	err := d.RegisterAndIgnore(ctx, 5, scsi.RegisterOptions{})
	if !errors.Is(err, scsi.ErrTimeout) || !errors.Is(err, scsi.ErrOutcomeUnknown) {
		t.Errorf("timeout after execution: %v", err)
	}
	if kl, err := d.ReadKeys(ctx); err != nil || !kl.Contains(5) {
		t.Errorf("the lost PR OUT must have executed: %v %v", kl, err)
	}

	lu.QueueUnitAttention("a", 0x29, 0x00, scsi.DefaultMaxUARetries)
	if _, err := d.ReadKeys(ctx); err != nil {
		t.Errorf("%d UAs must be absorbed by the retry policy: %v", scsi.DefaultMaxUARetries, err)
	}
	lu.QueueUnitAttention("a", 0x29, 0x00, scsi.DefaultMaxUARetries+1)
	if _, err := d.ReadKeys(ctx); !errors.Is(err, scsi.ErrUnitAttention) {
		t.Errorf("a UA storm beyond the budget: %v", err)
	}
	drainUA(t, lu.Connect("a"))

	lu.Inject("a", Fault{Kind: FaultPRUnsupported, Count: -1, Opcodes: []byte{0x5E, 0x5F}})
	if _, err := d.ReadKeys(ctx); !errors.Is(err, scsi.ErrNotSupported) {
		t.Errorf("PR unsupported: %v", err)
	}
	lu.ClearFaults("a")

	lu.Inject("a", Fault{Kind: FaultNotReady, Count: 2})
	if err := d.TestUnitReady(ctx); err != nil {
		t.Errorf("NOT READY becoming ready must be retried: %v", err)
	}
}

// TestDeviceManyKeys registers more nexuses than sg_persist's 8192-byte
// allocation holds, so ReadKeys and ReadFullStatus must re-read with the
// reported length; with old LIO's truncated ADDITIONAL LENGTH they must
// still find every key (docs/pr-notes.md, "Short data and long key lists").
func TestDeviceManyKeys(t *testing.T) {
	ctx := context.Background()
	for _, q := range []Quirks{QuirkNone, QuirkTruncatedAdditionalLength, QuirkLIO} {
		lu := NewLU(WithQuirks(q))
		const n = 1100
		for i := 0; i < n; i++ {
			tr := lu.Connect(fmt.Sprintf("iqn.2026-01.test:n%d", i))
			prOut(t, tr, regIgn, 0, 0, uint64(i+1))
		}
		kl, err := lu.Device("reader").ReadKeys(ctx)
		if err != nil || len(kl.Keys) != n || kl.Partial || kl.Generation != n {
			t.Fatalf("quirks %#x ReadKeys: %v", q, err)
		}
		fs, err := lu.Device("reader").ReadFullStatus(ctx)
		if err != nil || len(fs.Descriptors) != n {
			t.Fatalf("quirks %#x ReadFullStatus: %v", q, err)
		}
		want := "iqn.2026-01.test:n7\x00"
		if got := string(fs.Descriptors[7].TransportID[4 : 4+len(want)]); got != want {
			t.Errorf("TransportID of descriptor 7: %q", got)
		}
	}
}
