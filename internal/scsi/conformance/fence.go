package conformance

import (
	"errors"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

// fenceSCSICases replay fence_scsi's exact PR sequences (HEAD of
// fence-agents agents/scsi/fence_scsi.py: set_status for on and off), a TEST UNIT READY before
// every sg_persist call included.
func fenceSCSICases() []Case {
	return []Case{
		{"FenceSCSI.OnCleanLUN", fenceOnClean},
		{"FenceSCSI.OnAfterISIDChange", func(h *H) { fenceOnAfterISIDChange(h, false) }},
		{"FenceSCSI.OnAfterISIDChangeStaleHolder", func(h *H) { fenceOnAfterISIDChange(h, true) }},
		{"FenceSCSI.OnSecondNode", fenceOnSecondNode},
		{"FenceSCSI.OffVictimHolder", func(h *H) { fenceOff(h, true) }},
		{"FenceSCSI.OffVictimNotHolder", func(h *H) { fenceOff(h, false) }},
	}
}

// fenceReadKeys is fence_scsi's "read keys" helper: TUR, READ KEYS.
func fenceReadKeys(h *H, i int) *scsi.KeyList {
	h.Helper()
	h.TUR(i)
	return h.Keys(i)
}

// fenceRegister is HEAD's register_dev for one plain device: read keys;
// TUR, register-and-ignore; if the key had been listed, TUR and
// self-preempt (RK = SARK = key, type 5) to purge registrations of an old
// I_T nexus, then read the reservation and register again unless we hold it.
func fenceRegister(h *H, i int, key scsi.Key) {
	h.Helper()
	listed := fenceReadKeys(h, i).Contains(key)
	h.TUR(i)
	h.Register(i, key)
	if !listed {
		return
	}
	h.TUR(i)
	h.OK(h.Dev(i).Preempt(h.Ctx, key, key, typeWERO), "nexus %d self-preempt", i)
	h.TUR(i)
	if r, err := h.Dev(i).ReadReservation(h.Ctx); err != nil || r.Key != key {
		h.TUR(i)
		h.Register(i, key)
	}
}

// fenceOn is the set step of `on` for one device (fence_scsi.py set_status,
// action on: register_dev, read keys, reserve_dev).
func fenceOn(h *H, i int, key scsi.Key) {
	h.Helper()
	fenceRegister(h, i, key)
	if !fenceReadKeys(h, i).Contains(key) {
		h.Fatalf("on: key %v missing after registration", key)
	}
	h.TUR(i)
	if !h.Res(i).Present {
		h.TUR(i)
		h.Reserve(i, key, typeWERO)
	}
}

// fenceOnClean: on a clean LUN, `on` registers and takes the type-5 reservation.
func fenceOnClean(h *H) {
	fenceOn(h, 0, K(0))
	h.WantKeys(K(0))
	h.WantRes(typeWERO, K(0))
	if _, ok := h.Target.(BlockIO); ok {
		h.WantIO(0, true, true)
	}
}

// fenceOnAfterISIDChange: nexus 1 plays the dead I_T nexus of an old iSCSI
// session of the same host (same key). After `on` through nexus 0 only the
// live registration remains, and the host holds the reservation.
func fenceOnAfterISIDChange(h *H, staleHolds bool) {
	h.Register(1, K(0))
	if staleHolds {
		h.Reserve(1, K(0), typeWERO)
	}
	fenceOn(h, 0, K(0))
	h.WantKeys(K(0))
	h.WantRes(typeWERO, K(0))
	if _, ok := h.Target.(BlockIO); ok {
		h.WantIO(0, true, true)
		h.WantIO(1, true, false) // the stale nexus is no longer registered
	}
}

// fenceOnSecondNode: a second node's `on` registers and leaves the first
// node's reservation alone; both may write under WE-RO.
func fenceOnSecondNode(h *H) {
	fenceOn(h, 0, K(0))
	fenceOn(h, 1, K(1))
	h.WantKeys(K(0), K(1))
	h.WantRes(typeWERO, K(0))
	if _, ok := h.Target.(BlockIO); ok {
		h.WantIO(0, true, true)
		h.WantIO(1, true, true)
	}
}

// fenceOff: node 0 fences node 1 (fence_scsi.py set_status, action off): register_dev with its own key, read
// keys, TUR and PREEMPT AND ABORT the victim (result ignored), then verify:
// victim key gone, a reservation exists. The victim can no longer write,
// the fencer can. QuirkNoPreemptAndAbort (tgt): fence_scsi fails to verify.
func fenceOff(h *H, victimHolds bool) {
	if victimHolds {
		fenceOn(h, 1, K(1))
		fenceOn(h, 0, K(0))
	} else {
		fenceOn(h, 0, K(0))
		fenceOn(h, 1, K(1))
	}
	fenceRegister(h, 0, K(0))
	if fenceReadKeys(h, 0).Contains(K(1)) {
		h.TUR(0)
		err := h.Dev(0).PreemptAndAbort(h.Ctx, K(0), K(1), typeWERO)
		if h.Q.Has(sim.QuirkNoPreemptAndAbort) {
			if !errors.Is(err, scsi.ErrIllegalRequest) {
				h.Errorf("preempt and abort on a target without it: %v", err)
			}
			if !fenceReadKeys(h, 0).Contains(K(1)) {
				h.Error("victim key removed although PREEMPT AND ABORT is unsupported")
			}
			return
		}
	}
	if fenceReadKeys(h, 0).Contains(K(1)) {
		h.Fatal("off: victim key still registered")
	}
	h.TUR(0)
	if !h.Res(0).Present {
		h.Fatal("off: no reservation exists")
	}
	h.WantKeys(K(0))
	h.WantRes(typeWERO, K(0))
	h.WantUAs(1, h.Preempted())
	if _, ok := h.Target.(BlockIO); ok {
		h.WantIO(1, true, false)
		h.WantIO(0, true, true)
	}
}
