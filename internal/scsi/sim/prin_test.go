package sim

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

func TestReadKeysAllocation(t *testing.T) {
	for _, tc := range []struct {
		name        string
		quirks      Quirks
		alloc       int
		want        string
		transferred int
		addLen      uint32
	}{
		{"full", QuirkNone, 8192, "GOOD", 8 + 24, 24},
		{"header only", QuirkNone, 8, "GOOD", 8, 24},                   // libiscsi PrinReadKeys.Truncate
		{"half a key", QuirkNone, 12, "GOOD", 12, 24},                  // not cut to whole keys
		{"zero", QuirkNone, 0, "GOOD", 0, 0},                           // SPC-4 4.2.5.6
		{"zero LIO", QuirkLIO, 0, "CC 5/24/00", 0, 0},                  // docs/pr-notes.md, target deviations
		{"old LIO", QuirkTruncatedAdditionalLength, 20, "GOOD", 20, 8}, // one whole key fits
	} {
		t.Run(tc.name, func(t *testing.T) {
			lu := NewLU(WithQuirks(tc.quirks))
			for i, n := range []string{"a", "b", "c"} {
				prOut(t, lu.Connect(n), regIgn, 0, 0, uint64(i+1))
			}
			r := run(t, lu.Connect("a"), prInCmd(0, tc.alloc))
			if got := outcome(r); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
			if tc.want != "GOOD" {
				return
			}
			if got := len(r.DataIn) - r.Resid; got != tc.transferred {
				t.Errorf("transferred %d, want %d", got, tc.transferred)
			}
			if tc.transferred >= 8 {
				if got := binary.BigEndian.Uint32(r.DataIn[4:8]); got != tc.addLen {
					t.Errorf("ADDITIONAL LENGTH %d, want %d", got, tc.addLen)
				}
			}
		})
	}
}

func TestPRInServiceActions(t *testing.T) {
	for _, q := range []Quirks{QuirkNone, QuirkLIO, QuirkTGT} {
		lu := NewLU(WithQuirks(q))
		tr := lu.Connect("a")
		for sa := byte(0); sa < 0x20; sa++ {
			want := "GOOD"
			if sa > 3 || (sa == 3 && q.Has(QuirkNoReadFullStatus)) {
				want = "CC 5/24/00"
			}
			if got := outcome(run(t, tr, prInCmd(sa, 16384))); got != want {
				t.Errorf("quirks %#x SA %#x: got %s, want %s", q, sa, got, want)
			}
		}
		// Reserved CDB byte: builders must leave bytes 2–6 zero.
		cmd := prInCmd(0, 64)
		cmd.CDB[4] = 1
		if got := outcome(run(t, tr, cmd)); got != "CC 5/24/00" {
			t.Errorf("reserved byte set: %s", got)
		}
	}
}

func TestReadReservationAndCapabilities(t *testing.T) {
	lu := NewLU()
	a := lu.Connect("a")
	prOut(t, a, regIgn, 0, 0, 0xa1b20001)
	prOut(t, a, reserve, 5, 0xa1b20001, 0)
	r := run(t, a, prInCmd(1, 24))
	want := []byte{0, 0, 0, 1, 0, 0, 0, 0x10, 0, 0, 0, 0, 0xa1, 0xb2, 0, 1, 0, 0, 0, 0, 0, 0x05, 0, 0}
	if !bytes.Equal(r.DataIn, want) || r.Resid != 0 {
		t.Errorf("READ RESERVATION % x resid %d, want % x", r.DataIn, r.Resid, want)
	}
	for q, caps := range map[Quirks][]byte{
		QuirkNone: {0, 8, 0x05, 0x90, 0xea, 0x01, 0, 0},
		QuirkLIO:  {0, 8, 0x1d, 0x90, 0xea, 0x01, 0, 0},
		QuirkTGT:  {0, 8, 0x00, 0x80, 0xea, 0x01, 0, 0},
	} {
		r := run(t, NewLU(WithQuirks(q)).Connect("a"), prInCmd(2, 8))
		if !bytes.Equal(r.DataIn, caps) {
			t.Errorf("quirks %#x REPORT CAPABILITIES % x, want % x", q, r.DataIn, caps)
		}
	}
}

