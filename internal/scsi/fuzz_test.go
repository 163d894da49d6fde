package scsi

import (
	"bytes"
	"context"
	"encoding/binary"
	"reflect"
	"testing"
)

// Native fuzz tests for every parser (docs/pr-notes.md, "Short data"). Common invariants: no
// panic; only valid bytes are read (inputs are capped so any read past
// len panics, and bytes past the allocation length never change the
// result); decoded values agree with the input bytes.

// capped returns b with cap == len, so reading past the end panics even via reslicing.
func capped(b []byte) []byte { return b[:len(b):len(b)] }

// withTail returns b followed by garbage bytes.
func withTail(b []byte) []byte { return append(bytes.Clone(b), 0xA5, 0x5A, 0xFF, 0x00, 0x13) }

func FuzzParseSense(f *testing.F) {
	f.Add(fixedSense(SenseUnitAttention, 0x2A, 0x05))
	f.Add(fixedSense(SenseIllegalRequest, 0x20, 0x00))
	f.Add([]byte{0xF0, 0, 0x05, 0, 0, 0, 0x10, 0x0A, 0, 0, 0, 0, 0x24, 0, 0, 0xC0, 0x00, 0x02})
	f.Add([]byte{0x72, 0x06, 0x29, 0x07, 0, 0, 0, 0})
	f.Add([]byte{0x72, 0x05, 0x24, 0x00, 0, 0, 0, 0x14, 0x02, 0x06, 0, 0, 0xC0, 0x00, 0x01, 0,
		0x00, 0x0A, 0x80, 0, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte{0x71, 0, 0x02})
	f.Add([]byte{0x7F})
	f.Add([]byte("p00000000")) // found by fuzzing: ADDITIONAL SENSE LENGTH beyond the valid bytes
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSense(capped(b))
		if err != nil {
			if s != nil {
				t.Fatal("sense and error both returned")
			}
			return
		}
		rc := b[0] & 0x7F
		if s.ResponseCode != rc || rc < 0x70 || rc > 0x73 {
			t.Fatalf("response code %#x from byte %#x", s.ResponseCode, b[0])
		}
		if s.Deferred != (rc == 0x71 || rc == 0x73) {
			t.Fatal("deferred flag wrong")
		}
		valid := len(b)
		if valid >= 8 {
			valid = min(valid, 8+int(b[7]))
		}
		switch rc {
		case 0x70, 0x71:
			if s.Key != b[2]&0x0F {
				t.Fatal("fixed sense key")
			}
			if valid < 14 && (s.ASC != 0 || s.ASCQ != 0) {
				t.Fatal("ASC/ASCQ decoded from beyond the valid bytes")
			}
			if valid >= 14 && (s.ASC != b[12] || s.ASCQ != b[13]) {
				t.Fatal("fixed ASC/ASCQ")
			}
		case 0x72, 0x73:
			if s.Key != b[1]&0x0F || s.ASC != b[2] || s.ASCQ != b[3] {
				t.Fatal("descriptor key/ASC/ASCQ")
			}
		}
		// Bytes beyond the ADDITIONAL SENSE LENGTH never matter.
		if len(b) >= 8 && len(b) == 8+int(b[7]) {
			s2, err := ParseSense(withTail(b))
			if err != nil || !reflect.DeepEqual(s, s2) {
				t.Fatalf("trailing bytes changed the result: %+v vs %+v (%v)", s, s2, err)
			}
		}
	})
}

// prInSeeds adds READ KEYS / FULL STATUS shaped inputs.
func readKeysSample(gen uint32, keys ...Key) []byte {
	b := binary.BigEndian.AppendUint32(nil, gen)
	b = binary.BigEndian.AppendUint32(b, uint32(8*len(keys)))
	for _, k := range keys {
		b = binary.BigEndian.AppendUint64(b, uint64(k))
	}
	return b
}

