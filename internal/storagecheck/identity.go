package storagecheck

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// Designator types of VPD page 0x83 (SPC-4 7.8.6.1, table 593), best first
// for naming a LU: NAA, EUI-64, SCSI name string, T10 vendor ID.
// designatorRank returns the rank of designator type t (0 best), ok false for other types.
func designatorRank(t uint8) (rank int, ok bool) {
	switch t {
	case 3:
		return 0, true
	case 2:
		return 1, true
	case 8:
		return 2, true
	case 1:
		return 3, true
	}
	return 0, false
}

// designators formats the LU designators (association 0) of VPD page 0x83
// and picks the LU identity: the best-ranked one.
func designators(ds []scsi.Designator) (all []string, identity string) {
	best := 99
	for _, d := range ds {
		if d.Association != 0 {
			continue
		}
		s := formatDesignator(d)
		all = append(all, s)
		if rank, ok := designatorRank(d.Type); ok && rank < best {
			best, identity = rank, s
		}
	}
	return all, identity
}

func formatDesignator(d scsi.Designator) string {
	text := d.CodeSet == 2 || d.CodeSet == 3
	v := hex.EncodeToString(d.Value)
	if text {
		v = strings.TrimRight(string(d.Value), "\x00 ")
	}
	switch d.Type {
	case 3:
		return "naa." + v
	case 2:
		return "eui." + v
	case 8:
		return "name." + v
	case 1:
		return "t10." + strings.Join(strings.Fields(v), "_")
	case 0:
		return "vendor." + v
	case 6:
		return "lu-group." + v
	case 7:
		return "md5." + v
	}
	return fmt.Sprintf("type%d.%s", d.Type, v)
}

// TransportID renders a TransportID of READ FULL STATUS (SPC-4 7.6.4):
// iSCSI as its name (format 00b) or "name,i,0xISID" (format 01b), Fibre
// Channel and SAS as their port names, anything else in hex.
func TransportID(b []byte) string {
	if len(b) < 4 {
		return hex.EncodeToString(b)
	}
	switch proto := b[0] & 0x0F; proto {
	case 5: // iSCSI
		n := int(binary.BigEndian.Uint16(b[2:4]))
		name := b[4:min(len(b), 4+n)]
		if i := strings.IndexByte(string(name), 0); i >= 0 {
			name = name[:i]
		}
		return string(name)
	case 0: // Fibre Channel: N_PORT_NAME at bytes 8-15
		if len(b) >= 16 {
			return "fc." + hex.EncodeToString(b[8:16])
		}
	case 6: // SAS: SAS ADDRESS at bytes 4-11
		if len(b) >= 12 {
			return "sas." + hex.EncodeToString(b[4:12])
		}
	}
	return hex.EncodeToString(b)
}

// sameNexus compares two initiator-side nexus names case-insensitively and
// ignoring leading zeros of the ISID ("0x00023d000001" = "0x23d000001").
func sameNexus(a, b string) bool {
	return normNexus(a) == normNexus(b)
}

func normNexus(s string) string {
	s = strings.ToLower(s)
	name, isid, ok := strings.Cut(s, ",i,0x")
	if !ok {
		return s
	}
	isid = strings.TrimLeft(isid, "0")
	return name + ",i,0x" + isid
}
