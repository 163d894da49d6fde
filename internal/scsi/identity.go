package scsi

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// Designator types of VPD page 0x83 (SPC-4 7.8.6.1, table 592).
const (
	DesignatorT10VendorID = 1
	DesignatorEUI64       = 2
	DesignatorNAA         = 3
	DesignatorSCSIName    = 8
)

// designatorPreference orders the logical-unit designators LUIdentity picks
// from: the globally unique binary ones first.
var designatorPreference = []struct {
	typ    uint8
	prefix string
	binary bool
}{
	{DesignatorNAA, "naa.", true},
	{DesignatorEUI64, "eui.", true},
	{DesignatorSCSIName, "name.", false},
	{DesignatorT10VendorID, "t10.", false},
}

// DesignatorName returns the name of the logical unit that ds (the
// designators of VPD page 0x83) describe: the first of NAA, EUI-64, SCSI name
// string and T10 vendor ID designators associated with the logical unit
// (association 0), as "naa.<hex>", "eui.<hex>", "name.<text>" or
// "t10.<text>"; "" when there is none. Every path to the logical unit, from
// every host, reports the same designators, so every node derives the same
// name.
func DesignatorName(ds []Designator) string {
	for _, p := range designatorPreference {
		for _, d := range ds {
			if d.Association != 0 || d.Type != p.typ || len(d.Value) == 0 {
				continue
			}
			if p.binary {
				return p.prefix + hex.EncodeToString(d.Value)
			}
			return p.prefix + strings.TrimRight(strings.TrimRight(string(d.Value), "\x00"), " ")
		}
	}
	return ""
}

// ErrNoIdentity is returned by LUIdentity when the logical unit reports no
// usable designator and no unit serial number.
// It wraps pr.ErrNoIdentity.
var ErrNoIdentity error = noIdentityError{}

// noIdentityError is ErrNoIdentity: a comparable value rather than a
// fmt.Errorf at package initialisation, which would run fmt in every start
// of every binary that links this package (the watchdog check's included).
type noIdentityError struct{}

func (noIdentityError) Error() string { return pr.ErrNoIdentity.Error() + " (VPD pages 0x83 and 0x80)" }
func (noIdentityError) Unwrap() error { return pr.ErrNoIdentity }

// LUIdentity names the logical unit behind dev the same way on every path
// and every host: DesignatorName of VPD page 0x83, else "serial.<unit
// serial number>" from VPD page 0x80. A device that answers neither page
// with a usable value gives ErrNoIdentity; a failing command gives its error.
func LUIdentity(ctx context.Context, dev Device) (string, error) {
	page, err := dev.InquiryVPD(ctx, VPDDeviceIdentification)
	if err == nil {
		ds, perr := ParseDeviceIdentification(page)
		if perr == nil {
			if name := DesignatorName(ds); name != "" {
				return name, nil
			}
		}
	} else if !errors.Is(err, ErrIllegalRequest) {
		return "", err
	}
	page, err = dev.InquiryVPD(ctx, VPDUnitSerialNumber)
	if err != nil {
		if errors.Is(err, ErrIllegalRequest) {
			return "", fmt.Errorf("%s: %w", dev.Name(), ErrNoIdentity)
		}
		return "", err
	}
	serial, err := ParseUnitSerialNumber(page)
	if err != nil || serial == "" {
		return "", fmt.Errorf("%s: %w", dev.Name(), ErrNoIdentity)
	}
	return "serial." + serial, nil
}