func FuzzParseReadKeys(f *testing.F) {
	f.Add(readKeysSample(7, keyHost, keyVictim, keyHost), 8192)
	f.Add(readKeysSample(1, keyHost), 8) // libiscsi Truncate
	f.Add(readKeysSample(0), 8192)
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 0x0C, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 8192)
	f.Add([]byte{0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3}, 11)
	f.Add([]byte{0, 0, 0}, 3)
	f.Fuzz(func(t *testing.T, data []byte, alloc int) {
		kl, err := ParseReadKeys(capped(data), alloc)
		valid := min(len(data), max(alloc, 0))
		if err != nil {
			return
		}
		if valid < 8 {
			t.Fatal("accepted fewer than 8 bytes")
		}
		if kl.Generation != binary.BigEndian.Uint32(data[0:4]) {
			t.Fatal("generation")
		}
		addlen := int64(binary.BigEndian.Uint32(data[4:8]))
		if want := min(addlen, int64(valid-8)) / 8; int64(len(kl.Keys)) != want {
			t.Fatalf("%d keys, want %d", len(kl.Keys), want)
		}
		for i, k := range kl.Keys {
			if uint64(k) != binary.BigEndian.Uint64(data[8+8*i:]) {
				t.Fatalf("key %d", i)
			}
		}
		if kl.Partial != (8+addlen > int64(valid)) {
			t.Fatal("partial flag")
		}
		if kl.Partial && valid < alloc {
			t.Fatal("a short transfer must be malformed, not partial")
		}
		// Bytes past the allocation length are never read.
		if alloc >= 0 && alloc <= len(data) {
			kl2, err := ParseReadKeys(withTail(data[:alloc]), alloc)
			if err != nil || !reflect.DeepEqual(kl, kl2) {
				t.Fatal("bytes past alloc changed the result")
			}
		}
	})
}

func FuzzParseReadReservation(f *testing.F) {
	held := readKeysSample(3, keyHost)
	held[7] = 16
	held = append(held, 0, 0, 0, 0, 0, 0x05, 0, 0)
	f.Add(held, 24)
	f.Add(held[:22], 24)
	f.Add(held[:21], 24)
	f.Add(readKeysSample(9), 24)
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8}, 24)
	f.Fuzz(func(t *testing.T, data []byte, alloc int) {
		r, err := ParseReadReservation(capped(data), alloc)
		if err != nil {
			return
		}
		valid := min(len(data), max(alloc, 0))
		addlen := binary.BigEndian.Uint32(data[4:8])
		if valid < 8 || r.Generation != binary.BigEndian.Uint32(data[0:4]) {
			t.Fatal("header")
		}
		if r.Present != (addlen != 0) {
			t.Fatal("present flag")
		}
		if r.Present {
			if addlen < 16 || valid < 22 {
				t.Fatal("reservation decoded from too few bytes")
			}
			if uint64(r.Key) != binary.BigEndian.Uint64(data[8:16]) || byte(r.Type) != data[21]&0x0F || r.Scope != data[21]>>4 {
				t.Fatal("key/type/scope")
			}
		}
	})
}

func FuzzParseReportCapabilities(f *testing.F) {
	f.Add([]byte{0x00, 0x08, 0x1D, 0x91, 0xEA, 0x01, 0, 0}, 8) // LIO
	f.Add([]byte{0x00, 0x08, 0x00, 0x80, 0xEA, 0x01, 0, 0}, 8) // tgt
	f.Add([]byte{0x00, 0x10, 0, 0, 0, 0, 0, 0}, 8)
	f.Add([]byte{0x00, 0x08, 0, 0, 0}, 8)
	f.Fuzz(func(t *testing.T, data []byte, alloc int) {
		c, err := ParseReportCapabilities(capped(data), alloc)
		if err != nil {
			return
		}
		if min(len(data), max(alloc, 0)) < 6 || binary.BigEndian.Uint16(data[0:2]) != 8 {
			t.Fatal("accepted a bad length")
		}
		if c.TypeMask != binary.BigEndian.Uint16(data[4:6]) || c.PTPLC != (data[2]&1 != 0) ||
			c.TMV != (data[3]&0x80 != 0) || c.AllowCommands > 7 {
			t.Fatal("fields")
		}
	})
}

