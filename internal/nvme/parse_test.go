package nvme

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// hostA and hostB are two 128-bit host identifiers.
var (
	hostA = HostID{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01}
	hostB = HostID{0xb0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
)

// reportSample builds a Reservation Status extended data structure by
// hand: header (GEN, RTYPE, REGCTL, PTPLS) and one 64-byte entry per registrant.
func reportSample(gen uint32, rtype ReservationType, ptpls bool, regs ...Registrant) []byte {
	b := make([]byte, ReportHeaderLen, ReportHeaderLen+len(regs)*RegistrantExtLen)
	binary.LittleEndian.PutUint32(b[0:], gen)
	b[4] = byte(rtype)
	binary.LittleEndian.PutUint16(b[5:], uint16(len(regs)))
	if ptpls {
		b[9] = 1
	}
	for _, g := range regs {
		e := make([]byte, RegistrantExtLen)
		binary.LittleEndian.PutUint16(e[0:], g.ControllerID)
		if g.Holder {
			e[2] = 1
		}
		binary.LittleEndian.PutUint64(e[8:], uint64(g.Key))
		copy(e[16:32], g.HostID[:])
		b = append(b, e...)
	}
	return b
}

func TestParseReport(t *testing.T) {
	// Hand-written bytes: GEN 7, RTYPE 3 (WE-RO), REGCTL 2, PTPLS 1; entry 0
	// CNTLID 1, holder, key a1b20001, host A; entry 1 CNTLID 0xffff, key a1b20002, host B.
	data := make([]byte, 64+128)
	copy(data, []byte{7, 0, 0, 0, 3, 2, 0, 0, 0, 1})
	copy(data[64:], []byte{1, 0, 1, 0, 0, 0, 0, 0, 0x01, 0x00, 0xb2, 0xa1, 0, 0, 0, 0})
	copy(data[64+16:], hostA[:])
	copy(data[128:], []byte{0xff, 0xff, 0, 0, 0, 0, 0, 0, 0x02, 0x00, 0xb2, 0xa1, 0, 0, 0, 0})
	copy(data[128+16:], hostB[:])
	r, err := ParseReport(data)
	if err != nil {
		t.Fatal(err)
	}
	if r.Generation != 7 || r.Type != WERO || !r.PTPLS || r.NumRegistered != 2 || r.Partial || len(r.Registrants) != 2 {
		t.Fatalf("header decoded as %+v", r)
	}
	want := []Registrant{{1, true, keyHost, hostA}, {0xffff, false, keyVictim, hostB}}
	for i, g := range r.Registrants {
		if g != want[i] {
			t.Errorf("registrant %d = %+v, want %+v", i, g, want[i])
		}
	}
	if h := r.Holder(); h == nil || h.Key != keyHost || !r.Contains(keyVictim) || r.Contains(keyNew) {
		t.Errorf("holder/contains wrong: %+v", r)
	}
	if got := reportSample(7, WERO, true, want...); string(got) != string(data) {
		t.Errorf("reportSample disagrees with the hand-written bytes")
	}
}

func TestParseReportPartialAndMalformed(t *testing.T) {
	full := reportSample(1, TypeNone, false, Registrant{Key: 1}, Registrant{Key: 2}, Registrant{Key: 3})
	r, err := ParseReport(full[:64+64+10]) // room for one entry and a fragment
	if err != nil || !r.Partial || r.NumRegistered != 3 || len(r.Registrants) != 1 || r.Registrants[0].Key != 1 {
		t.Fatalf("partial report: %+v, %v", r, err)
	}
	bad := map[string][]byte{
		"short header":        full[:63],
		"reserved rtype":      func() []byte { b := reportSample(1, 7, false); return b }(),
		"holder without type": reportSample(1, TypeNone, false, Registrant{Holder: true}),
	}
	for name, b := range bad {
		if _, err := ParseReport(b); !errors.Is(err, pr.ErrMalformed) {
			t.Errorf("%s: err = %v, want pr.ErrMalformed", name, err)
		}
	}
}

// identifySample builds Identify Controller (ctrl) or Namespace data by hand.
func identifySample(ctrl bool) []byte {
	b := make([]byte, IdentifyLen)
	if ctrl {
		binary.LittleEndian.PutUint16(b[0:], 0x1b36) // VID
		copy(b[4:24], "SER123              ")
		copy(b[24:64], "FENCESIM NVMe")
		copy(b[64:72], "1.0     ")
		binary.LittleEndian.PutUint16(b[78:], 7)          // CNTLID
		binary.LittleEndian.PutUint32(b[80:], 0x00020000) // VER 2.0
		binary.LittleEndian.PutUint16(b[520:], 0x0020|0x0004)
		copy(b[768:], "nqn.2014-08.org.nvmexpress:fencesim")
		return b
	}
	binary.LittleEndian.PutUint64(b[0:], 2048)
	b[30] = 1    // NMIC: shared
	b[31] = 0x89 // RESCAP: PTPL, WE-RO (bit 3), IEKEY
	copy(b[104:120], hostA[:])
	copy(b[120:128], []byte{1, 2, 3, 4, 5, 6, 7, 8})
	return b
}

func TestParseIdentify(t *testing.T) {
	c, err := ParseIdentifyController(identifySample(true))
	if err != nil {
		t.Fatal(err)
	}
	if c.VendorID != 0x1b36 || c.Serial != "SER123" || c.Model != "FENCESIM NVMe" || c.Firmware != "1.0" ||
		c.ControllerID != 7 || c.Version != 0x20000 || c.ONCS != 0x24 || c.SubsystemNQN != "nqn.2014-08.org.nvmexpress:fencesim" {
		t.Errorf("identify controller: %+v", c)
	}
	ns, err := ParseIdentifyNamespace(identifySample(false))
	if err != nil {
		t.Fatal(err)
	}
	if ns.Size != 2048 || ns.NMIC != 1 || ns.RESCAP != 0x89 || ns.NGUID != hostA || ns.EUI64 != [8]byte{1, 2, 3, 4, 5, 6, 7, 8} {
		t.Errorf("identify namespace: %+v", ns)
	}
	caps := &Capabilities{Reservations: c.ONCS&ONCSReservations != 0, RESCAP: ns.RESCAP}
	for typ := WE; typ <= EAAR; typ++ {
		if got := caps.Supports(typ); got != (typ == WERO) {
			t.Errorf("Supports(%v) = %v", typ, got)
		}
	}
	if !caps.PTPL() || !caps.IEKEY() {
		t.Errorf("PTPL/IEKEY bits not decoded")
	}
	if _, err := ParseIdentifyController(make([]byte, 1023)); !errors.Is(err, pr.ErrMalformed) {
		t.Errorf("short identify controller accepted: %v", err)
	}
	if _, err := ParseIdentifyNamespace(make([]byte, 127)); !errors.Is(err, pr.ErrMalformed) {
		t.Errorf("short identify namespace accepted: %v", err)
	}
}

func TestTypesAndSCSIMapping(t *testing.T) {
	want := map[ReservationType]uint8{WE: 1, EA: 3, WERO: 5, EARO: 6, WEAR: 7, EAAR: 8}
	for typ, code := range want {
		if typ.SCSIType() != code {
			t.Errorf("%v.SCSIType() = %d, want %d", typ, typ.SCSIType(), code)
		}
		if back, ok := FromSCSIType(code); !ok || back != typ {
			t.Errorf("FromSCSIType(%d) = %v, %v", code, back, ok)
		}
	}
	for _, code := range []uint8{0, 2, 4, 9, 255} {
		if _, ok := FromSCSIType(code); ok {
			t.Errorf("FromSCSIType(%d) accepted", code)
		}
	}
	if TypeNone.SCSIType() != 0 || ReservationType(7).SCSIType() != 0 || WERO.String() != "WE-RO" {
		t.Error("invalid types or names")
	}
}

func TestStatusDecoding(t *testing.T) {
	s, err := StatusFromIoctl(0x4083) // DNR | SCT 0 | SC 83h
	if err != nil || s.SCT() != 0 || s.SC() != 0x83 || !s.DNR() || s.Code() != StatusReservationConflict {
		t.Fatalf("0x4083 decoded as %v (%v)", s, err)
	}
	if got := s.String(); got != "reservation conflict (sct 0x0 sc 0x83, dnr)" {
		t.Errorf("String() = %q", got)
	}
	if s := Status(0x1B03); s.SCT() != 3 || s.CRD() != 3 || s.Code() != StatusANATransition {
		t.Errorf("0x1b03: sct %d crd %d", s.SCT(), s.CRD())
	}
	if _, err := StatusFromIoctl(0x8000); err == nil {
		t.Error("a status wider than 15 bits was accepted")
	}
	classes := map[Status]error{
		0x000: nil, 0x083: pr.ErrReservationConflict, 0x001: ErrNotSupported, 0x002: ErrInvalidField,
		0x018: ErrHostID, 0x082: pr.ErrNotReady, 0x021: pr.ErrBusy, 0x01B: ErrPreempted, 0x007: pr.ErrAborted,
		0x022: pr.ErrTransport, 0x370: pr.ErrTransport, 0x371: pr.ErrAborted, 0x303: pr.ErrNotReady, 0x00C: pr.ErrDevice,
		0x181: pr.ErrDevice, 0x281: pr.ErrDevice,
	}
	for st, want := range classes {
		if got := ClassifyStatus(st | StatusDNR); got != want {
			t.Errorf("ClassifyStatus(%#x) = %v, want %v", st, got, want)
		}
	}
	e := &Error{Op: "preempt", Device: "/dev/nvme0n1", Status: 0x4083, Completed: true, Class: pr.ErrReservationConflict}
	if e.Error() != "preempt /dev/nvme0n1: reservation conflict" {
		t.Errorf("Error() = %q", e.Error())
	}
	e = &Error{Op: "register", Device: "/dev/nvme0n1", Status: 0xC, Completed: true, Class: pr.ErrDevice, Detail: statusDetail(0xC)}
	if !strings.Contains(e.Error(), "Host Identifier") {
		t.Errorf("command sequence error lacks the host identifier hint: %q", e.Error())
	}
}
