package sim

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// Raw CDB helpers: written from SPC-4 6.6, 6.15, 6.16 and 6.37 independently of the scsi
// package builders, so these tests pin the simulator's decoding on its own.

func run(t *testing.T, tr scsi.Transport, cmd *scsi.Command) *scsi.Result {
	t.Helper()
	r, err := tr.Execute(context.Background(), cmd)
	if err != nil {
		t.Fatalf("Execute(% x): %v", cmd.CDB, err)
	}
	return r
}

func prOutCmd(sa, scopeType byte, rk, sark uint64, flags byte) *scsi.Command {
	p := make([]byte, 24)
	binary.BigEndian.PutUint64(p[0:], rk)
	binary.BigEndian.PutUint64(p[8:], sark)
	p[20] = flags
	return &scsi.Command{CDB: []byte{0x5F, sa, scopeType, 0, 0, 0, 0, 0, 24, 0}, Direction: scsi.DirToDevice, DataOut: p}
}

func prOut(t *testing.T, tr scsi.Transport, sa, typ byte, rk, sark uint64) *scsi.Result {
	t.Helper()
	return run(t, tr, prOutCmd(sa, typ, rk, sark, 0))
}

func prInCmd(sa byte, alloc int) *scsi.Command {
	return &scsi.Command{CDB: []byte{0x5E, sa, 0, 0, 0, 0, 0, byte(alloc >> 8), byte(alloc), 0}, Direction: scsi.DirFromDevice, DataInLen: alloc}
}

func tur(t *testing.T, tr scsi.Transport) *scsi.Result {
	t.Helper()
	return run(t, tr, &scsi.Command{CDB: make([]byte, 6), Direction: scsi.DirNone})
}

// outcome summarises a Result as "GOOD", "CONFLICT", "BUSY", "ABORTED" or
// "CC k/asc/ascq" with hex values, for table-driven expectations.
func outcome(r *scsi.Result) string {
	switch r.Status {
	case scsi.StatusGood:
		return "GOOD"
	case scsi.StatusReservationConflict:
		return "CONFLICT"
	case scsi.StatusBusy:
		return "BUSY"
	case scsi.StatusTaskAborted:
		return "ABORTED"
	case scsi.StatusCheckCondition:
		s := r.Sense
		if len(s) < 14 || s[0] != 0x70 {
			return "CC malformed"
		}
		return ccString(s[2], s[12], s[13])
	}
	return "status?"
}

func ccString(key, asc, ascq byte) string {
	const hex = "0123456789ABCDEF"
	return "CC " + string(hex[key&0xF]) + "/" + string([]byte{hex[asc>>4], hex[asc&0xF]}) + "/" + string([]byte{hex[ascq>>4], hex[ascq&0xF]})
}

// keys reads READ KEYS through tr and returns generation and keys.
func keys(t *testing.T, tr scsi.Transport) (uint32, []uint64) {
	t.Helper()
	r := run(t, tr, prInCmd(0, 8192))
	if outcome(r) != "GOOD" {
		t.Fatalf("READ KEYS: %s", outcome(r))
	}
	n := binary.BigEndian.Uint32(r.DataIn[4:8])
	if int(n)+8 != len(r.DataIn)-r.Resid {
		t.Fatalf("READ KEYS: additional length %d, transferred %d", n, len(r.DataIn)-r.Resid)
	}
	var ks []uint64
	for i := 0; i < int(n)/8; i++ {
		ks = append(ks, binary.BigEndian.Uint64(r.DataIn[8+8*i:]))
	}
	return binary.BigEndian.Uint32(r.DataIn[0:4]), ks
}

// drainUA sends TEST UNIT READY until GOOD and returns the UAs seen.
func drainUA(t *testing.T, tr scsi.Transport) []string {
	t.Helper()
	var seen []string
	for i := 0; i < 64; i++ {
		r := tur(t, tr)
		if r.Status == scsi.StatusGood {
			return seen
		}
		seen = append(seen, outcome(r))
	}
	t.Fatal("TEST UNIT READY never became GOOD")
	return nil
}

