package sim

import "github.com/fence-scsi-go/fence_scsi_go/internal/scsi"

// reserve executes RESERVE (SPC-4 5.13, reserving): no generation change, no UA.
func (lu *LU) reserve(nexus string, req prOutRequest) answer {
	rk := req.rk
	if r := lu.registration(nexus); r != nil && lu.quirks.Has(QuirkReserveIgnoresKey) {
		rk = r.key
	}
	if _, a := lu.keyCheck(nexus, rk, true); a != nil {
		return *a
	}
	if a := lu.typeScopeCheck(req); a != nil {
		return *a
	}
	if lu.res == nil {
		lu.res = &reservation{typ: req.typ, scope: req.scope}
		if !req.typ.AllRegistrants() {
			lu.res.holder = nexus
		}
		return good(nil)
	}
	if lu.isHolder(nexus) && lu.res.typ == req.typ && lu.res.scope == req.scope {
		return good(nil)
	}
	return conflict()
}

// release executes RELEASE (SPC-4 5.13, releasing): no generation change.
func (lu *LU) release(nexus string, req prOutRequest) answer {
	r := lu.registration(nexus)
	if r != nil && r.key != req.rk && !lu.isHolder(nexus) && lu.quirks.Has(QuirkReleaseNonHolderAnyKey) {
		return good(nil) // LIO and tgt look at the holder before the key
	}
	if _, a := lu.keyCheck(nexus, req.rk, true); a != nil {
		return *a
	}
	if a := lu.typeScopeCheck(req); a != nil {
		return *a
	}
	if !lu.isHolder(nexus) { // also: no reservation
		return good(nil)
	}
	if lu.res.typ != req.typ || lu.res.scope != req.scope {
		if lu.quirks.Has(QuirkReleaseWrongTypeConflict) {
			return conflict()
		}
		return checkCondition(scsi.SenseIllegalRequest, 0x26, 0x04)
	}
	t := lu.res.typ
	lu.res = nil
	notify := t.RegistrantsOnly() || t.AllRegistrants()
	if lu.quirks.Has(QuirkReleaseUAInverted) {
		notify = !notify
	}
	switch {
	case notify && lu.quirks.Has(QuirkUAReleasedMisrouted):
		lu.queueReleasedMisrouted(nexus)
	case notify:
		for _, o := range lu.regs {
			if o.nexus != nexus {
				lu.queueUA(o.nexus, 0x2A, 0x04)
			}
		}
	}
	return good(nil)
}

// clearAll executes CLEAR (SPC-4 5.13, clearing): everything goes, generation +1 once,
// UA 2A/03 to every other previously registered nexus.
func (lu *LU) clearAll(nexus string, req prOutRequest) answer {
	if _, a := lu.keyCheck(nexus, req.rk, true); a != nil {
		return *a
	}
	for _, o := range lu.regs {
		if o.nexus != nexus {
			lu.queueUA(o.nexus, 0x2A, 0x03)
		}
	}
	lu.regs, lu.res = nil, nil
	lu.generation++
	return good(nil)
}

// preempt executes PREEMPT and PREEMPT AND ABORT (SPC-4 5.13, preempting; case by case).
func (lu *LU) preempt(nexus string, req prOutRequest) answer {
	if _, a := lu.keyCheck(nexus, req.rk, false); a != nil {
		return *a
	}
	if a := lu.typeScopeCheck(req); a != nil {
		return *a
	}
	var victims []*registration
	switch {
	case req.sark == 0 && lu.res != nil && lu.res.typ.AllRegistrants():
		victims = lu.preemptAllRegistrants(nexus, req)
	case req.sark == 0:
		return lu.preemptZeroKey(req)
	case lu.res != nil && !lu.res.typ.AllRegistrants() && lu.holderKey() == req.sark:
		victims = lu.preemptHolder(nexus, req)
	default:
		var ok bool
		if victims, ok = lu.preemptRegistrations(nexus, req); !ok {
			return conflict()
		}
	}
	lu.removeAll(victims)
	lu.dropOrphanReservation()
	lu.notifyPreempted(nexus, req, victims)
	lu.generation++
	return good(nil)
}

// withKey returns the registrations with key k, except the one of nexus except.
func (lu *LU) withKey(k scsi.Key, except string) []*registration {
	var out []*registration
	for _, r := range lu.regs {
		if r.key == k && r.nexus != except {
			out = append(out, r)
		}
	}
	return out
}

