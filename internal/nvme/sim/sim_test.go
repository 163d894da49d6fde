package sim

import (
	"context"
	"errors"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/nvme"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

var (
	hostA = nvme.HostID{0xa}
	hostB = nvme.HostID{0xb}
	hostC = nvme.HostID{0xc}
)

const (
	keyA nvme.Key = 0xa1b20001
	keyB nvme.Key = 0xa1b20002
	keyC nvme.Key = 0xa1b20003
)

var bg = context.Background()

// dev returns a Device on a new controller of host: the nvme package's
// builders, retry policy and parsers on top of the simulator.
func dev(ns *Namespace, host nvme.HostID) (nvme.Device, *Controller) {
	c := ns.Connect(host)
	return nvme.NewDevice("/dev/nvme0n1", c, nvme.DeviceOptions{}), c
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func report(t *testing.T, d nvme.Device) *nvme.Report {
	t.Helper()
	r, err := d.Report(bg)
	must(t, err)
	return r
}

// TestFenceScenario is fence_scsi's flow on NVMe: both hosts register, A
// reserves WE-RO, A preempts B (fencing it): B's key is gone, B's writes
// and reservation commands conflict, A still writes.
func TestFenceScenario(t *testing.T) {
	ns := NewNamespace()
	a, ca := dev(ns, hostA)
	b, cb := dev(ns, hostB)
	must(t, a.RegisterAndIgnore(bg, keyA, nvme.RegisterOptions{}))
	must(t, b.RegisterAndIgnore(bg, keyB, nvme.RegisterOptions{}))
	must(t, a.Acquire(bg, keyA, nvme.WERO))
	if st := cb.WriteBlock(0, []byte("b")); !st.OK() {
		t.Fatalf("registrant B cannot write under WE-RO: %v", st)
	}
	r := report(t, a)
	if r.Type != nvme.WERO || r.Generation != 2 || len(r.Registrants) != 2 || r.Holder().HostID != hostA {
		t.Fatalf("before the fence: %+v", r)
	}
	must(t, a.PreemptAndAbort(bg, keyA, keyB, nvme.WERO))
	r = report(t, a)
	if r.Contains(keyB) || !r.Contains(keyA) || r.Type != nvme.WERO || r.Generation != 3 {
		t.Fatalf("after the fence: %+v", r)
	}
	if st := cb.WriteBlock(0, []byte("b")); st.Code() != nvme.StatusReservationConflict {
		t.Errorf("fenced host writes: %v", st)
	}
	if _, st := cb.ReadBlock(0); !st.OK() {
		t.Errorf("WE-RO must let the fenced host read: %v", st)
	}
	if st := ca.WriteBlock(0, []byte("a")); !st.OK() {
		t.Errorf("holder cannot write: %v", st)
	}
	if err := b.Acquire(bg, keyB, nvme.WERO); !errors.Is(err, pr.ErrReservationConflict) {
		t.Errorf("fenced host acquires: %v", err)
	}
	// Unfencing B: register again.
	must(t, b.RegisterAndIgnore(bg, keyB, nvme.RegisterOptions{}))
	if st := cb.WriteBlock(0, []byte("b")); !st.OK() {
		t.Errorf("re-registered host cannot write: %v", st)
	}
}

// TestAccessMatrix checks reads and writes of the holder, a registrant and
// a non-registrant for each type.
func TestAccessMatrix(t *testing.T) {
	// per type: holder-or-registrant write, non-registrant read, non-registrant write;
	// registrant (non-holder) read, write.
	tests := []struct {
		t                  nvme.ReservationType
		regRead, regWrite  bool
		noneRead, noneWrit bool
	}{
		{nvme.WE, true, false, true, false},
		{nvme.EA, false, false, false, false},
		{nvme.WERO, true, true, true, false},
		{nvme.EARO, true, true, false, false},
		{nvme.WEAR, true, true, true, false},
		{nvme.EAAR, true, true, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.t.String(), func(t *testing.T) {
			ns := NewNamespace()
			a, ca := dev(ns, hostA)
			b, cb := dev(ns, hostB)
			_, cc := dev(ns, hostC)
			must(t, a.Register(bg, keyA, nvme.RegisterOptions{}))
			must(t, b.Register(bg, keyB, nvme.RegisterOptions{}))
			must(t, a.Acquire(bg, keyA, tc.t))
			check := func(who string, c *Controller, read, write bool) {
				_, rs := c.ReadBlock(1)
				ws := c.WriteBlock(1, nil)
				if rs.OK() != read || ws.OK() != write {
					t.Errorf("%s: read %v write %v, want %v %v", who, rs, ws, read, write)
				}
				for _, st := range []nvme.Status{rs, ws} {
					if !st.OK() && st.Code() != nvme.StatusReservationConflict {
						t.Errorf("%s: refused with %v, want a reservation conflict", who, st)
					}
				}
			}
			check("holder", ca, true, true)
			check("registrant", cb, tc.regRead, tc.regWrite)
			check("non-registrant", cc, tc.noneRead, tc.noneWrit)
		})
	}
}

// TestAllRegistrants: under WE-AR every registrant is a holder; the
// reservation survives the acquirer's unregistration and ends with the
// last registrant; preempt with PRKEY 0 takes it over and drops the others.
func TestAllRegistrants(t *testing.T) {
	ns := NewNamespace()
	a, _ := dev(ns, hostA)
	b, _ := dev(ns, hostB)
	c, _ := dev(ns, hostC)
	for _, x := range []struct {
		d nvme.Device
		k nvme.Key
	}{{a, keyA}, {b, keyB}, {c, keyC}} {
		must(t, x.d.Register(bg, x.k, nvme.RegisterOptions{}))
	}
	must(t, a.Acquire(bg, keyA, nvme.WEAR))
	must(t, b.Acquire(bg, keyB, nvme.WEAR)) // a holder re-acquiring the same type
	must(t, a.Unregister(bg, keyA))
	r := report(t, b)
	if r.Type != nvme.WEAR || len(r.Registrants) != 2 || !r.Registrants[0].Holder || !r.Registrants[1].Holder {
		t.Fatalf("after the acquirer left: %+v", r)
	}
	must(t, b.Preempt(bg, keyB, 0, nvme.WERO))
	r = report(t, b)
	if r.Type != nvme.WERO || len(r.Registrants) != 1 || r.Registrants[0].HostID != hostB || !r.Registrants[0].Holder {
		t.Fatalf("after preempt with PRKEY 0: %+v", r)
	}
	if err := c.Release(bg, keyC, nvme.WERO); !errors.Is(err, pr.ErrReservationConflict) {
		t.Errorf("preempted host releases: %v", err)
	}
}

// TestRules covers the register, release and preempt rules one by one.
func TestRules(t *testing.T) {
	ns := NewNamespace()
	a, _ := dev(ns, hostA)
	b, _ := dev(ns, hostB)
	conflict := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, pr.ErrReservationConflict) {
			t.Errorf("%s: %v, want a reservation conflict", what, err)
		}
	}
	invalid := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, nvme.ErrInvalidField) {
			t.Errorf("%s: %v, want invalid field", what, err)
		}
	}
	conflict("unregister while unregistered", a.Unregister(bg, keyA))
	conflict("replace while unregistered", a.Replace(bg, keyA, keyB, nvme.RegisterOptions{}))
	must(t, a.Register(bg, keyA, nvme.RegisterOptions{}))
	must(t, a.Register(bg, keyA, nvme.RegisterOptions{})) // same key again: success
	conflict("register another key", a.Register(bg, keyC, nvme.RegisterOptions{}))
	conflict("replace with a wrong CRKEY", a.Replace(bg, keyB, keyC, nvme.RegisterOptions{}))
	must(t, a.RegisterAndIgnore(bg, keyC, nvme.RegisterOptions{})) // Register conflicts, Replace(IEKEY) works
	if r := report(t, a); r.Registrants[0].Key != keyC || r.Generation != 3 {
		t.Fatalf("after register-and-ignore: %+v", r)
	}
	conflict("acquire with a wrong CRKEY", a.Acquire(bg, keyA, nvme.WE))
	must(t, a.Acquire(bg, keyC, nvme.WE))
	conflict("acquire another type", a.Acquire(bg, keyC, nvme.EA))
	must(t, b.Register(bg, keyB, nvme.RegisterOptions{}))
	conflict("a registrant acquires a held reservation", b.Acquire(bg, keyB, nvme.WE))
	must(t, b.Release(bg, keyB, nvme.EA)) // not the holder: success, nothing changes
	invalid("holder releases with another type", a.Release(bg, keyC, nvme.EA))
	invalid("preempt with PRKEY 0 that is not the holder's", b.Preempt(bg, keyB, 0, nvme.WE))
	conflict("preempt an unregistered key", b.Preempt(bg, keyB, 0x99, nvme.WE))
	gen := report(t, a).Generation
	must(t, a.Release(bg, keyC, nvme.WE))
	if r := report(t, a); r.Type != nvme.TypeNone || r.Generation != gen || len(r.Registrants) != 2 {
		t.Fatalf("release changed more than the reservation: %+v", r)
	}
	must(t, b.Clear(bg, keyB))
	if r := report(t, a); r.Type != nvme.TypeNone || len(r.Registrants) != 0 || r.Generation != gen+1 {
		t.Fatalf("after clear: %+v", r)
	}
}

