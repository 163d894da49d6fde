package nvmepr

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/nvme"
	"github.com/fence-scsi-go/fence_scsi_go/internal/nvme/sim"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

var bg = context.Background()

const (
	keyA pr.Key = 0xa1b20001
	keyB pr.Key = 0xa1b20002
)

func open(ns *sim.Namespace, host byte) *Device {
	return New(nvme.NewDevice("/dev/nvme0n1", ns.Connect(nvme.HostID{host}), nvme.DeviceOptions{}))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func keys(t *testing.T, d pr.Device) []pr.Key {
	t.Helper()
	kl, err := d.ReadKeys(bg)
	must(t, err)
	return kl.Keys
}

// TestRegisterMapping: SCSI's REGISTER (rk, sark) becomes Register,
// Replace or Unregister with the same outcome as on a SCSI target.
func TestRegisterMapping(t *testing.T) {
	ns := sim.NewNamespace()
	a := open(ns, 0xa)
	must(t, a.Register(bg, 0, 0, pr.RegisterOptions{})) // nothing to unregister: no-op
	if err := a.Register(bg, keyA, keyA, pr.RegisterOptions{}); !errors.Is(err, pr.ErrReservationConflict) {
		t.Fatalf("renewing an unregistered host: %v, want a conflict", err)
	}
	must(t, a.Register(bg, 0, keyA, pr.RegisterOptions{}))
	kl, err := a.ReadKeys(bg)
	must(t, err)
	gen := kl.Generation
	must(t, a.Register(bg, keyA, keyA, pr.RegisterOptions{})) // renewal: generation advances
	if kl, _ := a.ReadKeys(bg); kl.Generation == gen || !slices.Equal(kl.Keys, []pr.Key{keyA}) {
		t.Fatalf("after renewal: %+v (generation was %d)", kl, gen)
	}
	must(t, a.Register(bg, keyA, keyB, pr.RegisterOptions{PersistThroughPowerLoss: true}))
	if got := keys(t, a); !slices.Equal(got, []pr.Key{keyB}) {
		t.Fatalf("after replace: %v", got)
	}
	if r, _ := a.NVMe().Report(bg); !r.PTPLS {
		t.Error("PersistThroughPowerLoss did not set PTPL")
	}
	if err := a.Register(bg, keyA, 0, pr.RegisterOptions{}); !errors.Is(err, pr.ErrReservationConflict) {
		t.Fatalf("unregister with the wrong key: %v", err)
	}
	must(t, a.Register(bg, keyB, 0, pr.RegisterOptions{}))
	if got := keys(t, a); len(got) != 0 {
		t.Fatalf("after unregister: %v", got)
	}
	must(t, a.RegisterAndIgnore(bg, keyA, pr.RegisterOptions{}))
	must(t, a.RegisterAndIgnore(bg, keyB, pr.RegisterOptions{}))
	must(t, a.RegisterAndIgnore(bg, 0, pr.RegisterOptions{}))
	if got := keys(t, a); len(got) != 0 {
		t.Fatalf("after register-and-ignore 0: %v", got)
	}
}

// TestHostRegistration: a host with two controllers is one registration.
func TestHostRegistration(t *testing.T) {
	ns := sim.NewNamespace()
	a1, a2, b := open(ns, 0xa), open(ns, 0xa), open(ns, 0xb)
	must(t, a1.RegisterAndIgnore(bg, keyA, pr.RegisterOptions{}))
	must(t, a2.RegisterAndIgnore(bg, keyA, pr.RegisterOptions{}))
	must(t, b.RegisterAndIgnore(bg, keyB, pr.RegisterOptions{}))
	if r, _ := a1.NVMe().Report(bg); len(r.Registrants) != 3 {
		t.Fatalf("the report lists %d controllers, want 3", len(r.Registrants))
	}
	if got := keys(t, a2); !slices.Equal(got, []pr.Key{keyA, keyB}) {
		t.Fatalf("keys %v, want one per host", got)
	}
	must(t, a2.Reserve(bg, keyA, pr.WERO))
	regs, err := b.ReadRegistrations(bg)
	must(t, err)
	if len(regs.List) != 2 || !regs.List[0].Holder || regs.List[1].Holder ||
		!strings.HasPrefix(regs.List[0].Initiator, "host 0a") {
		t.Fatalf("registrations %+v", regs)
	}
	res, err := b.ReadReservation(bg)
	must(t, err)
	if !res.Present || res.Type != pr.WERO || res.Key != keyA || res.Generation != regs.Generation {
		t.Fatalf("reservation %+v", res)
	}
	must(t, b.PreemptAndAbort(bg, keyB, keyA, pr.WERO))
	res, _ = b.ReadReservation(bg)
	if got := keys(t, b); !slices.Equal(got, []pr.Key{keyB}) || res.Key != keyB || res.Type != pr.WERO {
		t.Fatalf("after preempt-and-abort: keys %v, reservation %+v", got, res)
	}
	if err := a1.Register(bg, keyA, keyA, pr.RegisterOptions{}); !errors.Is(err, pr.ErrReservationConflict) {
		t.Fatalf("the preempted host renews: %v", err)
	}
}

// TestReservationAllRegistrants: no holder key for WE-AR, as SCSI reports it.
func TestReservationAllRegistrants(t *testing.T) {
	ns := sim.NewNamespace()
	a := open(ns, 0xa)
	must(t, a.RegisterAndIgnore(bg, keyA, pr.RegisterOptions{}))
	must(t, a.Reserve(bg, keyA, pr.WEAR))
	res, err := a.ReadReservation(bg)
	must(t, err)
	if !res.Present || res.Type != pr.WEAR || res.Key != 0 {
		t.Fatalf("reservation %+v", res)
	}
	must(t, a.Release(bg, keyA, pr.WEAR))
	if res, _ := a.ReadReservation(bg); res.Present {
		t.Fatalf("after release: %+v", res)
	}
	must(t, a.Reserve(bg, keyA, pr.EA))
	must(t, a.Clear(bg, keyA))
	if got := keys(t, a); len(got) != 0 {
		t.Fatalf("after clear: %v", got)
	}
}

func TestIdentityReadyCapabilities(t *testing.T) {
	a := open(sim.NewNamespace(sim.WithNSID(3)), 0xa)
	b := open(sim.NewNamespace(sim.WithNSID(3)), 0xb)
	id, err := a.Identity(bg)
	must(t, err)
	other, _ := b.Identity(bg)
	if !strings.HasPrefix(id, "eui.") || len(id) != len("eui.")+32 || id != other {
		t.Fatalf("identity %q / %q: want eui.<NGUID>, the same for the same NSID of the simulator", id, other)
	}
	must(t, a.Ready(bg))
	c, err := a.Capabilities(bg)
	must(t, err)
	if !c.HostRegistration || !c.PersistThroughPowerLoss || !slices.Equal(c.Types, pr.Types()) {
		t.Fatalf("capabilities %+v", c)
	}
	if a.Transport() != pr.NVMe || a.Name() != "/dev/nvme0n1" {
		t.Fatalf("transport %v name %s", a.Transport(), a.Name())
	}
	n := open(sim.NewNamespace(sim.WithRESCAP(1<<3)), 0xa)
	if c, _ := n.Capabilities(bg); c.Supports(pr.WEAR) || !c.Supports(pr.WERO) || c.PersistThroughPowerLoss {
		t.Fatalf("RESCAP WE-RO only: %+v", c)
	}
	none := open(sim.NewNamespace(sim.WithoutReservations()), 0xa)
	if _, err := none.Capabilities(bg); !errors.Is(err, pr.ErrNotSupported) {
		t.Fatalf("no reservations: %v", err)
	}
	if _, err := none.ReadKeys(bg); !errors.Is(err, pr.ErrNotSupported) {
		t.Fatalf("read keys without reservations: %v", err)
	}
}

// TestRegistrationsAgree: the reservation and keys of ReadRegistrations
// are ReadReservation's and ReadKeys' (one Reservation Report each).
func TestRegistrationsAgree(t *testing.T) {
	ns := sim.NewNamespace()
	a, b := open(ns, 0xa), open(ns, 0xb)
	check := func(state string) {
		t.Helper()
		regs, err := a.ReadRegistrations(bg)
		must(t, err)
		res, err := a.ReadReservation(bg)
		must(t, err)
		kl, err := a.ReadKeys(bg)
		must(t, err)
		if regs.Reservation != *res {
			t.Errorf("%s: reservation from the registrations %+v, ReadReservation %+v", state, regs.Reservation, *res)
		}
		if got := regs.KeyList(); got.Generation != kl.Generation || !slices.Equal(got.Keys, kl.Keys) {
			t.Errorf("%s: keys from the registrations %+v, ReadKeys %+v", state, got, kl)
		}
	}
	check("empty")
	must(t, a.RegisterAndIgnore(bg, keyA, pr.RegisterOptions{}))
	must(t, b.RegisterAndIgnore(bg, keyB, pr.RegisterOptions{}))
	check("registered, no reservation")
	must(t, b.Reserve(bg, keyB, pr.WERO))
	check("WE-RO held by b")
	must(t, a.PreemptAndAbort(bg, keyA, keyB, pr.WEAR))
	check("WE-AR after a preempted b")
	must(t, a.Release(bg, keyA, pr.WEAR))
	must(t, a.Reserve(bg, keyA, pr.EA))
	check("EA held by a")
}
