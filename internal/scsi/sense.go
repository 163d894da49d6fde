package scsi

import "encoding/binary"

// Sense data response codes (SPC-4 4.5).
const (
	SenseFixedCurrent       = 0x70
	SenseFixedDeferred      = 0x71
	SenseDescriptorCurrent  = 0x72
	SenseDescriptorDeferred = 0x73
)

// MaxSenseLen is the sense buffer size SG_IO callers need: the kernel keeps at most 96 bytes (SCSI_SENSE_BUFFERSIZE, include/scsi/scsi_cmnd.h).
const MaxSenseLen = 96

// ParseSense decodes fixed (0x70/0x71) or descriptor (0x72/0x73) sense data
// (SPC-4 4.5.2, 4.5.3). b holds only the valid bytes (sb_len_wr); the ADDITIONAL SENSE
// LENGTH further bounds them. Missing ASC/ASCQ decode as 0. Any other
// response code is not decodable and yields an ErrMalformed-class *Error.
func ParseSense(b []byte) (*Sense, error) {
	if len(b) == 0 {
		return nil, malformed("empty sense data")
	}
	rc := b[0] & 0x7F
	// Bytes valid per the sense data's own length: 8 + ADDITIONAL SENSE LENGTH.
	if len(b) >= 8 {
		if n := 8 + int(b[7]); n < len(b) {
			b = b[:n]
		}
	}
	switch rc {
	case SenseFixedCurrent, SenseFixedDeferred:
		return parseFixedSense(b, rc)
	case SenseDescriptorCurrent, SenseDescriptorDeferred:
		return parseDescriptorSense(b, rc)
	}
	return nil, malformedf("undecodable sense response code 0x%02x", rc)
}

func parseFixedSense(b []byte, rc uint8) (*Sense, error) {
	if len(b) < 3 {
		return nil, malformedf("fixed sense data too short (%d bytes)", len(b))
	}
	s := &Sense{ResponseCode: rc, Key: b[2] & 0x0F, Deferred: rc == SenseFixedDeferred}
	if len(b) >= 7 {
		s.InfoValid = b[0]&0x80 != 0
		s.Info = uint64(binary.BigEndian.Uint32(b[3:7]))
	}
	if len(b) >= 14 {
		s.ASC, s.ASCQ = b[12], b[13]
	}
	if len(b) >= 18 {
		s.decodeSKS(b[15:18])
	}
	return s, nil
}

func parseDescriptorSense(b []byte, rc uint8) (*Sense, error) {
	if len(b) < 4 {
		return nil, malformedf("descriptor sense data too short (%d bytes)", len(b))
	}
	s := &Sense{
		ResponseCode: rc, Key: b[1] & 0x0F, ASC: b[2], ASCQ: b[3],
		Deferred: rc == SenseDescriptorDeferred,
	}
	// Walk the descriptors from byte 8: type, additional length, body.
	for d := b[min(8, len(b)):]; len(d) >= 2; {
		n := 2 + int(d[1])
		if n > len(d) {
			break // truncated descriptor: keep what was decoded so far
		}
		switch desc := d[:n]; desc[0] {
		case 0x00: // information (SPC-4 4.5.2.2)
			if len(desc) >= 12 {
				s.InfoValid = desc[2]&0x80 != 0
				s.Info = binary.BigEndian.Uint64(desc[4:12])
			}
		case 0x02: // sense-key specific (SPC-4 4.5.2.4)
			if len(desc) >= 7 {
				s.decodeSKS(desc[4:7])
			}
		}
		d = d[n:]
	}
	return s, nil
}

// decodeSKS decodes the 3-byte sense-key-specific field (SPC-4 4.5.2.4.2).
func (s *Sense) decodeSKS(b []byte) {
	s.SKSV = b[0]&0x80 != 0
	if !s.SKSV {
		return
	}
	s.CommandData = b[0]&0x40 != 0
	s.FieldPointer = binary.BigEndian.Uint16(b[1:3])
}
