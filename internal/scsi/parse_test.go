package scsi

import (
	"context"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
)

func TestParseSense(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *Sense // nil = malformed
	}{
		{"fixed UA 2A/05", "70 00 06 00 00 00 00 0a 00 00 00 00 2a 05 00 00 00 00",
			&Sense{ResponseCode: 0x70, Key: 6, ASC: 0x2A, ASCQ: 0x05}},
		{"fixed ILLEGAL REQUEST with field pointer and info", "f0 00 05 00 00 01 02 0a 00 00 00 00 24 00 00 c0 00 02",
			&Sense{ResponseCode: 0x70, Key: 5, ASC: 0x24, InfoValid: true, Info: 0x102, SKSV: true, CommandData: true, FieldPointer: 2}},
		{"fixed, ADDITIONAL SENSE LENGTH hides ASC", "70 00 02 00 00 00 00 04 00 00 00 00 04 01 00 00 00 00",
			&Sense{ResponseCode: 0x70, Key: 2}},
		{"fixed, only 3 bytes", "71 00 0b", &Sense{ResponseCode: 0x71, Key: 0xB, Deferred: true}},
		{"fixed, 2 bytes", "70 00", nil},
		{"descriptor UA 29/07", "72 06 29 07 00 00 00 00", &Sense{ResponseCode: 0x72, Key: 6, ASC: 0x29, ASCQ: 0x07}},
		{"descriptor with SKS and information", "73 05 26 00 00 00 00 14 02 06 00 00 80 00 05 00 00 0a 80 00 00 00 00 00 00 00 00 2a",
			&Sense{ResponseCode: 0x73, Key: 5, ASC: 0x26, Deferred: true, SKSV: true, FieldPointer: 5, InfoValid: true, Info: 0x2a}},
		{"descriptor, truncated descriptor ignored", "72 05 24 00 00 00 00 08 02 06 00 00 80", &Sense{ResponseCode: 0x72, Key: 5, ASC: 0x24}},
		{"descriptor, 3 bytes", "72 05 24", nil},
		{"vendor response code", "7f 00 05 00 00 00 00 0a", nil},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSense(unhex(t, tt.in))
			if tt.want == nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("got %+v, %v; want malformed", got, err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, %v\nwant %+v", got, err, tt.want)
			}
		})
	}
}

func TestParseReadReservation(t *testing.T) {
	held := "00 00 00 07 00 00 00 10 00 00 00 00 a1 b2 00 01 00 00 00 00 00 05 00 00"
	tests := []struct {
		name  string
		in    string
		alloc int
		want  *Reservation
	}{
		{"none", "00 00 00 03 00 00 00 00", 24, &Reservation{Generation: 3}},
		{"WE-RO held", held, 24, &Reservation{Generation: 7, Present: true, Key: keyHost, Type: TypeWriteExclusiveRegistrantsOnly}},
		{"22 bytes suffice", held[:len(held)-6], 24, &Reservation{Generation: 7, Present: true, Key: keyHost, Type: TypeWriteExclusiveRegistrantsOnly}},
		{"21 bytes are too few", held[:len(held)-9], 24, nil},
		{"allocation bounds the data", held, 21, nil},
		{"additional length 8", "00 00 00 01 00 00 00 08 00 00 00 00 a1 b2 00 01", 24, nil},
		{"7 bytes", "00 00 00 01 00 00 00", 24, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseReadReservation(unhex(t, tt.in), tt.alloc)
			if tt.want == nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("got %+v, %v; want malformed", got, err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, %v\nwant %+v", got, err, tt.want)
			}
		})
	}
}

func TestParseReportCapabilities(t *testing.T) {
	lio, err := ParseReportCapabilities(unhex(t, "00 08 1d 91 ea 01 00 00"), 8)
	if err != nil {
		t.Fatal(err)
	}
	want := &Capabilities{CRH: true, SIPC: true, ATPC: true, PTPLC: true, TMV: true, AllowCommands: 1, PTPLA: true, TypeMask: 0xEA01}
	if !reflect.DeepEqual(lio, want) {
		t.Errorf("LIO: got %+v\nwant %+v", lio, want)
	}
	for _, typ := range []ReservationType{1, 3, 5, 6, 7, 8} {
		if !lio.Supports(typ) {
			t.Errorf("LIO mask should advertise %v", typ)
		}
	}
	tgt, err := ParseReportCapabilities(unhex(t, "00 08 00 80 20 00 00 00"), 8)
	if err != nil || tgt.PTPLC || tgt.ATPC || !tgt.Supports(TypeWriteExclusiveRegistrantsOnly) || tgt.Supports(TypeExclusiveAccess) {
		t.Errorf("tgt-like: %+v %v", tgt, err)
	}
	for _, bad := range []string{"00 10 00 00 00 00 00 00", "00 08 00 00 00"} {
		if _, err := ParseReportCapabilities(unhex(t, bad), 8); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want malformed", bad, err)
		}
	}
}

