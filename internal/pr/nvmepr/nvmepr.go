// Package nvmepr implements pr.Device on an internal/nvme Device. The
// SCSI-shaped operations map to NVMe reservation commands as docs/nvme.md
// tabulates:
//
//   - Register(rk, sark): rk = 0 is Register(sark), sark = 0 is
//     Unregister(rk), otherwise Replace(rk, sark) (CRKEY checked, so
//     Register(k, k) renews only a host registered with k, as SCSI's
//     REGISTER with RK = SARK does); rk = sark = 0 sends nothing.
//   - RegisterAndIgnore(sark) is nvme's RegisterAndIgnore (Register, then
//     Replace with IEKEY=1); with sark = 0 it unregisters the host's key.
//   - Reserve is Acquire; Release, Clear, Preempt and PreemptAndAbort keep
//     their names.
//   - ReadKeys, ReadReservation and ReadRegistrations are one Reservation
//     Report each. A registration belongs to the host, not to the
//     controller or path: the Report lists a host once per controller, and
//     these list it once (by Host Identifier), so a count of registrations
//     is a count of hosts.
//
// PersistThroughPowerLoss sets CPTPL to 11b; without it CPTPL is 00b (no
// change), where SCSI's APTPL=0 turns persistence off. AllTargetPorts has
// no NVMe field: a registration covers every controller of the host.
package nvmepr

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/fence-scsi-go/fence_scsi_go/internal/nvme"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// Device is a pr.Device on one nvme.Device (one namespace through one
// controller or multipath head). Name, Close, Release, Clear, Preempt and
// PreemptAndAbort are the nvme.Device methods of the same names
// (pr.Forward).
type Device struct {
	pr.Forward[nvme.ReservationType]
	d nvme.Device
}

var _ pr.Device = (*Device)(nil)

// New returns the pr.Device of d; closing it closes d.
func New(d nvme.Device) *Device {
	return &Device{Forward: pr.Forward[nvme.ReservationType]{Cmds: d, Code: nvme.FromPR}, d: d}
}

// NVMe returns the underlying nvme.Device.
func (a *Device) NVMe() nvme.Device { return a.d }

func (a *Device) Transport() pr.Transport { return pr.NVMe }

// Ready sends Identify Controller and Identify Namespace: NVMe has no TEST
// UNIT READY; a namespace that answers Identify with size 0 is inactive
// (not attached), which counts as not ready.
func (a *Device) Ready(ctx context.Context) error {
	c, err := a.d.Capabilities(ctx)
	if err != nil {
		return err
	}
	if c.Namespace.Size == 0 {
		return &nvme.Error{Op: "identify", Device: a.d.Name(), Class: pr.ErrNotReady,
			Detail: fmt.Sprintf("namespace %d is not active (Identify Namespace size 0)", a.d.NSID())}
	}
	return nil
}

// Identity names the namespace as Linux's /sys/block/nvmeXnY/wwid does
// (drivers/nvme/host/core.c, wwid_show): "eui." and the NGUID, else "eui."
// and the EUI-64, else the subsystem NQN and namespace ID.
func (a *Device) Identity(ctx context.Context) (string, error) {
	c, err := a.d.Capabilities(ctx)
	if err != nil {
		return "", err
	}
	ns := c.Namespace
	switch {
	case ns.NGUID != [16]byte{}:
		return "eui." + hex.EncodeToString(ns.NGUID[:]), nil
	case ns.EUI64 != [8]byte{}:
		return "eui." + hex.EncodeToString(ns.EUI64[:]), nil
	case c.Controller.SubsystemNQN != "":
		return fmt.Sprintf("nvme.%s/nsid.%d", c.Controller.SubsystemNQN, a.d.NSID()), nil
	}
	return "", fmt.Errorf("%s: %w (no NGUID, EUI-64 or subsystem NQN)", a.d.Name(), pr.ErrNoIdentity)
}

// Capabilities reads Identify Controller and Identify Namespace; a
// controller without reservations (ONCS bit 5) gives ErrNotSupported.
func (a *Device) Capabilities(ctx context.Context) (*pr.Capabilities, error) {
	c, err := a.d.Capabilities(ctx)
	if err != nil {
		return nil, err
	}
	if !c.Reservations {
		return nil, &nvme.Error{Op: "identify", Device: a.d.Name(), Class: nvme.ErrNotSupported,
			Detail: "the controller does not support reservations (ONCS bit 5 clear)"}
	}
	return &pr.Capabilities{PersistThroughPowerLoss: c.PTPL(), AllTargetPorts: true, HostRegistration: true,
		Types: pr.TypesWhere(func(t pr.Type) bool { return c.Supports(nvme.FromPR(t)) })}, nil
}

