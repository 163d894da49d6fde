package storagecheck

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// Inspect reads one path with INQUIRY and PERSISTENT RESERVE IN only.
// Failures are recorded in the report; nothing is sent that changes state.
func Inspect(ctx context.Context, p Path, cl Cluster) PathReport {
	r := PathReport{Path: p.Name, Nexus: p.Nexus, ThisNodeRegistered: "unknown", Registrations: []Registration{}}
	errf := func(op string, err error) { r.Errors = append(r.Errors, fmt.Sprintf("%s: %v", op, err)) }
	if inq, err := p.Dev.Inquiry(ctx); err != nil {
		errf("inquiry", err)
	} else {
		r.Vendor, r.Product, r.Revision = inq.Vendor, inq.Product, inq.Revision
	}
	readIdentity(ctx, p.Dev, &r, errf)
	caps, err := p.Dev.ReportCapabilities(ctx)
	switch {
	case err == nil:
		r.PRSupported, r.caps, r.Capabilities = true, caps, showCapabilities(caps)
	case prUnsupported(err):
		// A target may implement PR but not REPORT CAPABILITIES: READ KEYS decides.
	default:
		errf("report capabilities", err)
	}
	kl, err := p.Dev.ReadKeys(ctx)
	if err != nil {
		if prUnsupported(err) {
			r.PRSupported, r.noPR, r.Capabilities, r.caps = false, true, nil, nil
			return r
		}
		errf("read keys", err)
		return r
	}
	r.PRSupported = true
	gen := kl.Generation
	r.Generation = &gen
	r.keys = kl.Keys
	readReservation(ctx, p.Dev, &r, cl, errf)
	readRegistrations(ctx, p, &r, cl)
	return r
}

// prUnsupported reports whether err says the command is not implemented.
func prUnsupported(err error) bool {
	return errors.Is(err, scsi.ErrNotSupported) || errors.Is(err, scsi.ErrIllegalRequest)
}

func readIdentity(ctx context.Context, dev scsi.Device, r *PathReport, errf func(string, error)) {
	if page, err := dev.InquiryVPD(ctx, scsi.VPDUnitSerialNumber); err == nil {
		if s, err := scsi.ParseUnitSerialNumber(page); err == nil {
			r.Serial = s
		}
	}
	page, err := dev.InquiryVPD(ctx, scsi.VPDDeviceIdentification)
	if err != nil {
		errf("inquiry vpd 0x83", err)
	} else if ds, err := scsi.ParseDeviceIdentification(page); err != nil {
		errf("inquiry vpd 0x83", err)
	} else {
		r.Designators, r.Identity = designators(ds)
	}
	if r.Identity == "" && r.Serial != "" {
		r.Identity = fmt.Sprintf("serial.%s.%s.%s", r.Vendor, r.Product, r.Serial)
	}
}

func readReservation(ctx context.Context, dev scsi.Device, r *PathReport, cl Cluster, errf func(string, error)) {
	res, err := dev.ReadReservation(ctx)
	if err != nil {
		errf("read reservation", err)
		return
	}
	r.res = res
	if res.Present {
		r.Reservation = ReservationInfo{Present: true, Type: fmt.Sprintf("%s (%d)", res.Type, res.Type)}
		if res.Key != 0 || !res.Type.AllRegistrants() {
			r.Reservation.Key, r.Reservation.Owner = res.Key.String(), owner(cl, res.Key)
		}
	}
}

// readRegistrations lists the registrations, per I_T nexus when the target
// answers READ FULL STATUS, and decides whether this path's nexus carries
// this node's key (docs/check-storage.md, "Is every path registered?").
func readRegistrations(ctx context.Context, p Path, r *PathReport, cl Cluster) {
	fs, err := p.Dev.ReadFullStatus(ctx)
	if err == nil && !fs.Partial {
		r.FullStatus = true
		r.keys = r.keys[:0:0]
		for _, d := range fs.Descriptors {
			r.keys = append(r.keys, d.Key)
			r.Registrations = append(r.Registrations, Registration{
				Key: d.Key.String(), Owner: owner(cl, d.Key), Nexus: TransportID(d.TransportID), Holder: d.ReservationHolder})
		}
	} else {
		for _, k := range r.keys {
			r.Registrations = append(r.Registrations, Registration{Key: k.String(), Owner: owner(cl, k)})
		}
	}
	if cl.ThisKey != 0 {
		thisNode(p, r, cl)
	}
}

// thisNode decides whether this path's own nexus carries this node's key.
// With READ FULL STATUS and this host's full nexus name (iSCSI initiator
// name and ISID) the path's own registration is looked up; otherwise the
// registrations carrying the key are counted (only those of this host's
// initiator name when it is known), and Evaluate compares the count with
// the number of paths.
func thisNode(p Path, r *PathReport, cl Cluster) {
	initiator, _, full := strings.Cut(p.Nexus, ",i,0x")
	for i, k := range r.keys {
		if k != cl.ThisKey {
			continue
		}
		if r.FullStatus && initiator != "" && !strings.EqualFold(nexusName(r.Registrations[i].Nexus), initiator) {
			continue
		}
		r.own++
	}
	switch {
	case r.own == 0:
		r.ThisNodeRegistered = "no"
	case r.FullStatus && full:
		r.ThisNodeRegistered = "no"
		for _, g := range r.Registrations {
			if g.Key == cl.ThisKey.String() && sameNexus(g.Nexus, p.Nexus) {
				r.ThisNodeRegistered = "yes"
			}
		}
	}
}

// nexusName is the initiator name of a nexus name ("iqn...,i,0x..." -> "iqn...").
func nexusName(n string) string {
	name, _, _ := strings.Cut(n, ",i,0x")
	return name
}

// owner names the node a key belongs to.
func owner(cl Cluster, k scsi.Key) string {
	if cl.ThisKey != 0 && k == cl.ThisKey {
		if cl.ThisNode != "" {
			return "this node (" + cl.ThisNode + ")"
		}
		return "this node"
	}
	if n, ok := cl.Nodes[k]; ok {
		return n
	}
	if IsScratch(k) {
		return "check-storage scratch key"
	}
	return "unknown"
}

func showCapabilities(c *scsi.Capabilities) *Capabilities {
	out := &Capabilities{TypeMaskValid: c.TMV, PTPLC: c.PTPLC, PTPLA: c.PTPLA, ATPC: c.ATPC, SIPC: c.SIPC, CRH: c.CRH, Types: []string{}}
	for _, t := range []scsi.ReservationType{1, 3, 5, 6, 7, 8} {
		if c.TMV && c.Supports(t) {
			out.Types = append(out.Types, t.String())
		}
	}
	return out
}
