package sim

import (
	"encoding/binary"

	"github.com/fence-scsi-go/fence_scsi_go/internal/nvme"
)

// reservationCmd decodes and checks a reservation command, then executes it.
func (ns *Namespace) reservationCmd(c *Controller, cmd *nvme.Command) nvme.Status {
	act := uint8(cmd.CDW10 & 7)
	iekey := cmd.CDW10&(1<<3) != 0
	rtype := nvme.ReservationType(cmd.CDW10 >> 8)
	switch cmd.Opcode {
	case nvme.OpReservationReport:
		return ns.report(cmd)
	case nvme.OpReservationRegister:
		if len(cmd.Data) < 16 || act > 2 || cmd.CDW10&0x3FFFFFF0 != 0 {
			return dnr(nvme.StatusInvalidField)
		}
		cptpl := nvme.CPTPL(cmd.CDW10 >> 30)
		if cptpl == 1 || cptpl == nvme.PTPLSet && ns.rescap&nvme.RescapPTPL == 0 {
			return dnr(nvme.StatusInvalidField)
		}
		st := ns.register(c.host, act, iekey, key(cmd.Data, 0), key(cmd.Data, 8))
		if st.OK() && cptpl != nvme.PTPLNoChange {
			ns.ptpl = cptpl == nvme.PTPLSet
		}
		return st
	case nvme.OpReservationAcquire:
		if len(cmd.Data) < 16 || act > 2 || iekey || !rtype.Valid() || ns.rescap&(1<<rtype) == 0 {
			return dnr(nvme.StatusInvalidField)
		}
		return ns.acquire(c.host, act, rtype, key(cmd.Data, 0), key(cmd.Data, 8))
	default: // release
		if len(cmd.Data) < 8 || act > 1 || iekey {
			return dnr(nvme.StatusInvalidField)
		}
		return ns.release(c.host, act, rtype, key(cmd.Data, 0))
	}
}

func key(b []byte, off int) nvme.Key { return nvme.Key(binary.LittleEndian.Uint64(b[off:])) }

var conflict = dnr(nvme.StatusReservationConflict)

// registrant returns host's registration, or nil.
func (ns *Namespace) registrant(host nvme.HostID) *registrant {
	for _, r := range ns.regs {
		if r.host == host {
			return r
		}
	}
	return nil
}

// isHolder reports whether host holds the reservation.
func (ns *Namespace) isHolder(host nvme.HostID) bool {
	if ns.res == nil {
		return false
	}
	if ns.res.typ.AllRegistrants() {
		return ns.registrant(host) != nil
	}
	return ns.res.holder == host
}

// unregister removes r; the reservation goes with its holder (for the
// all-registrants types, with the last registrant).
func (ns *Namespace) unregister(r *registrant) {
	for i, x := range ns.regs {
		if x == r {
			ns.regs = append(ns.regs[:i:i], ns.regs[i+1:]...)
			break
		}
	}
	if ns.res == nil {
		return
	}
	if ns.res.typ.AllRegistrants() && len(ns.regs) == 0 || !ns.res.typ.AllRegistrants() && ns.res.holder == r.host {
		ns.res = nil
	}
}

// register executes Reservation Register; every success bumps the generation.
func (ns *Namespace) register(host nvme.HostID, act uint8, iekey bool, crkey, nrkey nvme.Key) nvme.Status {
	r := ns.registrant(host)
	switch {
	case act == 0 && r == nil:
		ns.regs = append(ns.regs, &registrant{host: host, key: nrkey})
	case act == 0 && r.key != nrkey:
		return conflict
	case act == 0:
	case r == nil || !iekey && r.key != crkey:
		return conflict
	case act == 1:
		ns.unregister(r)
	default: // replace
		r.key = nrkey
	}
	ns.generation++
	return nvme.StatusSuccess
}

// checkKey is the CRKEY check of Acquire and Release.
func (ns *Namespace) checkKey(host nvme.HostID, crkey nvme.Key) *registrant {
	if r := ns.registrant(host); r != nil && r.key == crkey {
		return r
	}
	return nil
}

// acquire executes Reservation Acquire (acquire, preempt, preempt and abort).
func (ns *Namespace) acquire(host nvme.HostID, act uint8, t nvme.ReservationType, crkey, prkey nvme.Key) nvme.Status {
	if ns.checkKey(host, crkey) == nil {
		return conflict
	}
	if act == 0 {
		switch {
		case ns.res == nil:
			ns.res = &reservation{typ: t, holder: host}
		case !ns.isHolder(host) || ns.res.typ != t:
			return conflict
		}
		return nvme.StatusSuccess
	}
	st := ns.preempt(host, t, prkey)
	if st.OK() {
		ns.generation++
	}
	return st
}

// preempt applies the preempt rules to the current reservation.
func (ns *Namespace) preempt(host nvme.HostID, t nvme.ReservationType, prkey nvme.Key) nvme.Status {
	switch {
	case ns.res == nil:
		return ns.unregisterKey(prkey, nil)
	case ns.res.typ.AllRegistrants() && prkey == 0:
		ns.res = &reservation{typ: t, holder: host}
		for _, r := range append([]*registrant(nil), ns.regs...) {
			if r.host != host {
				ns.unregister(r)
			}
		}
		return nvme.StatusSuccess
	case ns.res.typ.AllRegistrants():
		return ns.unregisterKey(prkey, nil)
	case ns.res.holder == host && ns.linuxTarget:
		ns.res.typ = t // the Linux target only changes the type, whatever PRKEY
		return nvme.StatusSuccess
	case prkey == ns.registrant(ns.res.holder).key:
		ns.res = &reservation{typ: t, holder: host} // also the holder changing its type
		ns.unregisterKey(prkey, &host)
		return nvme.StatusSuccess
	case prkey != 0:
		return ns.unregisterKey(prkey, nil)
	}
	return dnr(nvme.StatusInvalidField)
}

// unregisterKey removes every registrant with key k except host (if set);
// a conflict if there was none.
func (ns *Namespace) unregisterKey(k nvme.Key, except *nvme.HostID) nvme.Status {
	st := conflict
	for _, r := range append([]*registrant(nil), ns.regs...) {
		if r.key == k && (except == nil || r.host != *except) {
			ns.unregister(r)
			st = nvme.StatusSuccess
		}
	}
	if except != nil {
		return nvme.StatusSuccess
	}
	return st
}

// release executes Reservation Release (release, clear).
func (ns *Namespace) release(host nvme.HostID, act uint8, t nvme.ReservationType, crkey nvme.Key) nvme.Status {
	if ns.checkKey(host, crkey) == nil {
		return conflict
	}
	if act == 1 {
		ns.regs, ns.res = nil, nil
		ns.generation++
		return nvme.StatusSuccess
	}
	if !ns.isHolder(host) {
		return nvme.StatusSuccess
	}
	if ns.res.typ != t && ns.linuxTarget {
		return conflict
	}
	if ns.res.typ != t {
		return dnr(nvme.StatusInvalidField)
	}
	ns.res = nil
	return nvme.StatusSuccess
}

// allowed reports whether host may read or write under the reservation
// (NVMe Base 2.0 section 8.19, command behavior per reservation type).
func (ns *Namespace) allowed(host nvme.HostID, write bool) bool {
	if ns.res == nil || ns.isHolder(host) {
		return true
	}
	registered := ns.registrant(host) != nil
	switch ns.res.typ {
	case nvme.WE:
		return !write
	case nvme.EA:
		return false
	case nvme.WERO, nvme.WEAR:
		return !write || registered
	}
	return registered // EA-RO, EA-AR
}
