package scsipr

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

var bg = context.Background()

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestAdapter runs the neutral operations on the SCSI simulator and checks
// the SCSI state they leave (TYPE codes on the wire, per-nexus keys).
func TestAdapter(t *testing.T) {
	lu := sim.NewLU(sim.WithSerial("lu-1"))
	a := New(scsi.NewDevice("/dev/sdb", lu.Connect("a"), scsi.DeviceOptions{}))
	b := New(scsi.NewDevice("/dev/sdc", lu.Connect("b"), scsi.DeviceOptions{}))
	must(t, a.RegisterAndIgnore(bg, 0xa, pr.RegisterOptions{}))
	must(t, b.Register(bg, 0, 0xb, pr.RegisterOptions{PersistThroughPowerLoss: true}))
	if !lu.APTPL() {
		t.Error("PersistThroughPowerLoss did not set APTPL")
	}
	must(t, a.Reserve(bg, 0xa, pr.WERO))
	if rs := lu.ReservationState(); rs.Type != scsi.TypeWriteExclusiveRegistrantsOnly {
		t.Fatalf("reserved TYPE %d, want 5", rs.Type)
	}
	res, err := b.ReadReservation(bg)
	must(t, err)
	if !res.Present || res.Type != pr.WERO || res.Key != 0xa {
		t.Fatalf("reservation %+v", res)
	}
	kl, err := b.ReadKeys(bg)
	must(t, err)
	if !slices.Equal(kl.Keys, []pr.Key{0xa, 0xb}) || kl.Count(0xa) != 1 {
		t.Fatalf("keys %+v", kl)
	}
	regs, err := a.ReadRegistrations(bg)
	must(t, err)
	if len(regs.List) != 2 || !regs.List[0].Holder || regs.Generation != kl.Generation {
		t.Fatalf("registrations %+v", regs)
	}
	must(t, b.PreemptAndAbort(bg, 0xb, 0xa, pr.WEAR))
	if rs := lu.ReservationState(); rs.Type != scsi.TypeWriteExclusiveAllRegistrants {
		t.Fatalf("preempted as TYPE %d, want 7", rs.Type)
	}
	if err := a.Register(bg, 0xa, 0xa, pr.RegisterOptions{}); !errors.Is(err, pr.ErrReservationConflict) &&
		!errors.Is(err, pr.ErrRegistrationsPreempted) {
		t.Fatalf("renewal of a preempted nexus: %v", err)
	}
	id, err := a.Identity(bg)
	must(t, err)
	if id2, _ := b.Identity(bg); id == "" || id != id2 {
		t.Fatalf("identities %q, %q", id, id2)
	}
	must(t, a.Ready(bg))
	if a.Transport() != pr.SCSI {
		t.Fatal("transport")
	}
	c, err := a.Capabilities(bg)
	must(t, err)
	if !c.Supports(pr.WERO) || c.HostRegistration {
		t.Fatalf("capabilities %+v", c)
	}
}

func TestTransportIDString(t *testing.T) {
	iscsi := append([]byte{0x45, 0, 0, 12}, "iqn.x,i,0x1\x00"...)
	for tid, want := range map[string]string{
		string(iscsi): "iqn.x,i,0x1",
		string([]byte{0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}): "fc 0x0102030405060708",
		string([]byte{6, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}):             "sas 0x0102030405060708",
		string([]byte{1, 2}): "0102",
	} {
		if got := TransportIDString([]byte(tid)); got != want {
			t.Errorf("TransportIDString(%x) = %q, want %q", tid, got, want)
		}
	}
}

// TestRegistrationsAgree: the reservation and the keys READ FULL STATUS
// gives are READ RESERVATION's and READ KEYS' in every state off meets
// (none, WE-RO with its holder, WE-AR and EA-AR without a key, released,
// no registrant left).
func TestRegistrationsAgree(t *testing.T) {
	lu := sim.NewLU(sim.WithSerial("lu-2"))
	a := New(scsi.NewDevice("/dev/sdb", lu.Connect("a"), scsi.DeviceOptions{}))
	b := New(scsi.NewDevice("/dev/sdc", lu.Connect("b"), scsi.DeviceOptions{}))
	check := func(state string) {
		t.Helper()
		regs, err := a.ReadRegistrations(bg)
		must(t, err)
		res, err := a.ReadReservation(bg)
		must(t, err)
		kl, err := a.ReadKeys(bg)
		must(t, err)
		if regs.Reservation != *res {
			t.Errorf("%s: reservation from READ FULL STATUS %+v, READ RESERVATION %+v", state, regs.Reservation, *res)
		}
		if got := regs.KeyList(); got.Generation != kl.Generation || !slices.Equal(got.Keys, kl.Keys) {
			t.Errorf("%s: keys from READ FULL STATUS %+v, READ KEYS %+v", state, got, kl)
		}
	}
	check("empty")
	must(t, a.RegisterAndIgnore(bg, 0xa, pr.RegisterOptions{}))
	must(t, b.RegisterAndIgnore(bg, 0xb, pr.RegisterOptions{}))
	check("registered, no reservation")
	must(t, b.Reserve(bg, 0xb, pr.WERO))
	check("WE-RO held by b")
	must(t, a.PreemptAndAbort(bg, 0xa, 0xb, pr.WEAR))
	check("WE-AR after a preempted b")
	must(t, a.Release(bg, 0xa, pr.WEAR))
	must(t, a.Reserve(bg, 0xa, pr.EAAR))
	check("EA-AR")
	must(t, a.Release(bg, 0xa, pr.EAAR))
	must(t, a.Reserve(bg, 0xa, pr.EA))
	check("EA held by a")
	must(t, a.Register(bg, 0xa, 0, pr.RegisterOptions{}))
	check("holder unregistered")
}
