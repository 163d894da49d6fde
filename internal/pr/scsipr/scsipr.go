// Package scsipr implements pr.Device on an internal/scsi Device: the
// transport-neutral operations are the SPC-4 PERSISTENT RESERVE commands of
// the same names, the neutral types become SCSI TYPE codes (scsi.FromPR)
// and back, and the errors are scsi.*Error values, whose class sentinels
// are pr's.
package scsipr

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// Device is a pr.Device on one scsi.Device (one I_T nexus). Name, Close,
// Release, Clear, Preempt and PreemptAndAbort are the scsi.Device methods
// of the same names (pr.Forward).
type Device struct {
	pr.Forward[scsi.ReservationType]
	d scsi.Device
}

var _ pr.Device = (*Device)(nil)

// New returns the pr.Device of d; closing it closes d.
func New(d scsi.Device) *Device {
	return &Device{Forward: pr.Forward[scsi.ReservationType]{Cmds: d, Code: scsi.FromPR}, d: d}
}

// SCSI returns the underlying scsi.Device, for the SCSI-only callers
// (VPD pages, READ FULL STATUS TransportIDs).
func (a *Device) SCSI() scsi.Device { return a.d }

func (a *Device) Transport() pr.Transport { return pr.SCSI }

// Ready is TEST UNIT READY.
func (a *Device) Ready(ctx context.Context) error { return a.d.TestUnitReady(ctx) }

// Identity is scsi.LUIdentity (VPD pages 0x83, then 0x80).
func (a *Device) Identity(ctx context.Context) (string, error) { return scsi.LUIdentity(ctx, a.d) }

// Capabilities is REPORT CAPABILITIES.
func (a *Device) Capabilities(ctx context.Context) (*pr.Capabilities, error) {
	c, err := a.d.ReportCapabilities(ctx)
	if err != nil {
		return nil, err
	}
	out := &pr.Capabilities{PersistThroughPowerLoss: c.PTPLC, AllTargetPorts: c.ATPC}
	if c.TMV {
		out.Types = pr.TypesWhere(func(t pr.Type) bool { return c.Supports(scsi.FromPR(t)) })
	}
	return out, nil
}

// ReadKeys is READ KEYS (never partial: scsi.Device refuses a cut list).
func (a *Device) ReadKeys(ctx context.Context) (*pr.KeyList, error) {
	kl, err := a.d.ReadKeys(ctx)
	if err != nil {
		return nil, err
	}
	return &pr.KeyList{Generation: kl.Generation, Keys: kl.Keys}, nil
}

// ReadReservation is READ RESERVATION.
func (a *Device) ReadReservation(ctx context.Context) (*pr.Reservation, error) {
	r, err := a.d.ReadReservation(ctx)
	if err != nil {
		return nil, err
	}
	out := &pr.Reservation{Generation: r.Generation, Present: r.Present, Key: r.Key}
	if r.Present {
		out.Type = r.Type.PR()
	}
	return out, nil
}

// ReadRegistrations is READ FULL STATUS.
func (a *Device) ReadRegistrations(ctx context.Context) (*pr.Registrations, error) {
	fs, err := a.d.ReadFullStatus(ctx)
	if err != nil {
		return nil, err
	}
	out := &pr.Registrations{Generation: fs.Generation, Partial: fs.Partial}
	out.Reservation.Generation = fs.Generation
	for _, d := range fs.Descriptors {
		out.List = append(out.List, pr.Registration{Key: d.Key, Holder: d.ReservationHolder,
			Initiator: TransportIDString(d.TransportID)})
		// SPC-4 6.15.5: SCOPE and TYPE are valid in a holder's descriptor
		// only; under an all-registrants type every registrant is one, and
		// the reservation has no key (READ RESERVATION reports 0).
		if d.ReservationHolder && !out.Reservation.Present {
			out.Reservation.Present, out.Reservation.Type = true, d.Type.PR()
			if !d.Type.AllRegistrants() {
				out.Reservation.Key = d.Key
			}
		}
	}
	return out, nil
}

func options(o pr.RegisterOptions) scsi.RegisterOptions {
	return scsi.RegisterOptions{APTPL: o.PersistThroughPowerLoss, AllTgPt: o.AllTargetPorts}
}

func (a *Device) Register(ctx context.Context, rk, sark pr.Key, opt pr.RegisterOptions) error {
	return a.d.Register(ctx, rk, sark, options(opt))
}

func (a *Device) RegisterAndIgnore(ctx context.Context, sark pr.Key, opt pr.RegisterOptions) error {
	return a.d.RegisterAndIgnore(ctx, sark, options(opt))
}

func (a *Device) Reserve(ctx context.Context, rk pr.Key, t pr.Type) error {
	return a.d.Reserve(ctx, rk, scsi.FromPR(t))
}

// TransportIDString renders a TransportID (SPC-4 7.6.4) for messages: the
// iSCSI name, the FC or SAS port name, else the bytes in hex.
func TransportIDString(tid []byte) string {
	if len(tid) < 4 {
		return fmt.Sprintf("%x", tid)
	}
	switch tid[0] & 0x0F {
	case 5: // iSCSI: name (and ",i,0x<ISID>" in format 01b), NUL-terminated
		name := tid[4:]
		if n := int(binary.BigEndian.Uint16(tid[2:4])); n <= len(name) {
			name = name[:n]
		}
		for i, b := range name {
			if b == 0 {
				name = name[:i]
				break
			}
		}
		return string(name)
	case 0: // Fibre Channel: N_Port name in bytes 8-15
		if len(tid) >= 16 {
			return fmt.Sprintf("fc 0x%x", tid[8:16])
		}
	case 6: // SAS: address in bytes 4-11
		if len(tid) >= 12 {
			return fmt.Sprintf("sas 0x%x", tid[4:12])
		}
	}
	return fmt.Sprintf("%x", tid)
}
