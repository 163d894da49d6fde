package sim

import (
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// PERSISTENT RESERVE OUT service actions (SPC-4 6.16.2).
const (
	saRegister          = 0x00
	saReserve           = 0x01
	saRelease           = 0x02
	saClear             = 0x03
	saPreempt           = 0x04
	saPreemptAndAbort   = 0x05
	saRegisterAndIgnore = 0x06
	saRegisterAndMove   = 0x07
	saReplaceLost       = 0x08
)

// Parameter list byte 20 flags (SPC-4 6.16.3).
const (
	flagAPTPL   = 0x01
	flagAllTgPt = 0x04
	flagSpecIPT = 0x08
)

// prOutRequest is a decoded PR OUT CDB and basic parameter list.
type prOutRequest struct {
	sa      byte
	scope   uint8
	typ     scsi.ReservationType
	rk      scsi.Key
	sark    scsi.Key
	aptpl   bool
	allTgPt bool
	specIPT bool
}

// prOut decodes and executes PERSISTENT RESERVE OUT (SPC-4 6.16, 5.13).
// CDB-level checks come first (unsupported service action, parameter list
// length, reserved bits: there is no key to check without a parameter list),
// then the key check (SPC-4 6.16.3), then type/scope and flag validation.
// REGISTER AND MOVE and REPLACE LOST RESERVATION are not implemented and
// answer 24/00: a fence agent sends neither.
func (lu *LU) prOut(n *nexus, cmd *scsi.Command) (answer, error) {
	cdb := cmd.CDB
	plen := binary.BigEndian.Uint32(cdb[5:9])
	if int(plen) != len(cmd.DataOut) { // SG_IO dxfer_len must equal it
		return answer{}, fmt.Errorf("sim: PR OUT parameter list length %d with %d data-out bytes", plen, len(cmd.DataOut))
	}
	sa := cdb[1] & 0x1F
	switch {
	case cdb[1]&0xE0 != 0, cdb[3] != 0, cdb[4] != 0:
		return invalidCDBField(1), nil
	case sa >= saRegisterAndMove:
		return invalidCDBField(1), nil
	case sa == saPreemptAndAbort && lu.quirks.Has(QuirkNoPreemptAndAbort):
		return invalidCDBField(1), nil
	case plen != 24:
		if lu.quirks.Has(QuirkParamLenInvalidCDB) {
			return invalidCDBField(5), nil
		}
		return checkCondition(scsi.SenseIllegalRequest, 0x1A, 0x00), nil
	}
	p := cmd.DataOut[:24]
	req := prOutRequest{
		sa:      sa,
		scope:   cdb[2] >> 4,
		typ:     scsi.ReservationType(cdb[2] & 0x0F),
		rk:      scsi.Key(binary.BigEndian.Uint64(p[0:8])),
		sark:    scsi.Key(binary.BigEndian.Uint64(p[8:16])),
		aptpl:   p[20]&flagAPTPL != 0,
		allTgPt: p[20]&flagAllTgPt != 0,
		specIPT: p[20]&flagSpecIPT != 0,
	}
	if lu.quirks.Has(QuirkRejectOptionalBits) && (req.aptpl || req.allTgPt || req.specIPT) {
		// tgt: 24/00 although the bits are in the parameter list, before any key check
		return checkCondition(scsi.SenseIllegalRequest, 0x24, 0x00), nil
	}
	switch sa {
	case saRegister, saRegisterAndIgnore:
		return lu.register(n.name, req), nil
	case saReserve:
		return lu.reserve(n.name, req), nil
	case saRelease:
		return lu.release(n.name, req), nil
	case saClear:
		return lu.clearAll(n.name, req), nil
	default:
		return lu.preempt(n.name, req), nil
	}
}

// keyCheck is the RESERVATION KEY check of SPC-4 6.16.3 for every service action but the REGISTER ones:
// the sender must be registered with RK. notReadyIfIdle applies LIO's
// NOT READY 08/00 for an unregistered sender when no reservation exists.
func (lu *LU) keyCheck(nexus string, rk scsi.Key, notReadyIfIdle bool) (*registration, *answer) {
	r := lu.registration(nexus)
	if r == nil {
		a := conflict()
		if notReadyIfIdle && lu.res == nil && lu.quirks.Has(QuirkNotReadyUnregistered) {
			a = notReadyCommFailure()
		}
		return nil, &a
	}
	if r.key != rk {
		a := conflict()
		return r, &a
	}
	return r, nil
}

// typeScopeCheck validates TYPE (24/00) and SCOPE (24/00; LIO 26/00) for
// RESERVE, RELEASE and PREEMPT (SPC-4 6.15.3.2, 6.15.3.3).
func (lu *LU) typeScopeCheck(req prOutRequest) *answer {
	if req.scope != 0 {
		a := invalidCDBField(2)
		if lu.quirks.Has(QuirkScopeParamList) {
			a = invalidParamField(0)
		}
		return &a
	}
	if !req.typ.Valid() {
		a := invalidCDBField(2)
		return &a
	}
	return nil
}

// register executes REGISTER and REGISTER AND IGNORE EXISTING KEY
// (SPC-4 5.13, registering; 6.16.2).
func (lu *LU) register(nexus string, req prOutRequest) answer {
	r := lu.registration(nexus)
	if req.sa == saRegister && ((r == nil && req.rk != 0) || (r != nil && req.rk != r.key)) {
		return conflict()
	}
	if req.specIPT { // SPEC_I_PT is not implemented (SIP_C = 0 in strict mode)
		return invalidParamField(20)
	}
	if r != nil && r.allTgPt && !req.allTgPt && lu.quirks.Has(QuirkAllTgPtSticky) {
		return checkCondition(scsi.SenseIllegalRequest, 0x24, 0x00) // LIO: TCM_INVALID_CDB_FIELD, no field pointer
	}
	switch {
	case r == nil && req.sark == 0: // no-op (unregistered nexus, SARK 0)
		if lu.quirks.Has(QuirkGenerationOnNoopRegister) {
			lu.generation++
		}
		return good(nil)
	case r == nil:
		lu.regs = append(lu.regs, &registration{nexus: nexus, key: req.sark, allTgPt: req.allTgPt})
		lu.aptpl = req.aptpl
	case req.sark == 0:
		lu.unregister(r)
		if lu.quirks.Has(QuirkNoGenerationOnUnregister) {
			return lu.aptplWritten()
		}
	default:
		r.key = req.sark
		lu.aptpl = req.aptpl
	}
	lu.generation++
	return lu.aptplWritten()
}

// aptplWritten is GOOD, or NOT READY 08/00 when QuirkAPTPLDirMissing models
// LIO failing to write its APTPL file after changing the registration.
func (lu *LU) aptplWritten() answer {
	if lu.quirks.Has(QuirkAPTPLDirMissing) {
		return notReadyCommFailure()
	}
	return good(nil)
}

// unregister removes r (SPC-4 5.13, releasing and removing registrations): a non-AR reservation it held is released,
// with UA 2A/04 to the other registrants for the RO types; an AR
// reservation goes with the last registrant.
func (lu *LU) unregister(r *registration) {
	holder := lu.isHolder(r.nexus)
	lu.removeRegistration(r)
	if lu.res == nil || !holder {
		return
	}
	if lu.res.typ.AllRegistrants() {
		if len(lu.regs) == 0 {
			lu.res = nil
		}
		return
	}
	t := lu.res.typ
	lu.res = nil
	if lu.quirks.Has(QuirkUAReleasedMisrouted) {
		lu.queueReleasedMisrouted(r.nexus)
		return
	}
	if t.RegistrantsOnly() {
		for _, o := range lu.regs {
			lu.queueUA(o.nexus, 0x2A, 0x04)
		}
	}
}

// queueReleasedMisrouted is QuirkUAReleasedMisrouted: for each registrant
// but sender, 2A/04 on every known nexus except that registrant.
func (lu *LU) queueReleasedMisrouted(sender string) {
	names := make([]string, 0, len(lu.nexuses))
	for name := range lu.nexuses {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, o := range lu.regs {
		if o.nexus == sender {
			continue
		}
		for _, name := range names {
			if name != o.nexus {
				lu.queueUA(name, 0x2A, 0x04)
			}
		}
	}
}

// removeRegistration deletes r, keeping registration order.
func (lu *LU) removeRegistration(r *registration) {
	for i, x := range lu.regs {
		if x == r {
			lu.regs = append(lu.regs[:i:i], lu.regs[i+1:]...)
			return
		}
	}
}
