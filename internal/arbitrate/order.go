package arbitrate

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// unit is one logical unit and the configured devices (I_T nexuses, paths)
// that reach it, with Acquire's working state for it.
type unit struct {
	id    string    // LU identity; "" when the LU did not tell it
	paths []*target // configured order
	acq   unitState
}

// identityRank orders the kinds of identity pr.Device.Identity gives by
// preference: SCSI NAA, EUI-64 (SCSI, or an NVMe NGUID/EUI-64), SCSI name
// string, T10 vendor ID, NVMe subsystem NQN and namespace ID, unit serial
// number.
var identityRank = []string{"naa.", "eui.", "name.", "t10.", "nvme.", "serial."}

// luIdentity names the LU (or NVMe namespace) d reaches the same way on
// every node, prefixed with its rank so that the order puts the preferred
// kinds first: "0:naa.<hex>", "1:eui.<hex>", ...; "" (unknown) when the
// device does not tell. A target port designator or a local path name
// never enters it.
func luIdentity(ctx context.Context, c *Config, d pr.Device) string {
	var id string
	err := command(ctx, c, func(ctx context.Context) (err error) {
		id, err = d.Identity(ctx)
		return err
	})
	if err != nil || id == "" {
		return ""
	}
	for r, p := range identityRank {
		if strings.HasPrefix(id, p) {
			return fmt.Sprintf("%d:%s", r, id)
		}
	}
	return fmt.Sprintf("%d:%s", len(identityRank), id)
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
func (u *unit) dev() pr.Device { return u.paths[0].d }
