package arbitrate

import (
	"context"
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// unit is one logical unit and the configured devices (I_T nexuses, paths)
// that reach it, with Acquire's working state for it.
type unit struct {
	id    string    // LU identity; "" when the LU did not tell it
	paths []*target // configured order
	acq   unitState
}

// designatorRank orders the LU designator types of VPD page 0x83 (SPC-4
// 7.8.6.1) by preference: NAA, EUI-64, SCSI name string, T10 vendor ID.
var designatorRank = map[uint8]int{3: 0, 2: 1, 8: 2, 1: 3}

// luIdentity names the LU d reaches the same way on every node: its best
// logical-unit designator from VPD page 0x83, else its unit serial number
// (VPD page 0x80), else "" (unknown). A target port designator
// (association 1) or a local path name never enters it.
func luIdentity(ctx context.Context, c *Config, d scsi.Device) string {
	var page []byte
	err := command(ctx, c, func(ctx context.Context) (err error) {
		page, err = d.InquiryVPD(ctx, scsi.VPDDeviceIdentification)
		return err
	})
	if err == nil {
		if ds, err := scsi.ParseDeviceIdentification(page); err == nil {
			best, rank := "", len(designatorRank)
			for _, ds := range ds {
				r, ok := designatorRank[ds.Type]
				if ok && ds.Association == 0 && len(ds.Value) > 0 && r < rank {
					best, rank = fmt.Sprintf("%d:%d:%s", r, ds.Type, hex.EncodeToString(ds.Value)), r
				}
			}
			if best != "" {
				return best
			}
		}
	}
	err = command(ctx, c, func(ctx context.Context) (err error) {
		page, err = d.InquiryVPD(ctx, scsi.VPDUnitSerialNumber)
		return err
	})
	if err == nil {
		if s, err := scsi.ParseUnitSerialNumber(page); err == nil && s != "" {
			return "9:serial:" + s
		}
	}
	return ""
}

// units groups the configured devices by LU identity and orders the units
// by identity, so every node arbitrates one LUN set in the same order even
// when its paths are named or listed differently; LUs without an identity
// follow in configured order. Devices of one identity are paths of one LU;
// with a holder-only type (WE, EA) only the reserving path could write, so
// that configuration is refused.
func units(ctx context.Context, c *Config) ([]*unit, error) {
	var known []*unit
	var unknown []*unit
	byID := map[string]*unit{}
	for _, d := range c.Devices {
		t := &target{d: d}
		id := luIdentity(ctx, c, d)
		if id == "" {
			unknown = append(unknown, &unit{paths: []*target{t}})
			continue
		}
		u := byID[id]
		if u == nil {
			u = &unit{id: id}
			byID[id] = u
			known = append(known, u)
		} else if !c.Type.AllRegistrants() && !c.Type.RegistrantsOnly() {
			return nil, fmt.Errorf("%w: %s and %s are paths of one LU: with type %v only the reserving path may write; use type 7 (WE-AR)",
				ErrConfig, u.paths[0].d.Name(), d.Name(), c.Type)
		}
		u.paths = append(u.paths, t)
	}
	sort.SliceStable(known, func(i, j int) bool { return known[i].id < known[j].id })
	return append(known, unknown...), nil
}

// name is the unit's first path, for messages.
func (u *unit) name() string { return u.paths[0].d.Name() }

// dev is the path used for PR IN: every path sees the same PR state.
func (u *unit) dev() scsi.Device { return u.paths[0].d }
