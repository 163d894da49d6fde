package scsi

import (
	"bytes"
	"encoding/binary"
)

// VPD page codes this package reads (SPC-4 7.8).
const (
	VPDSupportedPages            = 0x00
	VPDUnitSerialNumber          = 0x80
	VPDDeviceIdentification      = 0x83
	StandardInquiryLen           = 36  // SPC-4 6.6.2: ask for exactly 36 bytes
	VPDAllocLen                  = 252 // SPC-2 devices only honour byte 4 of the allocation length
	inquiryPrefill          byte = 0x7F
)

// ParseInquiry decodes standard INQUIRY data (SPC-4 6.6.2; short data per docs/pr-notes.md).
// Fewer than 5 valid bytes, or byte 0 still holding the 0x7F pre-fill (which
// is also the "no logical unit" answer), is malformed; shorter-than-36-byte
// data is used as far as it goes.
func ParseInquiry(data []byte) (*InquiryData, error) {
	if len(data) < 5 {
		return nil, malformedf("INQUIRY response too short (%d bytes)", len(data))
	}
	if data[0] == inquiryPrefill {
		return nil, malformed("INQUIRY: no data transferred or no logical unit (byte 0 = 0x7f)")
	}
	if n := 5 + int(data[4]); n < len(data) {
		data = data[:n]
	}
	return &InquiryData{
		PeripheralQualifier: data[0] >> 5,
		PeripheralType:      data[0] & 0x1F,
		Version:             data[2],
		Vendor:              asciiField(data, 8, 16),
		Product:             asciiField(data, 16, 32),
		Revision:            asciiField(data, 32, 36),
	}, nil
}

// asciiField returns data[from:to] clipped to len(data), without NULs and surrounding spaces.
func asciiField(data []byte, from, to int) string {
	if from >= len(data) {
		return ""
	}
	b := data[from:min(to, len(data))]
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(bytes.TrimSpace(b))
}

// ParseVPD checks a VPD page header (SPC-4 7.8.1) and returns the page
// bounded by its PAGE LENGTH, header included. It is malformed if the page
// code differs from page or the page is longer than the valid data.
func ParseVPD(data []byte, page byte) ([]byte, error) {
	if len(data) < 4 {
		return nil, malformedf("VPD page 0x%02x too short (%d bytes)", page, len(data))
	}
	if data[1] != page {
		return nil, malformedf("VPD page 0x%02x requested, page 0x%02x returned", page, data[1])
	}
	n := 4 + int(binary.BigEndian.Uint16(data[2:4]))
	if n > len(data) {
		return nil, malformedf("VPD page 0x%02x truncated: %d of %d bytes", page, len(data), n)
	}
	return data[:n], nil
}

// ParseSupportedVPDPages returns the page codes listed in VPD page 0x00.
func ParseSupportedVPDPages(page []byte) ([]byte, error) {
	p, err := ParseVPD(page, VPDSupportedPages)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), p[4:]...), nil
}

// ParseUnitSerialNumber returns the serial number of VPD page 0x80, trimmed of padding spaces.
func ParseUnitSerialNumber(page []byte) (string, error) {
	p, err := ParseVPD(page, VPDUnitSerialNumber)
	if err != nil {
		return "", err
	}
	return asciiField(p, 4, len(p)), nil
}

// Designator is one designation descriptor of VPD page 0x83 (SPC-4 7.8.6).
type Designator struct {
	ProtocolID  uint8 // meaningful only if PIV is set
	CodeSet     uint8 // 1 binary, 2 ASCII, 3 UTF-8
	PIV         bool
	Association uint8 // 0 logical unit, 1 target port, 2 target device
	Type        uint8 // 3 NAA, 2 EUI-64, 8 SCSI name string, ...
	Value       []byte
}

// ParseDeviceIdentification walks the designation descriptors of VPD page
// 0x83. The walk stops when fewer than 4 bytes remain; a descriptor that
// overruns PAGE LENGTH makes the page malformed (SPC-4 7.8.6.1).
func ParseDeviceIdentification(page []byte) ([]Designator, error) {
	p, err := ParseVPD(page, VPDDeviceIdentification)
	if err != nil {
		return nil, err
	}
	var ds []Designator
	for d := p[4:]; len(d) >= 4; {
		n := 4 + int(d[3])
		if n > len(d) {
			return nil, malformedf("VPD page 0x83: designator of %d bytes overruns the page", n)
		}
		ds = append(ds, Designator{
			ProtocolID:  d[0] >> 4,
			CodeSet:     d[0] & 0x0F,
			PIV:         d[1]&0x80 != 0,
			Association: (d[1] >> 4) & 0x03,
			Type:        d[1] & 0x0F,
			Value:       append([]byte(nil), d[4:n]...),
		})
		d = d[n:]
	}
	return ds, nil
}