// TestReportPerController: a host with two controllers appears twice; EDS=0 is refused.
func TestReportPerController(t *testing.T) {
	ns := NewNamespace(WithNSID(3))
	a, _ := dev(ns, hostA)
	ns.Connect(hostA)
	must(t, a.Register(bg, keyA, nvme.RegisterOptions{}))
	must(t, a.Acquire(bg, keyA, nvme.EA))
	r := report(t, a)
	if len(r.Registrants) != 2 || r.Registrants[0].ControllerID != 1 || r.Registrants[1].ControllerID != 2 ||
		!r.Registrants[1].Holder || r.Registrants[1].Key != keyA {
		t.Fatalf("%+v", r)
	}
	c := ns.Connect(hostB)
	cmd := nvme.ReportCmd(3, 4096)
	cmd.CDW11 = 0
	if comp, _ := c.Execute(bg, cmd); comp.Status.Code() != nvme.StatusHostIDInconsistent {
		t.Errorf("EDS=0: %v", comp.Status)
	}
	if comp, _ := c.Execute(bg, nvme.ReportCmd(4, 4096)); comp.Status.Code() != nvme.StatusInvalidNamespace {
		t.Errorf("wrong NSID: %v", comp.Status)
	}
}

// TestCapabilitiesAndHostID reads Identify and the Host Identifier through the Device.
func TestCapabilitiesAndHostID(t *testing.T) {
	a, _ := dev(NewNamespace(WithRESCAP(0x08|nvme.RescapIEKEY)), hostA)
	caps, err := a.Capabilities(bg)
	must(t, err)
	if !caps.Reservations || !caps.Shared || !caps.Supports(nvme.WERO) || caps.Supports(nvme.EA) || caps.PTPL() || caps.ControllerID != 1 {
		t.Errorf("capabilities %+v", caps)
	}
	if h, err := a.HostID(bg); err != nil || h != hostA {
		t.Errorf("host ID %v, %v", h, err)
	}
	if err := a.Register(bg, keyA, nvme.RegisterOptions{PTPL: nvme.PTPLSet}); !errors.Is(err, nvme.ErrInvalidField) {
		t.Errorf("PTPL without RESCAP bit 0: %v", err)
	}
	if err := a.Acquire(bg, keyA, nvme.EA); !errors.Is(err, nvme.ErrInvalidField) {
		t.Errorf("unsupported type: %v", err)
	}
	n, _ := dev(NewNamespace(WithoutReservations(), Private()), hostA)
	caps, err = n.Capabilities(bg)
	must(t, err)
	if caps.Reservations || caps.Shared || caps.Supports(nvme.WE) {
		t.Errorf("no reservations: %+v", caps)
	}
	if err := n.Register(bg, keyA, nvme.RegisterOptions{}); !errors.Is(err, nvme.ErrNotSupported) {
		t.Errorf("register without ONCS bit 5: %v", err)
	}
}