func TestReadFullStatus(t *testing.T) {
	lu := NewLU()
	a := lu.Connect("iqn.2026-01.test:node1")
	run(t, a, prOutCmd(regIgn, 0, 0, 7, flagAllTgPt))
	prOut(t, a, reserve, 5, 7, 0)
	r := run(t, a, prInCmd(3, 1024))
	d := r.DataIn[:len(r.DataIn)-r.Resid]
	name := "iqn.2026-01.test:node1"
	tidLen := 4 + (len(name)+1+3)&^3
	if got := binary.BigEndian.Uint32(d[4:8]); int(got) != 24+tidLen || len(d) != 8+24+tidLen {
		t.Fatalf("ADDITIONAL LENGTH %d, transferred %d, TransportID %d", got, len(d), tidLen)
	}
	desc := d[8:]
	if binary.BigEndian.Uint64(desc[0:8]) != 7 || desc[12] != 0x03 || desc[13] != 0x05 || binary.BigEndian.Uint32(desc[20:24]) != uint32(tidLen) {
		t.Errorf("descriptor % x", desc[:24])
	}
	tid := desc[24:]
	if tid[0] != 0x05 || int(binary.BigEndian.Uint16(tid[2:4])) != tidLen-4 || string(tid[4:4+len(name)]) != name || tid[4+len(name)] != 0 {
		t.Errorf("TransportID % x", tid)
	}
}

func TestInquiry(t *testing.T) {
	tr := NewLU(WithSerial("abc123")).Connect("a")
	inq := func(evpd, page byte, alloc int) *scsi.Result {
		return run(t, tr, &scsi.Command{CDB: []byte{0x12, evpd, page, byte(alloc >> 8), byte(alloc), 0}, Direction: scsi.DirFromDevice, DataInLen: alloc})
	}
	std := inq(0, 0, 36)
	if std.Resid != 0 || std.DataIn[0] != 0 || std.DataIn[2] != 6 || std.DataIn[4] != 31 || string(std.DataIn[8:16]) != "FENCESIM" {
		t.Errorf("standard INQUIRY % x", std.DataIn)
	}
	if got := inq(1, 0x80, 252); string(got.DataIn[4:10]) != "abc123" || got.Resid != 252-10 {
		t.Errorf("VPD 0x80 % x resid %d", got.DataIn[:12], got.Resid)
	}
	if got := inq(1, 0x00, 252); !bytes.Equal(got.DataIn[:7], []byte{0, 0, 0, 3, 0, 0x80, 0x83}) {
		t.Errorf("VPD 0x00 % x", got.DataIn[:7])
	}
	id := inq(1, 0x83, 252).DataIn
	if id[4] != 0x01 || id[5] != 0x03 || id[7] != 16 || id[8]>>4 != 6 {
		t.Errorf("VPD 0x83 first designator % x", id[4:24])
	}
	other := NewLU(WithSerial("abc123")).Connect("b")
	r := run(t, other, &scsi.Command{CDB: []byte{0x12, 1, 0x83, 0, 252, 0}, Direction: scsi.DirFromDevice, DataInLen: 252})
	if !bytes.Equal(r.DataIn[4:24], id[4:24]) {
		t.Error("same serial must give the same NAA designator")
	}
	for _, bad := range [][2]byte{{0, 0x80}, {1, 0x81}, {2, 0}} {
		if got := outcome(inq(bad[0], bad[1], 36)); got != "CC 5/24/00" {
			t.Errorf("INQUIRY evpd=%d page=%#x: %s", bad[0], bad[1], got)
		}
	}
}