// TestPROutZeroParameterListLength: a PR OUT with PARAMETER LIST LENGTH 0
// has no data-out phase (SG_IO sends it as SG_DXFER_NONE); the simulator
// must answer 1A/00 like LIO does (seen by tests/lio's probe), not reject
// the command as a host-side contract violation.
func TestPROutZeroParameterListLength(t *testing.T) {
	for _, q := range []Quirks{QuirkNone, QuirkLIO, QuirkTGT} {
		tr := NewLU(WithQuirks(q)).Connect("iqn.test:a")
		r := run(t, tr, &scsi.Command{CDB: []byte{0x5F, 0x06, 0, 0, 0, 0, 0, 0, 0, 0}, Direction: scsi.DirNone})
		want := "CC 5/1A/00"
		if q.Has(QuirkParamLenInvalidCDB) {
			want = "CC 5/24/00"
		}
		if got := outcome(r); got != want {
			t.Errorf("quirks %#x: PR OUT with parameter list length 0: %s, want %s", q, got, want)
		}
	}
}

// TestLIOAllTgPtSticky: under QuirkAllTgPtSticky (LIO) an ALL_TG_PT
// registration is only unregistered or re-keyed with ALL_TG_PT=1 again.
func TestLIOAllTgPtSticky(t *testing.T) {
	for _, tc := range []struct {
		q    Quirks
		want string
	}{{QuirkNone, "GOOD"}, {QuirkLIO, "CC 5/24/00"}} {
		lu := NewLU(WithQuirks(tc.q))
		tr := lu.Connect("iqn.test:a")
		if got := outcome(run(t, tr, prOutCmd(0x06, 0, 0, 0xA, 0x04))); got != "GOOD" {
			t.Fatalf("quirks %#x: register ALL_TG_PT: %s", tc.q, got)
		}
		if got := outcome(run(t, tr, prOutCmd(0x00, 0, 0xA, 0xB, 0))); got != tc.want {
			t.Errorf("quirks %#x: change key without ALL_TG_PT: %s, want %s", tc.q, got, tc.want)
		}
		if got := outcome(run(t, tr, prOutCmd(0x06, 0, 0, 0, 0))); got != tc.want {
			t.Errorf("quirks %#x: unregister without ALL_TG_PT: %s, want %s", tc.q, got, tc.want)
		}
		if tc.want != "GOOD" {
			if len(lu.Registrations()) != 1 || lu.Registrations()[0].Key != 0xA {
				t.Errorf("quirks %#x: refused commands changed the registrations: %+v", tc.q, lu.Registrations())
			}
			if got := outcome(run(t, tr, prOutCmd(0x00, 0, 0xA, 0, 0x04))); got != "GOOD" {
				t.Errorf("quirks %#x: unregister with ALL_TG_PT: %s", tc.q, got)
			}
		}
		if len(lu.Registrations()) != 0 {
			t.Errorf("quirks %#x: registrations left: %+v", tc.q, lu.Registrations())
		}
	}
}

// TestLIOTruncatedFullStatusLength: under QuirkTruncatedFullStatusLength
// (LIO) READ FULL STATUS counts only whole descriptors that fit.
func TestLIOTruncatedFullStatusLength(t *testing.T) {
	for _, tc := range []struct {
		q     Quirks
		alloc int
		full  bool
	}{{QuirkNone, 16, true}, {QuirkLIO, 16, false}, {QuirkLIO, 8, false}, {QuirkLIO, 4096, true}} {
		lu := NewLU(WithQuirks(tc.q))
		tr := lu.Connect("iqn.test:a")
		prOut(t, tr, 0x06, 0, 0, 0xA)
		full := binary.BigEndian.Uint32(run(t, tr, prInCmd(3, 4096)).DataIn[4:8])
		r := run(t, tr, prInCmd(3, tc.alloc))
		got := binary.BigEndian.Uint32(r.DataIn[4:8])
		want := uint32(0)
		if tc.full {
			want = full
		}
		if full == 0 || got != want {
			t.Errorf("quirks %#x alloc %d: ADDITIONAL LENGTH %d, want %d (full %d)", tc.q, tc.alloc, got, want, full)
		}
	}
}

// TestLIOFullStatusTransfersCountedDescriptors: LIO sends no partial
// descriptor: with allocation 16 only the 8-byte header arrives.
func TestLIOFullStatusTransfersCountedDescriptors(t *testing.T) {
	tr := NewLU(WithQuirks(QuirkLIO)).Connect("iqn.test:a")
	prOut(t, tr, 0x06, 0, 0, 0xA)
	r := run(t, tr, prInCmd(3, 16))
	if n := len(r.DataIn) - r.Resid; n != 8 {
		t.Errorf("READ FULL STATUS alloc 16 transferred %d bytes, want 8", n)
	}
}