// TestPowerCycle: registrations survive only with PTPL set (CPTPL=11b).
func TestPowerCycle(t *testing.T) {
	for _, ptpl := range []nvme.CPTPL{nvme.PTPLClear, nvme.PTPLSet} {
		ns := NewNamespace()
		a, _ := dev(ns, hostA)
		must(t, a.Register(bg, keyA, nvme.RegisterOptions{PTPL: ptpl}))
		must(t, a.Acquire(bg, keyA, nvme.WERO))
		ns.PowerCycle()
		r := report(t, a)
		if kept := len(r.Registrants) == 1 && r.Type == nvme.WERO; kept != (ptpl == nvme.PTPLSet) || r.PTPLS != (ptpl == nvme.PTPLSet) {
			t.Errorf("CPTPL %d: after power cycle %+v", ptpl, r)
		}
	}
}

// TestFaults: an injected retryable status is retried by the Device; a lost
// reply leaves the outcome unknown although the command ran.
func TestFaults(t *testing.T) {
	ns := NewNamespace()
	c := ns.Connect(hostA)
	a := nvme.NewDevice("/dev/nvme0n1", c, nvme.DeviceOptions{BackoffMin: 1, BackoffMax: 1})
	c.FailNext(nvme.StatusNamespaceNotReady)
	must(t, a.Register(bg, keyA, nvme.RegisterOptions{}))
	c.LoseNextReply()
	err := a.Acquire(bg, keyA, nvme.WERO)
	if !errors.Is(err, pr.ErrOutcomeUnknown) || !errors.Is(err, pr.ErrTimeout) {
		t.Fatalf("lost reply: %v", err)
	}
	if r := report(t, a); r.Type != nvme.WERO {
		t.Errorf("the command whose reply was lost did not run: %+v", r)
	}
}

