package nvme

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// Native fuzz tests for every parser. Common invariants: no panic; inputs
// are capped so a read past len panics; decoded values agree with the bytes.

func capped(b []byte) []byte { return b[:len(b):len(b)] }

func FuzzParseReport(f *testing.F) {
	f.Add(reportSample(7, WERO, true, Registrant{1, true, keyHost, hostA}, Registrant{0xffff, false, keyVictim, hostB}))
	f.Add(reportSample(0, TypeNone, false))
	f.Add(reportSample(3, WEAR, false, Registrant{Holder: true, Key: 1}, Registrant{Holder: true})[:100])
	f.Add([]byte{1, 0, 0, 0, 9})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseReport(capped(data))
		if err != nil {
			if r != nil || !errors.Is(err, pr.ErrMalformed) {
				t.Fatalf("report %v with error %v", r, err)
			}
			return
		}
		if len(data) < ReportHeaderLen {
			t.Fatal("accepted a short header")
		}
		if r.Generation != binary.LittleEndian.Uint32(data) || byte(r.Type) != data[4] ||
			r.NumRegistered != int(binary.LittleEndian.Uint16(data[5:])) || r.PTPLS != (data[9]&1 == 1) {
			t.Fatal("header fields disagree with the bytes")
		}
		if r.Type != TypeNone && !r.Type.Valid() {
			t.Fatal("reserved RTYPE accepted")
		}
		fit := (len(data) - ReportHeaderLen) / RegistrantExtLen
		if len(r.Registrants) != min(fit, r.NumRegistered) || r.Partial != (r.NumRegistered > fit) {
			t.Fatalf("%d registrants, partial %v, for %d bytes and REGCTL %d", len(r.Registrants), r.Partial, len(data), r.NumRegistered)
		}
		for i, g := range r.Registrants {
			e := data[ReportHeaderLen+i*RegistrantExtLen:]
			if uint64(g.Key) != binary.LittleEndian.Uint64(e[8:]) || g.Holder != (e[2]&1 == 1) ||
				!bytes.Equal(g.HostID[:], e[16:32]) || g.ControllerID != binary.LittleEndian.Uint16(e) {
				t.Fatalf("registrant %d disagrees with the bytes", i)
			}
			if g.Holder && r.Type == TypeNone {
				t.Fatal("holder without a reservation")
			}
		}
		// Bytes after the last complete entry never change the result.
		tail := append(bytes.Clone(data[:ReportHeaderLen+len(r.Registrants)*RegistrantExtLen]), 0xA5)
		if r.Partial {
			return
		}
		r2, err := ParseReport(tail)
		if err != nil || len(r2.Registrants) != len(r.Registrants) || r2.Generation != r.Generation {
			t.Fatalf("a trailing byte changed the result: %v", err)
		}
	})
}

func FuzzParseIdentifyController(f *testing.F) {
	f.Add(identifySample(true))
	f.Add(identifySample(true)[:1024])
	f.Add(make([]byte, 1023))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseIdentifyController(capped(data))
		if err != nil {
			if len(data) >= identifyControllerMin {
				t.Fatalf("rejected %d bytes: %v", len(data), err)
			}
			return
		}
		if len(data) < identifyControllerMin {
			t.Fatal("accepted short data")
		}
		if c.ONCS != binary.LittleEndian.Uint16(data[520:]) || c.ControllerID != binary.LittleEndian.Uint16(data[78:]) {
			t.Fatal("ONCS or CNTLID disagree with the bytes")
		}
		if len(c.Serial) > 20 || len(c.Model) > 40 || len(c.Firmware) > 8 || len(c.SubsystemNQN) > 256 {
			t.Fatal("a text field grew past its bytes")
		}
	})
}

func FuzzParseIdentifyNamespace(f *testing.F) {
	f.Add(identifySample(false))
	f.Add(identifySample(false)[:128])
	f.Fuzz(func(t *testing.T, data []byte) {
		ns, err := ParseIdentifyNamespace(capped(data))
		if err != nil {
			if len(data) >= identifyNamespaceMin {
				t.Fatalf("rejected %d bytes: %v", len(data), err)
			}
			return
		}
		if ns.RESCAP != data[31] || ns.NMIC != data[30] || !bytes.Equal(ns.NGUID[:], data[104:120]) {
			t.Fatal("fields disagree with the bytes")
		}
		caps := &Capabilities{Reservations: true, RESCAP: ns.RESCAP}
		for typ := WE; typ <= EAAR; typ++ {
			if caps.Supports(typ) != (data[31]>>typ&1 == 1) {
				t.Fatalf("Supports(%v) disagrees with RESCAP %#x", typ, data[31])
			}
		}
	})
}

// FuzzStatus decodes any ioctl return value and classifies it.
func FuzzStatus(f *testing.F) {
	for _, v := range []uint64{0, 0x4083, 0x83, 0x2, 0x4001, 0x303, 0x1b03, 0x370, 0x7fff, 0x8000, 1 << 40} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v uint64) {
		s, err := StatusFromIoctl(uintptr(v))
		if err != nil {
			if uintptr(v) <= 0x7FFF {
				t.Fatalf("%#x rejected", v)
			}
			return
		}
		if uintptr(v) > 0x7FFF || uint64(s) != v {
			t.Fatalf("%#x accepted as %#x", v, uint16(s))
		}
		if Status(s.SC())|Status(s.SCT())<<8 != s.Code() || s.DNR() != (v&0x4000 != 0) {
			t.Fatal("fields do not recompose the status")
		}
		class := ClassifyStatus(s)
		if (class == nil) != s.OK() || class == pr.ErrReservationConflict && s.Code() != StatusReservationConflict {
			t.Fatalf("%v classified as %v", s, class)
		}
		if s.String() == "" {
			t.Fatal("empty name")
		}
		e := &Error{Op: "register", Status: s, Completed: true, Class: class}
		if class != nil && (e.Error() == "" || retryKindOf(e) != retryNever && s.DNR()) {
			t.Fatalf("%v: a DNR status would be retried", s)
		}
	})
}

func FuzzParseHostID(f *testing.F) {
	f.Add(hostA[:])
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ParseHostID(capped(data))
		if (err != nil) != (len(data) < 16) {
			t.Fatalf("%d bytes: %v", len(data), err)
		}
		if err == nil && !bytes.Equal(h[:], data[:16]) {
			t.Fatal("host ID disagrees with the bytes")
		}
	})
}
