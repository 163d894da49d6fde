package conformance

import (
	"encoding/binary"
	"errors"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

// allTypes are the six reservation types, in libiscsi's order.
var allTypes = []scsi.ReservationType{
	scsi.TypeWriteExclusive, scsi.TypeExclusiveAccess,
	scsi.TypeWriteExclusiveRegistrantsOnly, scsi.TypeExclusiveAccessRegistrantsOnly,
	scsi.TypeWriteExclusiveAllRegistrants, scsi.TypeExclusiveAccessAllRegistrants,
}

// holderKey is what READ RESERVATION shows for a reservation taken with k.
func holderKey(t scsi.ReservationType, k scsi.Key) scsi.Key {
	if t.AllRegistrants() {
		return 0
	}
	return k
}

// libiscsiCases are the PR cases of libiscsi's test-tool
// (test_prin_*.c, test_prout_*.c), rewritten as Cases.
func libiscsiCases() []Case {
	cs := []Case{
		{"PrinReadKeys.Simple", prinReadKeysSimple},
		{"PrinReadKeys.Truncate", prinReadKeysTruncate},
		{"PrinServiceactionRange.Range", prinServiceActionRange},
		{"PrinReportCapabilities.Simple", prinReportCapabilities},
		{"ProutRegister.Simple", proutRegisterSimple},
		{"ProutReserve.Simple", proutReserveSimple},
		{"ProutClear.Simple", proutClearSimple},
		{"ProutPreempt.RemoveRegistration", proutPreemptRemoveRegistration},
	}
	for _, t := range allTypes {
		name := map[scsi.ReservationType]string{1: "WE", 3: "EA", 5: "WERO", 6: "EARO", 7: "WEAR", 8: "EAAR"}[t]
		cs = append(cs,
			Case{"ProutReserve.Access" + name, func(h *H) { proutReserveAccess(h, t) }},
			Case{"ProutReserve.Ownership" + name, func(h *H) { proutReserveOwnership(h, t) }})
	}
	return cs
}

// rawPRIn sends PERSISTENT RESERVE IN with the given allocation length and
// returns the transferred bytes, or the classified error.
func rawPRIn(h *H, sa scsi.PRInServiceAction, alloc int) ([]byte, *scsi.Error) {
	h.Helper()
	res, err := h.Raw(0).Execute(h.Ctx, &scsi.Command{CDB: scsi.PRInCDB(sa, uint16(alloc)), Direction: scsi.DirFromDevice, DataInLen: alloc})
	h.OK(err, "PR IN SA %d", sa)
	if e := scsi.Classify(res); e != nil {
		return nil, e
	}
	return res.DataIn[:len(res.DataIn)-min(max(res.Resid, 0), len(res.DataIn))], nil
}

// prinReadKeysSimple: READ KEYS (alloc 16384) returns exactly 8 + ADDITIONAL
// LENGTH bytes and reports the rest as residual.
func prinReadKeysSimple(h *H) {
	h.Register(0, K(0))
	if kl := h.Keys(0); len(kl.Keys) != 1 || kl.Keys[0] != K(0) {
		h.Fatalf("keys %v, want [%v]", kl.Keys, K(0))
	}
	if _, ok := h.Target.(RawAccess); !ok {
		return
	}
	data, e := rawPRIn(h, scsi.PRInReadKeys, 16384)
	if e != nil {
		h.Fatalf("READ KEYS: %v", e)
	}
	if len(data) < 8 || int(binary.BigEndian.Uint32(data[4:8])) != len(data)-8 || len(data) != 16 {
		h.Fatalf("READ KEYS transferred %d bytes: % x", len(data), data)
	}
}

// prinReadKeysTruncate: with allocation 8 no key fits, yet ADDITIONAL
// LENGTH is not reduced (QuirkTruncatedAdditionalLength: older LIO cuts it).
func prinReadKeysTruncate(h *H) {
	h.Register(0, K(0))
	data, e := rawPRIn(h, scsi.PRInReadKeys, 8)
	if e != nil {
		h.Fatalf("READ KEYS alloc 8: %v", e)
	}
	want := uint32(8)
	if h.Q.Has(sim.QuirkTruncatedAdditionalLength) {
		want = 0
	}
	if len(data) != 8 || binary.BigEndian.Uint32(data[4:8]) != want {
		h.Fatalf("READ KEYS alloc 8: % x, want 8 bytes with ADDITIONAL LENGTH %d", data, want)
	}
	h.Unregister(0, K(0))
}

// prinServiceActionRange: SA 0-3 are GOOD (READ FULL STATUS is mandatory;
// QuirkNoReadFullStatus: tgt answers ILLEGAL REQUEST), SA 4-0x1F ILLEGAL REQUEST.
func prinServiceActionRange(h *H) {
	h.Keys(0)
	for sa := scsi.PRInServiceAction(0); sa < 0x20; sa++ {
		_, e := rawPRIn(h, sa, 16384)
		good := sa <= 2 || (sa == 3 && !h.Q.Has(sim.QuirkNoReadFullStatus))
		switch {
		case good && e != nil:
			h.Errorf("PR IN SA %d: %v, want GOOD", sa, e)
		case !good && !errors.Is(e, scsi.ErrIllegalRequest):
			h.Errorf("PR IN SA %d: %v, want ILLEGAL REQUEST", sa, e)
		}
	}
}

// prinReportCapabilities: sane capabilities; every advertised type can be
// reserved, read back and released.
func prinReportCapabilities(h *H) {
	h.Register(0, K(0))
	c, err := h.Dev(0).ReportCapabilities(h.Ctx)
	h.OK(err, "report capabilities")
	if c.AllowCommands > 5 || c.TypeMask&^uint16(1<<15|1<<14|1<<13|1<<11|1<<9|1<<0) != 0 {
		h.Fatalf("capabilities %+v", c)
	}
	if h.Q.Has(sim.QuirkNoCapabilityBits) && (c.PTPLC || c.ATPC || c.SIPC || c.CRH) {
		h.Errorf("QuirkNoCapabilityBits target reports %+v", c)
	}
	for _, t := range allTypes {
		if !c.Supports(t) {
			continue
		}
		h.Reserve(0, K(0), t)
		h.WantRes(t, holderKey(t, K(0)))
		h.OK(h.Dev(0).Release(h.Ctx, K(0), t), "release %v", t)
	}
	h.Unregister(0, K(0))
}

// proutRegisterSimple: REGISTER with RK 0 from a registered nexus conflicts;
// unregistering removes the key.
func proutRegisterSimple(h *H) {
	h.Register(0, K(0))
	h.WantKeys(K(0))
	h.Conflict(h.Dev(0).Register(h.Ctx, 0, K(0)+1, scsi.RegisterOptions{}), "REGISTER RK=0 from a registered nexus")
	h.Unregister(0, K(0))
	h.WantKeys()
}

// proutReserveSimple: each type can be reserved, read back and released.
func proutReserveSimple(h *H) {
	h.Register(0, K(0))
	for _, t := range allTypes {
		h.Reserve(0, K(0), t)
		h.WantRes(t, holderKey(t, K(0)))
		h.OK(h.Dev(0).Release(h.Ctx, K(0), t), "release %v", t)
	}
	h.WantRes(scsi.TypeNone, 0)
	h.Unregister(0, K(0))
}

// accessTable is the SPC-4 table 65 / SBC-4 4.17 summary: read/write of a registered
// non-holder, then of an unregistered one.
var accessTable = map[scsi.ReservationType][4]bool{
	scsi.TypeWriteExclusive:                 {true, false, true, false},
	scsi.TypeExclusiveAccess:                {false, false, false, false},
	scsi.TypeWriteExclusiveRegistrantsOnly:  {true, true, true, false},
	scsi.TypeExclusiveAccessRegistrantsOnly: {true, true, false, false},
	scsi.TypeWriteExclusiveAllRegistrants:   {true, true, true, false},
	scsi.TypeExclusiveAccessAllRegistrants:  {true, true, false, false},
}

// proutReserveAccess (2 I): the holder reads and writes; nexus 1 follows
// the access matrix registered, then unregistered.
func proutReserveAccess(h *H, t scsi.ReservationType) {
	h.IO()
	h.Register(0, K(0))
	h.Register(1, K(1))
	h.Reserve(0, K(0), t)
	h.WantIO(0, true, true)
	a := accessTable[t]
	h.WantIO(1, a[0], a[1])
	h.Unregister(1, K(1))
	h.WantIO(1, a[2], a[3])
	h.OK(h.Dev(0).Release(h.Ctx, K(0), t), "release")
	h.Unregister(0, K(0))
}

// proutReserveOwnership (2 I): when the holder unregisters, a single-holder
// reservation goes; an all-registrants one stays until the last registrant
// releases it.
func proutReserveOwnership(h *H, t scsi.ReservationType) {
	h.Register(0, K(0))
	h.Register(1, K(1))
	h.Reserve(0, K(0), t)
	h.Unregister(0, K(0))
	if !t.AllRegistrants() {
		h.WantRes(scsi.TypeNone, 0)
		h.TUR(1)
		h.Unregister(1, K(1))
		return
	}
	h.WantRes(t, 0) // read from nexus 0, now unregistered
	h.TUR(1)
	h.OK(h.Dev(1).Release(h.Ctx, K(1), t), "nexus 1 release")
	h.WantRes(scsi.TypeNone, 0)
	h.Unregister(1, K(1))
}

// proutClearSimple: CLEAR drops reservation and keys; the generation moves
// by exactly one (RESERVE does not bump it).
func proutClearSimple(h *H) {
	h.Register(0, K(0))
	g := h.WantKeys(K(0))
	h.Reserve(0, K(0), scsi.TypeExclusiveAccess)
	h.WantRes(scsi.TypeExclusiveAccess, K(0))
	h.OK(h.Dev(0).Clear(h.Ctx, K(0)), "clear")
	h.WantRes(scsi.TypeNone, 0)
	if g2 := h.WantKeys(); g2 != g+1 {
		h.Errorf("generation %d after CLEAR, want %d", g2, g+1)
	}
}

// proutPreemptRemoveRegistration (2 I): PREEMPT without a reservation only
// removes the victim's registration and bumps the generation once.
func proutPreemptRemoveRegistration(h *H) {
	h.Register(0, K(0))
	h.OK(h.Dev(0).Clear(h.Ctx, K(0)), "clear")
	h.Register(0, K(0))
	h.Register(1, K(1))
	g := h.WantKeys(K(0), K(1))
	h.OK(h.Dev(1).Preempt(h.Ctx, K(1), K(0), scsi.TypeExclusiveAccess), "preempt")
	h.WantUAs(0, h.Preempted())
	h.WantUAs(1)
	if g2 := h.WantKeys(K(1)); g2 != g+1 {
		h.Errorf("generation %d after PREEMPT, want %d", g2, g+1)
	}
	h.WantRes(scsi.TypeNone, 0)
	h.Unregister(1, K(1))
}