// TestLinuxTargetQuirks: with LinuxTarget, the holder's preempt of another
// host's key leaves that host registered (a fence that must be verified
// with a Report), and a release with the wrong type conflicts.
func TestLinuxTargetQuirks(t *testing.T) {
	ns := NewNamespace(LinuxTarget())
	a, _ := dev(ns, hostA)
	b, cb := dev(ns, hostB)
	must(t, a.Register(bg, keyA, nvme.RegisterOptions{}))
	must(t, b.Register(bg, keyB, nvme.RegisterOptions{}))
	must(t, a.Acquire(bg, keyA, nvme.WERO))
	must(t, a.Preempt(bg, keyA, keyB, nvme.WERO))
	if r := report(t, a); !r.Contains(keyB) {
		t.Fatalf("the quirk did not keep B: %+v", r)
	}
	if st := cb.WriteBlock(0, nil); !st.OK() {
		t.Errorf("B should still write: %v", st)
	}
	if err := a.Release(bg, keyA, nvme.EA); !errors.Is(err, pr.ErrReservationConflict) {
		t.Errorf("release with another type: %v", err)
	}
	// Preempting from a host that is not the holder does remove the key.
	must(t, b.Preempt(bg, keyB, keyA, nvme.WERO))
	if r := report(t, b); r.Contains(keyA) || r.Holder().HostID != hostB {
		t.Errorf("non-holder preempt of the holder: %+v", r)
	}
}

// TestConcurrentPreempt: two hosts preempt each other at the same time,
// many times over; each command is atomic, so exactly one host survives,
// holds the reservation and is the only one that can write.
func TestConcurrentPreempt(t *testing.T) {
	for round := range 50 {
		ns := NewNamespace()
		a, ca := dev(ns, hostA)
		b, cb := dev(ns, hostB)
		must(t, a.Register(bg, keyA, nvme.RegisterOptions{}))
		must(t, b.Register(bg, keyB, nvme.RegisterOptions{}))
		must(t, a.Acquire(bg, keyA, nvme.WERO))
		errs := make(chan error, 2)
		go func() { errs <- a.Preempt(bg, keyA, keyB, nvme.WERO) }()
		go func() { errs <- b.Preempt(bg, keyB, keyA, nvme.WERO) }()
		e1, e2 := <-errs, <-errs
		if (e1 == nil) == (e2 == nil) {
			t.Fatalf("round %d: both or neither preempt won: %v, %v", round, e1, e2)
		}
		for _, e := range []error{e1, e2} {
			if e != nil && !errors.Is(e, pr.ErrReservationConflict) {
				t.Fatalf("round %d: loser got %v", round, e)
			}
		}
		r := report(t, a)
		if len(r.Registrants) != 1 || !r.Registrants[0].Holder {
			t.Fatalf("round %d: %+v", round, r)
		}
		winner, loser := ca, cb
		if r.Registrants[0].HostID == hostB {
			winner, loser = cb, ca
		}
		if !winner.WriteBlock(0, nil).OK() || loser.WriteBlock(0, nil).OK() {
			t.Fatalf("round %d: write access does not follow the report", round)
		}
	}
}
