package conformance

import (
	"encoding/binary"
	"errors"
	"strings"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

const (
	typeWE   = scsi.TypeWriteExclusive
	typeEA   = scsi.TypeExclusiveAccess
	typeWERO = scsi.TypeWriteExclusiveRegistrantsOnly
	typeEARO = scsi.TypeExclusiveAccessRegistrantsOnly
	typeWEAR = scsi.TypeWriteExclusiveAllRegistrants
)

// extraCases are scenarios beyond libiscsi's test-tool checklist, derived
// from SPC-4 5.13 and the target deviations of docs/pr-notes.md.
func extraCases() []Case {
	return []Case{
		{"Preempt.HolderMovesReservation", preemptHolder},
		{"Preempt.NonHolderUnderWERO", preemptNonHolder},
		{"Preempt.SelfByHolder", preemptSelfHolder},
		{"Preempt.SelfByNonHolder", preemptSelfNonHolder},
		{"Preempt.UnmatchedKey", preemptUnmatched},
		{"Preempt.ZeroKeyWithoutAR", preemptZeroWithoutAR},
		{"Preempt.ZeroKeyUnderAR", preemptZeroUnderAR},
		{"ProutUnregistered.Conflict", proutUnregistered},
		{"Reserve.HolderOtherType", reserveHolderOtherType},
		{"Release.WrongType", releaseWrongType},
		{"Release.NonHolder", releaseNonHolder},
		{"Register.SharedKey", registerSharedKey},
		{"PreemptAndAbort.FencesWrites", preemptAndAbortFences},
		{"Generation.Invariants", generationInvariants},
		{"PrinReadFullStatus.Truncate", prinReadFullStatusTruncate},
		{"Register.AllTgPtUnregister", registerAllTgPtUnregister},
	}
}

// prinReadFullStatusTruncate: with allocation 8 no descriptor fits, yet
// ADDITIONAL LENGTH is not reduced (QuirkTruncatedFullStatusLength: LIO
// counts, and sends, only the descriptors that fit). QuirkNoReadFullStatus
// targets skip.
func prinReadFullStatusTruncate(h *H) {
	if h.Q.Has(sim.QuirkNoReadFullStatus) {
		h.Skip("target has no READ FULL STATUS (QuirkNoReadFullStatus)")
	}
	h.Raw(0)
	h.Register(0, K(0))
	h.Register(1, K(1))
	full, e := rawPRIn(h, scsi.PRInReadFullStatus, 16384)
	if e != nil || len(full) < 8 {
		h.Fatalf("READ FULL STATUS alloc 16384: %v % x", e, full)
	}
	want := binary.BigEndian.Uint32(full[4:8])
	if want == 0 || int(want) != len(full)-8 {
		h.Fatalf("READ FULL STATUS alloc 16384: ADDITIONAL LENGTH %d with %d bytes", want, len(full))
	}
	if h.Q.Has(sim.QuirkTruncatedFullStatusLength) {
		want = 0
	}
	data, e := rawPRIn(h, scsi.PRInReadFullStatus, 8)
	if e != nil || len(data) != 8 || binary.BigEndian.Uint32(data[4:8]) != want {
		h.Fatalf("READ FULL STATUS alloc 8: %v % x, want 8 bytes with ADDITIONAL LENGTH %d", e, data, want)
	}
	if fs, err := h.Dev(0).ReadFullStatus(h.Ctx); err != nil || len(fs.Descriptors) != 2 {
		h.Fatalf("Device.ReadFullStatus: %v, %+v; want 2 descriptors", err, fs)
	}
}

// registerAllTgPtUnregister: a registration made with ALL_TG_PT = 1 is
// removed by a plain unregister (SPC-4: the bit is ignored then);
// QuirkAllTgPtSticky (LIO) refuses that with 24/00, keeps the key, and
// wants ALL_TG_PT = 1 again. QuirkRejectOptionalBits targets (tgt) skip.
func registerAllTgPtUnregister(h *H) {
	if h.Q.Has(sim.QuirkRejectOptionalBits) {
		h.Skip("target rejects ALL_TG_PT (QuirkRejectOptionalBits)")
	}
	atp := scsi.RegisterOptions{AllTgPt: true}
	h.OK(h.Dev(1).RegisterAndIgnore(h.Ctx, K(1), atp), "register ALL_TG_PT")
	// Whatever happens, leave nothing the next case's clean-up cannot remove.
	defer h.Dev(1).Register(h.Ctx, K(1), 0, atp) //nolint:errcheck
	h.WantKeys(K(1))
	err := h.Dev(1).Register(h.Ctx, K(1), 0, scsi.RegisterOptions{})
	if !h.Q.Has(sim.QuirkAllTgPtSticky) {
		h.OK(err, "unregister without ALL_TG_PT")
		h.WantKeys()
		return
	}
	h.Sense(err, scsi.SenseIllegalRequest, 0x24, 0x00, "unregister without ALL_TG_PT")
	h.WantKeys(K(1))
	h.OK(h.Dev(1).Register(h.Ctx, K(1), 0, atp), "unregister with ALL_TG_PT")
	h.WantKeys()
}

// preemptHolder: preempting the holder's key moves the reservation to the
// sender with the new type; the victim gets 2A/05, a third registrant 2A/04.
func preemptHolder(h *H) {
	third := h.Target.Nexuses() >= 3
	h.Register(0, K(0))
	h.Register(1, K(1))
	if third {
		h.Register(2, K(2))
	}
	h.Reserve(0, K(0), typeWERO)
	g := h.Keys(0).Generation
	h.OK(h.Dev(1).Preempt(h.Ctx, K(1), K(0), typeEARO), "preempt holder")
	// UAs first: reading the state through a nexus consumes its UAs.
	h.WantUAs(0, h.Preempted())
	h.WantUAs(1)
	want := []scsi.Key{K(1)}
	if third {
		want = append(want, K(2))
		h.WantUAs(2, "2A/04")
	}
	h.WantRes(typeEARO, K(1))
	if g2 := h.WantKeys(want...); g2 != g+1 {
		h.Errorf("generation %d, want %d", g2, g+1)
	}
}

// preemptNonHolder: under WE-RO, fencing a non-holder removes its key and
// leaves the reservation alone (fence_scsi's common case).
func preemptNonHolder(h *H) {
	h.Register(0, K(0))
	h.Register(1, K(1))
	h.Reserve(0, K(0), typeWERO)
	h.OK(h.Dev(0).Preempt(h.Ctx, K(0), K(1), typeWERO), "preempt non-holder")
	h.WantRes(typeWERO, K(0))
	h.WantKeys(K(0))
	h.WantUAs(1, h.Preempted())
	h.WantUAs(0)
}

// preemptSelfHolder: the holder preempts its own key with another type: it
// keeps registration and reservation (new type), other registrants get
// 2A/04, and another nexus sharing the key is removed (third nexus).
func preemptSelfHolder(h *H) {
	third := h.Target.Nexuses() >= 3
	h.Register(0, K(0))
	h.Register(1, K(1))
	if third {
		h.Register(2, K(0))
	}
	h.Reserve(0, K(0), typeWERO)
	h.OK(h.Dev(0).Preempt(h.Ctx, K(0), K(0), typeEARO), "self-preempt by holder")
	h.WantRes(typeEARO, K(0))
	h.WantKeys(K(0), K(1))
	h.WantUAs(0)
	h.WantUAs(1, "2A/04")
	if third {
		h.WantUAs(2, h.Preempted())
	}
}

// preemptSelfNonHolder: RK = SARK from a non-holder removes the sender's own
// registration, without a UA for it; the reservation is unchanged
// (QuirkPreemptKeepsSender: tgt keeps the sender's registration).
func preemptSelfNonHolder(h *H) {
	h.Register(0, K(0))
	h.Register(1, K(1))
	h.Reserve(0, K(0), typeWERO)
	h.OK(h.Dev(1).Preempt(h.Ctx, K(1), K(1), typeWERO), "self-preempt by non-holder")
	if h.Q.Has(sim.QuirkPreemptKeepsSender) {
		h.WantKeys(K(0), K(1))
	} else {
		h.WantKeys(K(0))
	}
	h.WantRes(typeWERO, K(0))
	h.WantUAs(1)
	h.WantUAs(0)
}

// preemptUnmatched: a SARK nobody holds is a RESERVATION CONFLICT and
// changes nothing, not even the generation.
func preemptUnmatched(h *H) {
	h.Register(0, K(0))
	h.Register(1, K(1))
	h.Reserve(0, K(0), typeWERO)
	g := h.Keys(0).Generation
	h.Conflict(h.Dev(1).Preempt(h.Ctx, K(1), K(9), typeWERO), "preempt unknown key")
	if g2 := h.WantKeys(K(0), K(1)); g2 != g {
		h.Errorf("generation %d after a conflict, want %d", g2, g)
	}
	h.WantRes(typeWERO, K(0))
}

// preemptZeroWithoutAR: SARK 0 is only meaningful under an AR reservation:
// 26/00 otherwise (QuirkPreemptZeroNoReservation: tgt returns GOOD when no
// reservation exists; QuirkPreemptZeroInvalidCDB: 24/00 under one).
func preemptZeroWithoutAR(h *H) {
	h.Register(0, K(0))
	h.Register(1, K(1))
	err := h.Dev(1).Preempt(h.Ctx, K(1), 0, typeWERO)
	if h.Q.Has(sim.QuirkPreemptZeroNoReservation) {
		h.OK(err, "preempt SARK 0, no reservation")
	} else {
		h.Sense(err, scsi.SenseIllegalRequest, 0x26, 0x00, "preempt SARK 0, no reservation")
	}
	h.Reserve(0, K(0), typeWERO)
	asc := uint8(0x26) // QuirkPreemptZeroInvalidCDB (tgt): 24/00
	if h.Q.Has(sim.QuirkPreemptZeroInvalidCDB) {
		asc = 0x24
	}
	h.Sense(h.Dev(1).Preempt(h.Ctx, K(1), 0, typeWERO), scsi.SenseIllegalRequest, asc, 0x00, "preempt SARK 0 under WE-RO")
	h.WantKeys(K(0), K(1))
	h.WantRes(typeWERO, K(0))
}

// preemptZeroUnderAR: under WE-AR, SARK 0 removes every other registrant and
// the sender holds a new reservation of the CDB's type.
func preemptZeroUnderAR(h *H) {
	h.Register(0, K(0))
	h.Register(1, K(1))
	h.Reserve(0, K(0), typeWEAR)
	h.OK(h.Dev(1).Preempt(h.Ctx, K(1), 0, typeWERO), "preempt SARK 0 under WE-AR")
	h.WantUAs(0, h.Preempted())
	h.WantKeys(K(1))
	h.WantRes(typeWERO, K(1))
}

// proutUnregistered: RESERVE, RELEASE, CLEAR and PREEMPT from an
// unregistered nexus conflict. With no reservation at all,
// QuirkNotReadyUnregistered (LIO) answers NOT READY 08/00 to the first three.
func proutUnregistered(h *H) {
	h.Register(0, K(0))
	d := h.Dev(1)
	check := func(what string, err error, idle bool) {
		h.Helper()
		if idle && what != "preempt" && h.Q.Has(sim.QuirkNotReadyUnregistered) {
			h.Sense(err, scsi.SenseNotReady, 0x08, 0x00, "unregistered %s, no reservation", what)
			return
		}
		h.Conflict(err, "unregistered %s", what)
	}
	for _, idle := range []bool{true, false} {
		if !idle {
			h.Reserve(0, K(0), typeWERO)
		}
		check("reserve", d.Reserve(h.Ctx, K(1), typeWERO), idle)
		check("release", d.Release(h.Ctx, K(1), typeWERO), idle)
		check("clear", d.Clear(h.Ctx, K(1)), idle)
		check("preempt", d.Preempt(h.Ctx, K(1), K(0), typeWERO), idle)
	}
	h.WantKeys(K(0))
	h.WantRes(typeWERO, K(0))
}

// reserveHolderOtherType: the holder cannot change the type with RESERVE.
func reserveHolderOtherType(h *H) {
	h.Register(0, K(0))
	h.Reserve(0, K(0), typeWERO)
	h.Reserve(0, K(0), typeWERO) // same type: GOOD, no change
	h.Conflict(h.Dev(0).Reserve(h.Ctx, K(0), typeEA), "holder reserves another type")
	h.WantRes(typeWERO, K(0))
}

// releaseWrongType: 26/04, nothing released (QuirkReleaseWrongTypeConflict:
// LIO answers RESERVATION CONFLICT).
func releaseWrongType(h *H) {
	h.Register(0, K(0))
	h.Reserve(0, K(0), typeWERO)
	err := h.Dev(0).Release(h.Ctx, K(0), typeEA)
	if h.Q.Has(sim.QuirkReleaseWrongTypeConflict) {
		h.Conflict(err, "release with the wrong type")
	} else {
		h.Sense(err, scsi.SenseIllegalRequest, 0x26, 0x04, "release with the wrong type")
	}
	h.WantRes(typeWERO, K(0))
}

// releaseNonHolder: a registered non-holder's RELEASE is a GOOD no-op; with
// a wrong key it conflicts (QuirkReleaseNonHolderAnyKey: LIO/tgt GOOD).
func releaseNonHolder(h *H) {
	h.Register(0, K(0))
	h.Register(1, K(1))
	h.Reserve(0, K(0), typeWERO)
	h.OK(h.Dev(1).Release(h.Ctx, K(1), typeWERO), "non-holder release")
	err := h.Dev(1).Release(h.Ctx, K(9), typeWERO)
	if h.Q.Has(sim.QuirkReleaseNonHolderAnyKey) {
		h.OK(err, "non-holder release with a wrong key")
	} else {
		h.Conflict(err, "non-holder release with a wrong key")
	}
	h.WantRes(typeWERO, K(0))
	h.WantKeys(K(0), K(1))
	h.WantUAs(0)
}

// registerSharedKey: two nexuses of one host register one key: READ KEYS
// lists it twice, only the reserving nexus holds a WE reservation, and
// unregistering one path leaves the other.
func registerSharedKey(h *H) {
	h.Register(0, K(0))
	h.Register(1, K(0))
	h.WantKeys(K(0), K(0))
	h.Reserve(0, K(0), typeWE)
	if !h.Q.Has(sim.QuirkNoReadFullStatus) {
		fs, err := h.Dev(0).ReadFullStatus(h.Ctx)
		h.OK(err, "read full status")
		holders := 0
		for _, d := range fs.Descriptors {
			if d.Key != K(0) {
				h.Errorf("descriptor key %v", d.Key)
			}
			if d.ReservationHolder {
				holders++
			}
		}
		if len(fs.Descriptors) != 2 || holders != 1 {
			h.Errorf("READ FULL STATUS: %d descriptors, %d holders; want 2, 1", len(fs.Descriptors), holders)
		}
	}
	if _, ok := h.Target.(BlockIO); ok {
		h.WantIO(0, true, true)
		h.WantIO(1, true, false) // same key, but not the holder
	}
	h.Unregister(1, K(0))
	h.WantKeys(K(0))
	h.WantRes(typeWE, K(0))
}

// preemptAndAbortFences: after PREEMPT AND ABORT the victim can still read
// (WE-RO) but not write; the fencer writes (QuirkNoPreemptAndAbort: tgt
// answers 24/00 and nothing changes).
func preemptAndAbortFences(h *H) {
	h.Register(0, K(0))
	h.Register(1, K(1))
	h.Reserve(0, K(0), typeWERO)
	_, io := h.Target.(BlockIO)
	if io {
		h.WantIO(1, true, true)
	}
	err := h.Dev(0).PreemptAndAbort(h.Ctx, K(0), K(1), typeWERO)
	if h.Q.Has(sim.QuirkNoPreemptAndAbort) {
		h.Sense(err, scsi.SenseIllegalRequest, 0x24, 0x00, "preempt and abort")
		h.WantKeys(K(0), K(1))
		return
	}
	h.OK(err, "preempt and abort")
	h.WantKeys(K(0))
	h.WantRes(typeWERO, K(0))
	h.WantUAs(1, h.Preempted())
	if io {
		h.WantIO(1, true, false)
		h.WantIO(0, true, true)
	}
}

// generationInvariants (PRGENERATION, SPC-4 6.15.2): +1 per REGISTER-type change, CLEAR and
// PREEMPT; 0 for RESERVE, RELEASE, PR IN and failed commands. Unregister:
// QuirkNoGenerationOnUnregister (LIO) 0; no-op register:
// QuirkGenerationOnNoopRegister (tgt) +1.
func generationInvariants(h *H) {
	gen := func() uint32 { h.Helper(); return h.Keys(0).Generation }
	step := func(what string, want uint32, f func() error) {
		h.Helper()
		g := gen()
		err := f()
		if conflict := strings.HasPrefix(what, "conflicting"); (err != nil || conflict) && (!conflict || !errors.Is(err, scsi.ErrReservationConflict)) {
			h.Fatalf("%s: %v", what, err)
		}
		if d := gen() - g; d != want {
			h.Errorf("%s changed the generation by %d, want %d", what, d, want)
		}
	}
	d0, d1 := h.Dev(0), h.Dev(1)
	noop := uint32(0)
	if h.Q.Has(sim.QuirkGenerationOnNoopRegister) {
		noop = 1
	}
	unreg := uint32(1)
	if h.Q.Has(sim.QuirkNoGenerationOnUnregister) {
		unreg = 0
	}
	none := scsi.RegisterOptions{}
	step("no-op register", noop, func() error { return d0.RegisterAndIgnore(h.Ctx, 0, none) })
	step("register", 1, func() error { return d0.RegisterAndIgnore(h.Ctx, K(0), none) })
	step("register nexus 1", 1, func() error { return d1.Register(h.Ctx, 0, K(1), none) })
	step("replace key", 1, func() error { return d1.Register(h.Ctx, K(1), K(2), none) })
	step("conflicting register", 0, func() error { return d1.Register(h.Ctx, K(1), K(3), none) })
	step("reserve", 0, func() error { return d0.Reserve(h.Ctx, K(0), typeWERO) })
	step("release", 0, func() error { return d0.Release(h.Ctx, K(0), typeWERO) })
	step("preempt", 1, func() error { return d0.Preempt(h.Ctx, K(0), K(2), typeWERO) })
	step("register nexus 1 again", 1, func() error { return d1.RegisterAndIgnore(h.Ctx, K(1), none) })
	step("unregister", unreg, func() error { return d1.Register(h.Ctx, K(1), 0, none) })
	step("clear", 1, func() error { return d0.Clear(h.Ctx, K(0)) })
}
