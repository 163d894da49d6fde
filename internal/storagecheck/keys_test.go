package storagecheck

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

func TestRuleUnregisteredPath(t *testing.T) {
	lu := sim.NewLU()
	unfence(t, lu, 1, 1, key1, true) // path 2 never registered
	unfence(t, lu, 2, 1, key2, false)
	tg := Target{Name: "/dev/mapper/mpatha", Multipath: true, Paths: []Path{path(lu, 1, 1), path(lu, 1, 2)}}
	d := check(tg, testCluster(), Options{})
	if !reflect.DeepEqual(rules(d), []string{RuleUnregisteredPath}) {
		t.Fatalf("rules %v", rules(d))
	}
	if m := problemText(d, RuleUnregisteredPath); !contains(m, "/dev/sde") || contains(m, "/dev/sdd") {
		t.Errorf("should name the unregistered path only: %s", m)
	}
	if d.Paths[0].ThisNodeRegistered != "yes" || d.Paths[1].ThisNodeRegistered != "no" {
		t.Errorf("per path: %s %s", d.Paths[0].ThisNodeRegistered, d.Paths[1].ThisNodeRegistered)
	}
	// Without this host's nexus names the nexuses carrying the key are counted.
	for i := range tg.Paths {
		tg.Paths[i].Nexus = ""
	}
	d = check(tg, testCluster(), Options{})
	if m := problemText(d, RuleUnregisteredPath); !contains(m, "1 I_T nexus(es) of this host but the device has 2 path(s)") {
		t.Errorf("counting: %v %s", rules(d), m)
	}
	// Only the initiator name known (no ISID in sysfs): another host's
	// registration with the same key is not counted as one of ours.
	unfence(t, lu, 3, 1, key1, false)
	for i := range tg.Paths {
		tg.Paths[i].Nexus = nexusName(nx(1, i+1))
	}
	if d := check(tg, testCluster(), Options{}); !hasRule(d, RuleUnregisteredPath) {
		t.Fatalf("node3's registration counted for node1: %v", rules(d))
	}
	if err := lu.Device(nx(3, 1)).Register(ctx, key1, 0, scsi.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	unfence(t, lu, 1, 2, key1, false)
	d = check(tg, testCluster(), Options{})
	if len(d.Problems) != 0 || d.Paths[0].ThisNodeRegistered != "yes (counted)" || d.Paths[1].ThisNodeRegistered != "yes (counted)" {
		t.Fatalf("both paths registered (counted): %v %s", rules(d), d.Paths[1].ThisNodeRegistered)
	}
	for i := range tg.Paths {
		tg.Paths[i].Nexus = nx(1, i+1)
	}
	if d := check(tg, testCluster(), Options{}); len(d.Problems) != 0 {
		t.Fatalf("both paths registered (by nexus): %v", rules(d))
	}
}

// A target without READ FULL STATUS (tgt): READ KEYS entries are counted.
func TestRuleUnregisteredPathReadKeys(t *testing.T) {
	lu := sim.NewLU(sim.WithQuirks(sim.QuirkTGT))
	unfence(t, lu, 1, 1, key1, true)
	tg := Target{Name: "/dev/mapper/mpatha", Multipath: true, Paths: []Path{path(lu, 1, 1), path(lu, 1, 2)}}
	d := check(tg, testCluster(), Options{})
	if !reflect.DeepEqual(rules(d), []string{RuleUnregisteredPath}) || d.Paths[0].FullStatus {
		t.Fatalf("rules %v full status %v", rules(d), d.Paths[0].FullStatus)
	}
	unfence(t, lu, 1, 2, key1, false)
	if d := check(tg, testCluster(), Options{}); len(d.Problems) != 0 {
		t.Fatalf("both registered: %v", rules(d))
	}
}

func TestRuleUnknownKey(t *testing.T) {
	lu, tg := healthy(t)
	unfence(t, lu, 3, 1, key9, false)
	d := check(tg, testCluster(), Options{})
	if !reflect.DeepEqual(rules(d), []string{RuleUnknownKey}) || !contains(problemText(d, RuleUnknownKey), "0xbad00009 (unknown)") {
		t.Fatalf("rules %v: %s", rules(d), problemText(d, RuleUnknownKey))
	}
	var owners []string
	for _, r := range d.Paths[0].Registrations {
		owners = append(owners, r.Owner)
	}
	if !reflect.DeepEqual(owners, []string{"this node (node1)", "this node (node1)", "node2", "unknown"}) {
		t.Errorf("owners %q", owners)
	}
	// No cluster configured: the key is shown as unknown but is no problem.
	cl := Cluster{ThisKey: key1}
	if d := check(tg, cl, Options{}); len(d.Problems) != 0 || d.Paths[0].Registrations[3].Owner != "unknown" {
		t.Fatalf("no cluster: %v %+v", rules(d), d.Paths[0].Registrations)
	}
}

// A scratch key left by an interrupted write test: its own rule (not
// unknown-key), the owner says what it is, with or without a cluster.
func TestRuleScratchKey(t *testing.T) {
	lu, tg := healthy(t)
	unfence(t, lu, 3, 2, ScratchKey|1, false)
	for _, cl := range []Cluster{testCluster(), {}} {
		d := check(tg, cl, Options{})
		if !reflect.DeepEqual(rules(d), []string{RuleScratchKey}) || !contains(problemText(d, RuleScratchKey), "0x5343524154434801") ||
			!contains(problemText(d, RuleScratchKey), "--cleanup") || d.Paths[0].Registrations[3].Owner != "check-storage scratch key" {
			t.Errorf("cluster %v: rules %v: %s", cl.Nodes, rules(d), problemText(d, RuleScratchKey))
		}
	}
	// Only scratch keys, reserved by one: a leftover, not an unfinished unfence.
	lu = sim.NewLU()
	unfence(t, lu, 1, 1, ScratchKey|1, true)
	d := check(Target{Name: "/dev/sdd", Paths: []Path{path(lu, 1, 1)}}, testCluster(), Options{})
	if !reflect.DeepEqual(rules(d), []string{RuleScratchKey}) {
		t.Errorf("rules %v", rules(d))
	}
}

func TestRuleUnfinishedUnfence(t *testing.T) {
	lu := sim.NewLU()
	unfence(t, lu, 1, 1, key1, false)
	tg := Target{Name: "/dev/sdd", Paths: []Path{path(lu, 1, 1)}}
	d := check(tg, testCluster(), Options{})
	if !reflect.DeepEqual(rules(d), []string{RuleUnfinishedUnfence}) {
		t.Fatalf("rules %v", rules(d))
	}
	if err := lu.Device(nx(1, 1)).Reserve(ctx, key1, scsi.TypeWriteExclusiveRegistrantsOnly); err != nil {
		t.Fatal(err)
	}
	if d := check(tg, testCluster(), Options{}); len(d.Problems) != 0 {
		t.Fatalf("reserved: %v", rules(d))
	}
	// A LU nobody registered on yet is not an unfinished unfence.
	empty := sim.NewLU()
	if d := check(Target{Name: "/dev/sdd", Paths: []Path{path(empty, 1, 1)}}, testCluster(), Options{}); len(d.Problems) != 0 || len(d.Notes) == 0 {
		t.Fatalf("empty LU: %v %v", rules(d), d.Notes)
	}
}

func TestRuleDuplicateLU(t *testing.T) {
	_, tg := healthy(t)
	single := Target{Name: "/dev/sdd", Paths: []Path{tg.Paths[0]}}
	other := sim.NewLU(sim.WithSerial("other"))
	unfence(t, other, 1, 1, key1, true)
	r := Summarize([]DeviceReport{check(tg, testCluster(), Options{}), check(Target{Name: "/dev/sdz", Paths: []Path{path(other, 1, 1)}}, testCluster(), Options{})}, testCluster())
	if r.Verdict != "ok" || len(r.Problems) != 0 {
		t.Fatalf("two LUs: %+v", r.Problems)
	}
	r = Summarize([]DeviceReport{check(tg, testCluster(), Options{}), check(single, testCluster(), Options{})}, testCluster())
	if r.Verdict != "fail" || len(r.Problems) != 2 || r.Problems[0].Rule != RuleDuplicateLU || r.Devices[1].Verdict != "fail" {
		t.Fatalf("listed twice: %+v", r.Problems)
	}
	if m := r.Problems[0].Message; !contains(m, "/dev/mapper/mpatha, /dev/sdd") {
		t.Errorf("message %s", m)
	}
}

func TestJSON(t *testing.T) {
	lu, tg := healthy(t)
	unfence(t, lu, 3, 1, key9, false)
	r := Summarize([]DeviceReport{check(tg, testCluster(), Options{})}, testCluster())
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Verdict  string
		ThisKey  string            `json:"this_key"`
		Nodes    map[string]string `json:"cluster_nodes"`
		Problems []Problem
		Devices  []struct {
			Device, Verdict, Identity string
			Paths                     []struct {
				Path               string
				Generation         *uint32
				ThisNodeRegistered string `json:"this_node_registered"`
				Capabilities       struct {
					Types []string
					PTPLC bool `json:"ptpl_c"`
				}
				Registrations []Registration
				Reservation   ReservationInfo
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if got.Verdict != "fail" || got.ThisKey != "0xfe5c0001" || got.Nodes["0xfe5c0002"] != "node2" ||
		len(got.Problems) != 1 || got.Problems[0].Rule != "unknown-key" || got.Problems[0].Fix == "" {
		t.Errorf("top level: %+v", got)
	}
	d := got.Devices[0]
	p := d.Paths[1]
	if d.Device != "/dev/mapper/mpatha" || d.Verdict != "fail" || d.Identity == "" || p.Generation == nil ||
		*p.Generation != lu.Generation() || p.ThisNodeRegistered != "yes" || !p.Capabilities.PTPLC ||
		len(p.Registrations) != 4 || p.Registrations[3].Owner != "unknown" || p.Reservation.Owner != "this node (node1)" {
		t.Errorf("device: %+v", d)
	}
}

func TestText(t *testing.T) {
	lu, tg := healthy(t)
	unfence(t, lu, 3, 1, key9, false)
	var buf bytes.Buffer
	WriteText(&buf, Summarize([]DeviceReport{check(tg, testCluster(), Options{})}, testCluster()))
	for _, want := range []string{"DEVICE /dev/mapper/mpatha (multipath, 2 paths)", "verdict: FAIL", "PROBLEM [unknown-key]",
		"what to do:", "reservation: WE-RO (5) held by 0xfe5c0001 (this node (node1))", "OVERALL: FAIL (1 device(s), 1 problem(s))",
		"types WE,EA,WE-RO,EA-RO,WE-AR,EA-AR  PTPL_C=1"} {
		if !contains(buf.String(), want) {
			t.Errorf("missing %q in\n%s", want, buf.String())
		}
	}
}
