package scsi

import "encoding/binary"

// PR IN responses (SPC-4 6.15.2-6.15.5; docs/pr-notes.md, "Short data"). Every parser takes data, the bytes
// actually transferred (len(DataIn) minus the clamped residual), and alloc,
// the allocation length of the CDB. A response the allocation cut short is
// normal (Partial); one the transfer cut short is malformed.

// clip bounds data by the allocation length; a negative alloc clips to nothing.
func clip(data []byte, alloc int) []byte {
	return data[:min(len(data), max(alloc, 0))]
}

// prInHeader checks the common 8-byte header (PRGENERATION, ADDITIONAL LENGTH)
// and returns the payload that is present and whether the allocation length
// cut it short.
func prInHeader(what string, data []byte, alloc int) (gen uint32, addlen uint64, payload []byte, cut bool, err error) {
	data = clip(data, alloc)
	if len(data) < 8 {
		return 0, 0, nil, false, malformedf("%s response too short (%d bytes)", what, len(data))
	}
	gen = binary.BigEndian.Uint32(data[0:4])
	addlen = uint64(binary.BigEndian.Uint32(data[4:8]))
	avail := uint64(len(data) - 8)
	if addlen <= avail {
		return gen, addlen, data[8 : 8+addlen], false, nil
	}
	if len(data) < alloc {
		// Fewer bytes arrived than both the allocation and the data length allow.
		return 0, 0, nil, false, malformedf("%s response truncated: %d of %d bytes transferred",
			what, len(data), min(uint64(alloc), 8+addlen))
	}
	return gen, addlen, data[8:], true, nil
}

// ParseReadKeys decodes a READ KEYS response (SPC-4 6.15.2). Partial is set
// when the key list did not fit in alloc; an ADDITIONAL LENGTH that is not a
// multiple of 8 is tolerated by ignoring the trailing bytes (docs/pr-notes.md, "Short data").
func ParseReadKeys(data []byte, alloc int) (*KeyList, error) {
	kl, _, err := parseReadKeys(data, alloc)
	return kl, err
}

// parseReadKeys also returns the ADDITIONAL LENGTH for the re-read logic.
func parseReadKeys(data []byte, alloc int) (*KeyList, uint64, error) {
	gen, addlen, payload, cut, err := prInHeader("READ KEYS", data, alloc)
	if err != nil {
		return nil, 0, err
	}
	kl := &KeyList{Generation: gen, Partial: cut, Keys: make([]Key, 0, len(payload)/8)}
	for ; len(payload) >= 8; payload = payload[8:] {
		kl.Keys = append(kl.Keys, Key(binary.BigEndian.Uint64(payload[:8])))
	}
	return kl, addlen, nil
}

// ParseReadReservation decodes a READ RESERVATION response (SPC-4 6.15.3,
// docs/pr-notes.md): ADDITIONAL LENGTH 0 means no reservation, 16 or more needs at
// least 22 valid bytes, anything else is malformed.
func ParseReadReservation(data []byte, alloc int) (*Reservation, error) {
	data = clip(data, alloc)
	if len(data) < 8 {
		return nil, malformedf("READ RESERVATION response too short (%d bytes)", len(data))
	}
	r := &Reservation{Generation: binary.BigEndian.Uint32(data[0:4])}
	switch addlen := binary.BigEndian.Uint32(data[4:8]); {
	case addlen == 0:
		return r, nil
	case addlen < 16:
		return nil, malformedf("READ RESERVATION additional length %d", addlen)
	case len(data) < 22:
		return nil, malformedf("READ RESERVATION response truncated (%d bytes)", len(data))
	}
	r.Present = true
	r.Key = Key(binary.BigEndian.Uint64(data[8:16]))
	r.Scope = data[21] >> 4
	r.Type = ReservationType(data[21] & 0x0F)
	return r, nil
}

// ParseReportCapabilities decodes a REPORT CAPABILITIES response (SPC-4
// 6.15.4); LENGTH must be 8 and at least 6 bytes must be valid.
func ParseReportCapabilities(data []byte, alloc int) (*Capabilities, error) {
	data = clip(data, alloc)
	if len(data) < 6 {
		return nil, malformedf("REPORT CAPABILITIES response too short (%d bytes)", len(data))
	}
	if n := binary.BigEndian.Uint16(data[0:2]); n != 8 {
		return nil, malformedf("REPORT CAPABILITIES length %d, want 8", n)
	}
	b2, b3 := data[2], data[3]
	return &Capabilities{
		RLRC:          b2&0x80 != 0,
		CRH:           b2&0x10 != 0,
		SIPC:          b2&0x08 != 0,
		ATPC:          b2&0x04 != 0,
		PTPLC:         b2&0x01 != 0,
		TMV:           b3&0x80 != 0,
		AllowCommands: (b3 >> 4) & 0x07,
		PTPLA:         b3&0x01 != 0,
		TypeMask:      binary.BigEndian.Uint16(data[4:6]),
	}, nil
}

// ParseReadFullStatus decodes a READ FULL STATUS response (SPC-4 6.15.5,
// SPC-4 6.15.5), walking the variable-length descriptors with bounds checks.
// A descriptor cut by the allocation length ends the walk and sets Partial;
// one that overruns ADDITIONAL LENGTH is malformed.
func ParseReadFullStatus(data []byte, alloc int) (*FullStatus, error) {
	fs, _, err := parseReadFullStatus(data, alloc)
	return fs, err
}

func parseReadFullStatus(data []byte, alloc int) (*FullStatus, uint64, error) {
	gen, addlen, payload, cut, err := prInHeader("READ FULL STATUS", data, alloc)
	if err != nil {
		return nil, 0, err
	}
	fs := &FullStatus{Generation: gen, Partial: cut}
	for len(payload) > 0 {
		if len(payload) < 24 {
			if cut {
				break
			}
			return nil, 0, malformedf("READ FULL STATUS: %d trailing bytes", len(payload))
		}
		n := 24 + uint64(binary.BigEndian.Uint32(payload[20:24]))
		if n > uint64(len(payload)) {
			if cut {
				break
			}
			return nil, 0, malformedf("READ FULL STATUS: descriptor of %d bytes overruns the list", n)
		}
		d := payload[:n]
		fs.Descriptors = append(fs.Descriptors, FullStatusDescriptor{
			Key:                  Key(binary.BigEndian.Uint64(d[0:8])),
			AllTgPt:              d[12]&0x02 != 0,
			ReservationHolder:    d[12]&0x01 != 0,
			Scope:                d[13] >> 4,
			Type:                 ReservationType(d[13] & 0x0F),
			RelativeTargetPortID: binary.BigEndian.Uint16(d[18:20]),
			TransportID:          append([]byte(nil), d[24:]...),
		})
		payload = payload[n:]
	}
	return fs, addlen, nil
}