// fullStatusSample builds a READ FULL STATUS response with the given TransportIDs.
func fullStatusSample(gen uint32, tids ...[]byte) []byte {
	var descs []byte
	for i, tid := range tids {
		d := make([]byte, 24)
		binary.BigEndian.PutUint64(d, uint64(keyHost)+uint64(i))
		d[12], d[13] = 0x01, 0x05
		binary.BigEndian.PutUint16(d[18:], uint16(i+1))
		binary.BigEndian.PutUint32(d[20:], uint32(len(tid)))
		descs = append(append(descs, d...), tid...)
	}
	b := binary.BigEndian.AppendUint32(nil, gen)
	b = binary.BigEndian.AppendUint32(b, uint32(len(descs)))
	return append(b, descs...)
}

func FuzzParseReadFullStatus(f *testing.F) {
	iscsi := append([]byte{0x05, 0, 0, 20}, []byte("iqn.2026-01.test:a\x00\x00")...)
	f.Add(fullStatusSample(4, iscsi, make([]byte, 24)), 8192)
	f.Add(fullStatusSample(4, iscsi, make([]byte, 24)), 60)
	f.Add(fullStatusSample(0), 8192)
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 30, 0, 0}, 8192)
	f.Fuzz(func(t *testing.T, data []byte, alloc int) {
		fs, err := ParseReadFullStatus(capped(data), alloc)
		if err != nil {
			return
		}
		valid := min(len(data), max(alloc, 0))
		off := 8
		for i, d := range fs.Descriptors {
			end := off + 24 + len(d.TransportID)
			if end > valid {
				t.Fatalf("descriptor %d ends at %d beyond %d valid bytes", i, end, valid)
			}
			if uint64(d.Key) != binary.BigEndian.Uint64(data[off:]) || !bytes.Equal(d.TransportID, data[off+24:end]) {
				t.Fatalf("descriptor %d fields", i)
			}
			off = end
		}
		if addlen := int64(binary.BigEndian.Uint32(data[4:8])); int64(off-8) > addlen {
			t.Fatal("descriptors beyond ADDITIONAL LENGTH")
		}
		if fs.Partial && valid < alloc {
			t.Fatal("a short transfer must be malformed, not partial")
		}
	})
}

func FuzzParseInquiry(f *testing.F) {
	std := append([]byte{0x00, 0x00, 0x06, 0x02, 31, 0x10, 0, 0}, []byte("LIO-ORG block0          4.0 ")...)
	f.Add(std)
	f.Add(std[:20])
	f.Add([]byte{0x7F, 0, 0, 0, 0})
	f.Add([]byte{0x00, 0x00, 0x05, 0x02, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		inq, err := ParseInquiry(capped(data))
		if err != nil {
			return
		}
		if len(data) < 5 || inq.PeripheralType != data[0]&0x1F || inq.PeripheralQualifier != data[0]>>5 || inq.Version != data[2] {
			t.Fatal("fields")
		}
		if len(inq.Vendor) > 8 || len(inq.Product) > 16 || len(inq.Revision) > 4 {
			t.Fatal("field longer than its slot")
		}
		if n := 5 + int(data[4]); n <= 8 && inq.Vendor != "" {
			t.Fatal("vendor read beyond ADDITIONAL LENGTH")
		}
	})
}

// vpd83Sample builds a device identification page from designators.
func vpd83Sample(ds ...[]byte) []byte {
	var body []byte
	for _, d := range ds {
		body = append(body, d...)
	}
	return append([]byte{0x00, 0x83, byte(len(body) >> 8), byte(len(body))}, body...)
}

