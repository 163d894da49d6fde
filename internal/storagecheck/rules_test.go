package storagecheck

import (
	"reflect"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

// healthy is a LU the cluster uses correctly: node1 registered through
// both of its paths and holding WE-RO, node2 registered through its path.
func healthy(t *testing.T) (*sim.LU, Target) {
	lu := sim.NewLU(sim.WithQuirks(sim.QuirkLIO))
	unfence(t, lu, 1, 1, key1, true)
	unfence(t, lu, 1, 2, key1, false)
	unfence(t, lu, 2, 1, key2, false)
	return lu, Target{Name: "/dev/mapper/mpatha", Multipath: true, Paths: []Path{path(lu, 1, 1), path(lu, 1, 2)}}
}

func TestHealthyPasses(t *testing.T) {
	_, tg := healthy(t)
	d := check(tg, testCluster(), Options{APTPL: true})
	if d.Verdict != "ok" || len(d.Problems) != 0 {
		t.Fatalf("verdict %s, problems %+v", d.Verdict, d.Problems)
	}
	p := d.Paths[0]
	if p.Vendor != "FENCESIM" || p.Serial != "fencesim0001" || p.Identity == "" || d.Identity != p.Identity {
		t.Errorf("identity: %+v", p)
	}
	if !p.FullStatus || len(p.Registrations) != 3 || p.Registrations[0].Owner != "this node (node1)" ||
		!p.Registrations[0].Holder || p.Registrations[2].Owner != "node2" || p.Registrations[0].Nexus != nx(1, 1) {
		t.Errorf("registrations: %+v", p.Registrations)
	}
	if !p.Reservation.Present || p.Reservation.Key != key1.String() || p.Reservation.Type != "WE-RO (5)" {
		t.Errorf("reservation: %+v", p.Reservation)
	}
	for _, pr := range d.Paths {
		if pr.ThisNodeRegistered != "yes" {
			t.Errorf("%s: this node registered %q", pr.Path, pr.ThisNodeRegistered)
		}
	}
	c := p.Capabilities
	if c == nil || !c.PTPLC || !c.ATPC || !c.CRH || !reflect.DeepEqual(c.Types, []string{"WE", "EA", "WE-RO", "EA-RO", "WE-AR", "EA-AR"}) {
		t.Errorf("capabilities: %+v", c)
	}
}

func TestReadOnly(t *testing.T) {
	lu, tg := healthy(t)
	gen, regs, res := lu.Generation(), lu.Registrations(), lu.ReservationState()
	check(tg, testCluster(), Options{})
	if lu.Generation() != gen || !reflect.DeepEqual(lu.Registrations(), regs) || lu.ReservationState() != res {
		t.Fatal("inspecting changed the PR state")
	}
}

func TestRuleNoPR(t *testing.T) {
	lu := sim.NewLU()
	lu.Inject(nx(1, 1), sim.Fault{Kind: sim.FaultPRUnsupported, Count: -1, Opcodes: []byte{0x5E, 0x5F}})
	d := check(Target{Name: "/dev/sdx", Paths: []Path{path(lu, 1, 1)}}, testCluster(), Options{})
	if !reflect.DeepEqual(rules(d), []string{RuleNoPR}) || d.Paths[0].PRSupported {
		t.Fatalf("rules %v, path %+v", rules(d), d.Paths[0])
	}
	if d.Paths[0].Vendor != "FENCESIM" {
		t.Error("INQUIRY data missing on a LU without PR")
	}
	lu.ClearFaults(nx(1, 1))
	if d := check(Target{Name: "/dev/sdx", Paths: []Path{path(lu, 1, 1)}}, testCluster(), Options{}); len(d.Problems) != 0 {
		t.Fatalf("PR supported: %v", rules(d))
	}
}

func TestRuleNoWERO(t *testing.T) {
	_, tg := healthy(t)
	for _, tc := range []struct {
		mask uint16
		tmv  bool
		want bool
	}{
		{1<<15 | 1<<14 | 1<<11 | 1<<9 | 1<<0, true, true}, // every type but WE-RO
		{1 << 13, true, false},                            // WE-RO only
		{0, false, false},                                 // no valid mask: nothing to hold against it
	} {
		tg := tg
		tg.Paths = append([]Path(nil), tg.Paths...)
		for i := range tg.Paths {
			tg.Paths[i].Dev = capsDevice{tg.Paths[i].Dev, func(c *scsi.Capabilities) { c.TypeMask, c.TMV = tc.mask, tc.tmv }}
		}
		if d := check(tg, testCluster(), Options{}); hasRule(d, RuleNoWERO) != tc.want {
			t.Errorf("mask %#x tmv %v: rules %v, want no-wero %v", tc.mask, tc.tmv, rules(d), tc.want)
		}
	}
}

func TestRuleNoAPTPL(t *testing.T) {
	_, tg := healthy(t)
	if d := check(tg, testCluster(), Options{APTPL: true}); hasRule(d, RuleNoAPTPL) {
		t.Fatalf("PTPL_C set: %v", rules(d))
	}
	for i := range tg.Paths {
		tg.Paths[i].Dev = capsDevice{tg.Paths[i].Dev, func(c *scsi.Capabilities) { c.PTPLC = false }}
	}
	if d := check(tg, testCluster(), Options{APTPL: false}); hasRule(d, RuleNoAPTPL) {
		t.Fatalf("APTPL not requested: %v", rules(d))
	}
	if d := check(tg, testCluster(), Options{APTPL: true}); !reflect.DeepEqual(rules(d), []string{RuleNoAPTPL}) {
		t.Fatalf("APTPL requested, no PTPL_C: %v", rules(d))
	}
}

func TestRuleIdentityMismatch(t *testing.T) {
	a := sim.NewLU(sim.WithSerial("lun-a"))
	b := sim.NewLU(sim.WithSerial("lun-b"))
	tg := Target{Name: "/dev/mapper/bad", Multipath: true, Paths: []Path{path(a, 1, 1), path(b, 1, 2)}}
	d := check(tg, Cluster{}, Options{})
	if !reflect.DeepEqual(rules(d), []string{RuleIdentityMismatch}) || d.Identity != "" {
		t.Fatalf("rules %v identity %q", rules(d), d.Identity)
	}
	if m := problemText(d, RuleIdentityMismatch); !contains(m, "/dev/sdd") || !contains(m, "/dev/sde") {
		t.Errorf("message does not name the paths: %s", m)
	}
	same := sim.NewLU(sim.WithSerial("lun-a"))
	tg.Paths[1] = path(same, 1, 2) // another LU object with the same designators: the same LU to us
	if d := check(tg, Cluster{}, Options{}); len(d.Problems) != 0 {
		t.Fatalf("same identity: %v", rules(d))
	}
}

// A path that fails for another reason than missing PR support is
// unreadable, not "no PR".
func TestRuleUnreadable(t *testing.T) {
	_, tg := healthy(t)
	lu := sim.NewLU()
	bad := path(lu, 1, 1)
	lu.Inject(nx(1, 1), sim.Fault{Kind: sim.FaultTimeoutBefore, Count: -1, Opcodes: []byte{0x5E}})
	tg.Paths = append(tg.Paths[:1], bad)
	d := check(tg, testCluster(), Options{})
	if !hasRule(d, RuleUnreadable) || hasRule(d, RuleNoPR) || !contains(problemText(d, RuleUnreadable), "/dev/sdd") {
		t.Fatalf("rules %v: %s", rules(d), problemText(d, RuleUnreadable))
	}
	_, tg = healthy(t)
	if d := check(tg, testCluster(), Options{}); hasRule(d, RuleUnreadable) {
		t.Fatalf("healthy: %v", rules(d))
	}
}

// --write-test is not run on a device whose paths reach different LUs.
func TestWriteTestRefusedOnIdentityMismatch(t *testing.T) {
	a, b := sim.NewLU(sim.WithSerial("lun-a")), sim.NewLU(sim.WithSerial("lun-b"))
	tg := []Target{{Name: "/dev/mapper/bad", Multipath: true, Paths: []Path{path(a, 1, 1), path(b, 1, 2)}}}
	r := Check(ctx, tg, Cluster{}, Options{})
	runWriteTests(ctx, tg, &r, WriteTestOptions{})
	if r.Verdict != "fail" || len(r.WriteTests) != 1 || r.WriteTests[0].Ran || !contains(r.WriteTests[0].Error, "identity-mismatch") {
		t.Fatalf("%+v", r.WriteTests)
	}
	if a.Generation() != 0 || b.Generation() != 0 {
		t.Fatal("PR OUT sent")
	}
}