func TestParseReadFullStatus(t *testing.T) {
	iscsi := append([]byte{0x05, 0, 0, 20}, []byte("iqn.2026-01.test:a\x00\x00")...)
	full := fullStatusSample(4, iscsi, make([]byte, 24))
	fs, err := ParseReadFullStatus(full, 8192)
	if err != nil || len(fs.Descriptors) != 2 || fs.Partial || fs.Generation != 4 {
		t.Fatalf("got %+v, %v", fs, err)
	}
	d := fs.Descriptors[0]
	if d.Key != keyHost || !d.ReservationHolder || d.AllTgPt || d.Type != 5 || d.RelativeTargetPortID != 1 || string(d.TransportID) != string(iscsi) {
		t.Errorf("descriptor 0: %+v", d)
	}
	// Cut by the allocation: first descriptor whole, Partial set.
	fs, err = ParseReadFullStatus(full[:60], 60)
	if err != nil || len(fs.Descriptors) != 1 || !fs.Partial {
		t.Errorf("cut by alloc: %+v, %v", fs, err)
	}
	// Cut by the transfer: malformed.
	if _, err := ParseReadFullStatus(full[:60], 8192); !errors.Is(err, ErrMalformed) {
		t.Errorf("short transfer: %v", err)
	}
	// A descriptor that overruns ADDITIONAL LENGTH: malformed.
	bad := append([]byte(nil), full...)
	binary.BigEndian.PutUint32(bad[8+20:], 200)
	if _, err := ParseReadFullStatus(bad, 8192); !errors.Is(err, ErrMalformed) {
		t.Errorf("overrun: %v", err)
	}
}

func TestParseInquiry(t *testing.T) {
	std := append(unhex(t, "00 00 06 02 1f 10 00 00"), []byte("LIO-ORG block0          4.0 ")...)
	inq, err := ParseInquiry(std)
	want := &InquiryData{Version: 6, Vendor: "LIO-ORG", Product: "block0", Revision: "4.0"}
	if err != nil || !reflect.DeepEqual(inq, want) {
		t.Errorf("got %+v, %v", inq, err)
	}
	if inq, err := ParseInquiry(std[:20]); err != nil || inq.Vendor != "LIO-ORG" || inq.Product != "bloc" {
		t.Errorf("short data: %+v, %v", inq, err)
	}
	for _, bad := range []string{"00 00 06 02", "7f 00 00 00 00"} {
		if _, err := ParseInquiry(unhex(t, bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want malformed", bad, err)
		}
	}
}

func TestParseVPD(t *testing.T) {
	naa := unhex(t, "01 03 00 10 60 01 40 5a 01 02 03 04 05 06 07 08 09 0a 0b 0c")
	port := unhex(t, "61 94 00 04 00 00 00 01")
	ds, err := ParseDeviceIdentification(vpd83Sample(naa, port))
	if err != nil || len(ds) != 2 {
		t.Fatalf("got %+v, %v", ds, err)
	}
	if d := ds[0]; d.Type != 3 || d.Association != 0 || d.CodeSet != 1 || len(d.Value) != 16 || d.Value[0] != 0x60 {
		t.Errorf("NAA designator %+v", d)
	}
	if d := ds[1]; d.Type != 4 || d.Association != 1 || !d.PIV || d.ProtocolID != 6 {
		t.Errorf("port designator %+v", d)
	}
	if _, err := ParseDeviceIdentification(vpd83Sample(naa, unhex(t, "01 03 00 20 01"))); !errors.Is(err, ErrMalformed) {
		t.Errorf("overrun designator: %v", err)
	}
	if _, err := ParseDeviceIdentification(unhex(t, "00 80 00 00")); !errors.Is(err, ErrMalformed) {
		t.Errorf("wrong page code: %v", err)
	}
	if sn, err := ParseUnitSerialNumber(unhex(t, "00 80 00 08 20 53 4e 31 32 33 20 20")); err != nil || sn != "SN123" {
		t.Errorf("serial %q, %v", sn, err)
	}
	if pages, err := ParseSupportedVPDPages(unhex(t, "00 00 00 03 00 80 83")); err != nil || string(pages) != "\x00\x80\x83" {
		t.Errorf("pages % x, %v", pages, err)
	}
}

// TestInquiryVPDLongPage: a page longer than 252 bytes is read once more in full.
func TestInquiryVPDLongPage(t *testing.T) {
	var ds [][]byte
	for i := range 20 {
		ds = append(ds, []byte{0x01, 0x03, 0, 12, byte(i), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	}
	page := vpd83Sample(ds...) // 4 + 320 bytes
	f := &fakeTransport{respond: func(_ int, cmd *Command) (*Result, error) { return reply(cmd, page), nil }}
	got, err := newTestDevice(f, nil).InquiryVPD(context.Background(), VPDDeviceIdentification)
	if err != nil || len(got) != len(page) {
		t.Fatalf("got %d bytes, %v", len(got), err)
	}
	if f.n() != 2 || f.calls[1].dataInLen != len(page) || binary.BigEndian.Uint16(f.calls[1].cdb[3:5]) != uint16(len(page)) {
		t.Errorf("re-read: %d calls, second alloc %d", f.n(), f.calls[len(f.calls)-1].dataInLen)
	}
}