func FuzzParseDeviceIdentification(f *testing.F) {
	naa := []byte{0x01, 0x03, 0, 16, 0x60, 0x01, 0x40, 0x5a, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	port := []byte{0x61, 0x94, 0, 4, 0, 0, 0, 1}
	name := append([]byte{0x53, 0x98, 0, 12}, []byte("iqn.test:a\x00\x00")...)
	f.Add(vpd83Sample(naa, port, name))
	f.Add(vpd83Sample(naa, []byte{0x01, 0x03, 0, 200, 1}))
	f.Add(vpd83Sample([]byte{1, 2, 3}))
	f.Add([]byte{0x00, 0x83, 0xFF, 0xFF, 1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, data []byte) {
		ds, err := ParseDeviceIdentification(capped(data))
		if err != nil {
			return
		}
		pageLen := 4 + int(binary.BigEndian.Uint16(data[2:4]))
		off := 4
		for i, d := range ds {
			end := off + 4 + len(d.Value)
			if end > pageLen || end > len(data) {
				t.Fatalf("designator %d beyond the page", i)
			}
			if d.Type != data[off+1]&0x0F || d.CodeSet != data[off]&0x0F || !bytes.Equal(d.Value, data[off+4:end]) {
				t.Fatalf("designator %d fields", i)
			}
			off = end
		}
		if pageLen-off >= 4 {
			t.Fatal("walk stopped early")
		}
		// Bytes past PAGE LENGTH are never read.
		ds2, err := ParseDeviceIdentification(withTail(data[:pageLen]))
		if err != nil || !reflect.DeepEqual(ds, ds2) {
			t.Fatal("bytes past PAGE LENGTH changed the result")
		}
	})
}

func FuzzParseVPD(f *testing.F) {
	f.Add([]byte{0x00, 0x80, 0x00, 0x08, ' ', 'S', 'N', '1', '2', '3', ' ', ' '}, byte(0x80))
	f.Add([]byte{0x00, 0x00, 0x00, 0x03, 0x00, 0x80, 0x83}, byte(0x00))
	f.Add([]byte{0x00, 0x80, 0x01, 0x00, 'x'}, byte(0x80))
	f.Fuzz(func(t *testing.T, data []byte, page byte) {
		p, err := ParseVPD(capped(data), page)
		if err != nil {
			return
		}
		if data[1] != page || len(p) != 4+int(binary.BigEndian.Uint16(data[2:4])) || len(p) > len(data) {
			t.Fatal("page bounds")
		}
		switch page {
		case VPDSupportedPages:
			if pages, err := ParseSupportedVPDPages(data); err != nil || len(pages) != len(p)-4 {
				t.Fatal("supported pages")
			}
		case VPDUnitSerialNumber:
			if sn, err := ParseUnitSerialNumber(data); err != nil || len(sn) > len(p)-4 {
				t.Fatal("serial number")
			}
		}
	})
}

// FuzzDeviceReadKeys feeds arbitrary READ KEYS answers and residuals through
// NewDevice: the re-read loop must stay within 3 reads and legal
// allocation lengths, and never panic.
func FuzzDeviceReadKeys(f *testing.F) {
	f.Add(readKeysSample(7, keyHost, keyVictim), 0)
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0x3F, 0xF8}, 0)
	f.Add([]byte{0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF}, -7)
	f.Add([]byte{0, 0, 0, 1, 0, 1, 0, 0}, 8190)
	f.Fuzz(func(t *testing.T, data []byte, resid int) {
		tr := &fakeTransport{respond: func(_ int, cmd *Command) (*Result, error) {
			r := reply(cmd, data)
			r.Resid = resid
			return r, nil
		}}
		kl, err := newTestDevice(tr, nil).ReadKeys(context.Background())
		if tr.n() < 1 || tr.n() > prInMaxReads {
			t.Fatalf("%d reads", tr.n())
		}
		for _, c := range tr.calls {
			if c.dataInLen < 8 || c.dataInLen > MaxPRInAlloc || int(binary.BigEndian.Uint16(c.cdb[7:9])) != c.dataInLen {
				t.Fatalf("allocation %d / CDB % x", c.dataInLen, c.cdb)
			}
		}
		if err == nil && 8+8*len(kl.Keys) > tr.calls[tr.n()-1].dataInLen {
			t.Fatal("more keys than the buffer holds")
		}
	})
}