// newReservation makes the sender hold a reservation of the requested type
// (nobody holds an all-registrants one).
func (lu *LU) newReservation(nexus string, req prOutRequest) {
	lu.res = &reservation{typ: req.typ, scope: req.scope, holder: nexus}
	if req.typ.AllRegistrants() {
		lu.res.holder = ""
	}
}

// preemptAllRegistrants is PREEMPT with SARK 0 under an all-registrants
// reservation: everyone else goes; the sender holds the new reservation.
func (lu *LU) preemptAllRegistrants(nexus string, req prOutRequest) []*registration {
	var victims []*registration
	for _, r := range lu.regs {
		if r.nexus != nexus {
			victims = append(victims, r)
		}
	}
	lu.newReservation(nexus, req)
	return victims
}

// preemptZeroKey answers PREEMPT with SARK 0 without an all-registrants
// reservation: an invalid parameter, or what the quirks make of it.
func (lu *LU) preemptZeroKey(req prOutRequest) answer {
	if lu.res == nil && lu.quirks.Has(QuirkPreemptZeroNoReservation) {
		lu.generation++
		return good(nil)
	}
	if lu.res != nil && lu.quirks.Has(QuirkPreemptZeroInvalidCDB) {
		return checkCondition(scsi.SenseIllegalRequest, 0x24, 0x00)
	}
	return invalidParamField(8)
}

// preemptHolder is the preempt of the holder's key (also self-preempt by
// the holder): the sender takes over, its own registration stays. A new type
// or scope also removes the victims at once and tells every other nexus
// that the reservation was released.
func (lu *LU) preemptHolder(nexus string, req prOutRequest) []*registration {
	victims := lu.withKey(req.sark, nexus)
	old := *lu.res
	lu.newReservation(nexus, req)
	if old.typ != req.typ || old.scope != req.scope {
		lu.removeAll(victims)
		for _, o := range lu.regs {
			if o.nexus != nexus {
				lu.queueUA(o.nexus, 0x2A, 0x04)
			}
		}
	}
	return victims
}

// preemptRegistrations is the preempt without a reservation, under an
// all-registrants one, or of a non-holder key: only registrations go (the
// sender's too when RK = SARK); the reservation stays. ok is false when
// nothing matches (RESERVATION CONFLICT).
func (lu *LU) preemptRegistrations(nexus string, req prOutRequest) (victims []*registration, ok bool) {
	if !lu.quirks.Has(QuirkPreemptKeepsSender) {
		victims = lu.withKey(req.sark, "")
		return victims, len(victims) > 0
	}
	victims = lu.withKey(req.sark, nexus)
	if len(victims) == 0 && lu.registration(nexus).key == req.sark {
		return nil, true // tgt: the sender's own key exists; nothing is removed
	}
	return victims, len(victims) > 0
}

// dropOrphanReservation ends a reservation nobody can hold any more: an
// all-registrants one without registrations, or one whose holder is gone.
func (lu *LU) dropOrphanReservation() {
	if lu.res != nil && lu.res.typ.AllRegistrants() && len(lu.regs) == 0 {
		lu.res = nil
	}
	if lu.res != nil && !lu.res.typ.AllRegistrants() && lu.registration(lu.res.holder) == nil {
		lu.res = nil // can not happen per SPC-4 5.13 (preempting), kept as an invariant
	}
}

// notifyPreempted queues UNIT ATTENTION REGISTRATIONS PREEMPTED (2A/05) for
// every other preempted nexus; PREEMPT AND ABORT also aborts its tasks.
func (lu *LU) notifyPreempted(nexus string, req prOutRequest, victims []*registration) {
	ascq := uint8(0x05)
	if lu.quirks.Has(QuirkUAPreemptedAsReservations) {
		ascq = 0x03
	}
	for _, v := range victims {
		if v.nexus == nexus {
			continue
		}
		lu.queueUA(v.nexus, 0x2A, ascq)
		if req.sa == saPreemptAndAbort {
			lu.nexusLocked(v.nexus).epoch++ // abort its queued tasks
		}
	}
}

// holderKey is the key of the single holder of a non-AR reservation.
func (lu *LU) holderKey() scsi.Key {
	if r := lu.registration(lu.res.holder); r != nil {
		return r.key
	}
	return 0
}

// removeAll removes the given registrations (idempotent).
func (lu *LU) removeAll(rs []*registration) {
	for _, r := range rs {
		lu.removeRegistration(r)
	}
}