// report reads the Reservation Report and refuses a partial one: a
// registrant missing from it may still be registered.
func (a *Device) report(ctx context.Context) (*nvme.Report, error) {
	r, err := a.d.Report(ctx)
	if err != nil {
		return nil, err
	}
	if r.Partial {
		return nil, &nvme.Error{Op: "reservation-report", Device: a.d.Name(), Class: pr.ErrMalformed,
			Detail: fmt.Sprintf("%d registered controllers do not fit in the largest report; refusing to decide on part of them", r.NumRegistered)}
	}
	return r, nil
}

// hosts returns the registrants once per host, in report order; a host is
// a holder if any of its entries is.
func hosts(r *nvme.Report) []nvme.Registrant {
	var out []nvme.Registrant
	idx := map[nvme.HostID]int{}
	for _, g := range r.Registrants {
		if i, ok := idx[g.HostID]; ok {
			out[i].Holder = out[i].Holder || g.Holder
			continue
		}
		idx[g.HostID] = len(out)
		out = append(out, g)
	}
	return out
}

// ReadKeys lists one key per registered host.
func (a *Device) ReadKeys(ctx context.Context) (*pr.KeyList, error) {
	r, err := a.report(ctx)
	if err != nil {
		return nil, err
	}
	kl := &pr.KeyList{Generation: r.Generation, Keys: []pr.Key{}}
	for _, g := range hosts(r) {
		kl.Keys = append(kl.Keys, g.Key)
	}
	return kl, nil
}

// ReadReservation reports RTYPE and, for the types other than
// all-registrants, the holder's key (0 for all-registrants, as SCSI's READ
// RESERVATION).
func (a *Device) ReadReservation(ctx context.Context) (*pr.Reservation, error) {
	r, err := a.report(ctx)
	if err != nil {
		return nil, err
	}
	res, err := a.reservation(r)
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// reservation is the reservation a Report shows.
func (a *Device) reservation(r *nvme.Report) (pr.Reservation, error) {
	res := pr.Reservation{Generation: r.Generation}
	if r.Type == nvme.TypeNone {
		return res, nil
	}
	res.Present, res.Type = true, r.Type.PR()
	if !r.Type.AllRegistrants() {
		h := r.Holder()
		if h == nil {
			return pr.Reservation{}, &nvme.Error{Op: "reservation-report", Device: a.d.Name(), Class: pr.ErrMalformed,
				Detail: fmt.Sprintf("a %v reservation without a holder", r.Type)}
		}
		res.Key = h.Key
	}
	return res, nil
}

// ReadRegistrations lists one registration per host, named by its Host
// Identifier, with the reservation of the same Report.
func (a *Device) ReadRegistrations(ctx context.Context) (*pr.Registrations, error) {
	r, err := a.report(ctx)
	if err != nil {
		return nil, err
	}
	res, err := a.reservation(r)
	if err != nil {
		return nil, err
	}
	out := &pr.Registrations{Generation: r.Generation, Reservation: res}
	for _, g := range hosts(r) {
		out.List = append(out.List, pr.Registration{Key: g.Key, Holder: g.Holder, Initiator: "host " + g.HostID.String()})
	}
	return out, nil
}

func options(o pr.RegisterOptions) nvme.RegisterOptions {
	if o.PersistThroughPowerLoss {
		return nvme.RegisterOptions{PTPL: nvme.PTPLSet}
	}
	return nvme.RegisterOptions{PTPL: nvme.PTPLNoChange}
}

func (a *Device) Register(ctx context.Context, rk, sark pr.Key, opt pr.RegisterOptions) error {
	switch {
	case rk == 0 && sark == 0:
		return nil // SCSI: an unregistered nexus "unregistering" is a no-op
	case rk == 0:
		return a.d.Register(ctx, sark, options(opt))
	case sark == 0:
		return a.d.Unregister(ctx, rk)
	}
	return a.d.Replace(ctx, rk, sark, options(opt))
}

// RegisterAndIgnore registers sark whatever the host's key; sark = 0
// unregisters the host (its key is looked up by Host Identifier).
func (a *Device) RegisterAndIgnore(ctx context.Context, sark pr.Key, opt pr.RegisterOptions) error {
	if sark != 0 {
		return a.d.RegisterAndIgnore(ctx, sark, options(opt))
	}
	id, err := a.d.HostID(ctx)
	if err != nil {
		return err
	}
	r, err := a.report(ctx)
	if err != nil {
		return err
	}
	for _, g := range r.Registrants {
		if g.HostID == id {
			return a.d.Unregister(ctx, g.Key)
		}
	}
	return nil
}

func (a *Device) Reserve(ctx context.Context, rk pr.Key, t pr.Type) error {
	return a.d.Acquire(ctx, rk, nvme.FromPR(t))
}
