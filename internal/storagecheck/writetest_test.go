package storagecheck

import (
	"context"
	"log/slog"
	"reflect"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/logging"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

func pristine(t *testing.T, lu *sim.LU) {
	t.Helper()
	if regs, res := lu.Registrations(), lu.ReservationState(); len(regs) != 0 || res.Present {
		t.Fatalf("LU not as it began: registrations %+v, reservation %+v", regs, res)
	}
}

func twoPaths(lu *sim.LU) Target {
	return Target{Name: "/dev/mapper/mpatha", Multipath: true, Paths: []Path{path(lu, 1, 1), path(lu, 1, 2)}}
}

func TestWriteTestTwoPaths(t *testing.T) {
	for _, q := range []sim.Quirks{sim.QuirkNone, sim.QuirkLIO} {
		lu := sim.NewLU(sim.WithQuirks(q))
		r := WriteTest(ctx, twoPaths(lu), WriteTestOptions{})
		if !r.OK || !r.Ran || !r.Restored || r.Error != "" || len(r.Steps) != 10 || !reflect.DeepEqual(r.StateBefore, r.StateAfter) {
			t.Fatalf("quirks %#x: %+v", q, r)
		}
		for i, want := range map[int]string{2: "WRITE through /dev/sdd (registered, holder) accepted", 3: "WRITE through unregistered /dev/sde refused with RESERVATION CONFLICT",
			5: "WRITE through registered /dev/sde accepted", 6: "PREEMPT AND ABORT through /dev/sde removed 0x5343524154434801",
			7: "WRITE through preempted /dev/sdd refused"} {
			if !contains(r.Steps[i], want) {
				t.Errorf("step %d %q, want %q", i, r.Steps[i], want)
			}
		}
		pristine(t, lu)
		if lu.Generation() < 3 {
			t.Errorf("generation %d, want at least 3 (REGISTER, REGISTER, PREEMPT AND ABORT)", lu.Generation())
		}
	}
}

// --peer-device: a single path and a second nexus given explicitly.
func TestWriteTestPeer(t *testing.T) {
	lu := sim.NewLU()
	peer := path(lu, 1, 2)
	r := WriteTest(ctx, Target{Name: "/dev/sdd", Paths: []Path{path(lu, 1, 1)}, Peer: &peer}, WriteTestOptions{})
	if !r.OK || len(r.Steps) != 10 || !reflect.DeepEqual(r.Nexuses, []string{"/dev/sdd", "/dev/sde"}) {
		t.Fatalf("%+v", r)
	}
	pristine(t, lu)
	self := path(lu, 1, 1)
	r = WriteTest(ctx, Target{Name: "/dev/sdd", Paths: []Path{path(lu, 1, 1)}, Peer: &self}, WriteTestOptions{})
	if r.Ran || !contains(r.Error, "are one I_T nexus") {
		t.Fatalf("peer is the path itself: %+v", r)
	}
	// Paths whose nexus names lack the ISID (Linux iSCSI sysfs) are two paths
	// of one initiator, not one nexus.
	a, b := path(lu, 1, 1), path(lu, 1, 2)
	a.Nexus, b.Nexus = nexusName(a.Nexus), nexusName(b.Nexus)
	r = WriteTest(ctx, Target{Name: "/dev/sdd", Paths: []Path{a}, Peer: &b}, WriteTestOptions{})
	if !r.OK || len(r.Steps) != 10 {
		t.Fatalf("initiator names only: %+v", r)
	}
	pristine(t, lu)
	other := path(sim.NewLU(sim.WithSerial("other")), 1, 2)
	r = WriteTest(ctx, Target{Name: "/dev/sdd", Paths: []Path{path(lu, 1, 1)}, Peer: &other}, WriteTestOptions{})
	if r.Ran || !contains(r.Error, "must reach the same LU") || lu.Generation() != 8 {
		t.Fatalf("peer on another LU: %+v", r)
	}
}

func TestWriteTestOnePath(t *testing.T) {
	lu := sim.NewLU()
	r := WriteTest(ctx, Target{Name: "/dev/sdd", Paths: []Path{path(lu, 1, 1)}}, WriteTestOptions{})
	if !r.OK || len(r.Steps) != 6 || !contains(r.Steps[3], "one nexus only") {
		t.Fatalf("%+v", r)
	}
	pristine(t, lu)
}

func TestWriteTestRefusesRegisteredLU(t *testing.T) {
	lu := sim.NewLU()
	unfence(t, lu, 2, 1, key2, false) // another node's registration, no reservation
	gen := lu.Generation()
	r := WriteTest(ctx, twoPaths(lu), WriteTestOptions{})
	if r.OK || r.Ran || !contains(r.Error, "refused") || !contains(r.Error, "--force") {
		t.Fatalf("%+v", r)
	}
	if lu.Generation() != gen || len(lu.Registrations()) != 1 || lu.Registrations()[0].Key != key2 {
		t.Fatal("a refused write test changed the LU")
	}
}

// --force on a LU others use: their registrations and reservation are kept,
// no data is written, the scratch keys come and go.
func TestWriteTestForce(t *testing.T) {
	lu := sim.NewLU()
	unfence(t, lu, 2, 1, key2, true)
	regs, res := lu.Registrations(), lu.ReservationState()
	r := WriteTest(ctx, twoPaths(lu), WriteTestOptions{Force: true})
	if !r.OK || !r.Restored || !contains(r.Steps[0], "--force") || !contains(r.Steps[2], "RESERVE not tested") || !contains(r.Steps[3], "no data written") {
		t.Fatalf("%+v", r)
	}
	if !reflect.DeepEqual(lu.Registrations(), regs) || lu.ReservationState() != res {
		t.Fatalf("others' state changed: %+v %+v", lu.Registrations(), lu.ReservationState())
	}
	// This host's nexus is registered (a cluster node): nothing replaced.
	unfence(t, lu, 1, 1, key1, false)
	regs = lu.Registrations()
	r = WriteTest(ctx, twoPaths(lu), WriteTestOptions{Force: true})
	if r.OK || !contains(r.Error, "never replaces a key") || !r.Restored || !reflect.DeepEqual(lu.Registrations(), regs) {
		t.Fatalf("registered nexus: %+v", r)
	}
}

// A PR OUT that is rejected (PREEMPT AND ABORT not implemented, tgt) is
// cleaned up: both scratch keys and the reservation are gone.
func TestWriteTestCleanupAfterRejectedPreempt(t *testing.T) {
	lu := sim.NewLU(sim.WithQuirks(sim.QuirkNoPreemptAndAbort))
	r := WriteTest(ctx, twoPaths(lu), WriteTestOptions{})
	if r.OK || !r.Ran || !contains(r.Error, "preempt and abort") || !r.Restored || len(r.Cleanup) != 2 {
		t.Fatalf("%+v", r)
	}
	pristine(t, lu)
}

// A PR OUT that executed but whose answer was lost (injected timeout after
// execution) on the second path: the clean-up removes what it left.
func TestWriteTestCleanupAfterLostAnswer(t *testing.T) {
	lu := sim.NewLU()
	lu.Inject(nx(1, 2), sim.Fault{Kind: sim.FaultTimeoutAfter, Count: 1, Opcodes: []byte{0x5F}})
	r := WriteTest(ctx, twoPaths(lu), WriteTestOptions{})
	if r.OK || !r.Ran || !contains(r.Error, "register 0x5343524154434802") || !r.Restored {
		t.Fatalf("%+v", r)
	}
	if len(r.Cleanup) != 2 || !contains(r.Cleanup[0], "unregistered 0x5343524154434801 through /dev/sdd") || !contains(r.Cleanup[1], "unregistered 0x5343524154434802 through /dev/sde") {
		t.Errorf("cleanup %q", r.Cleanup)
	}
	pristine(t, lu)
}

// When the clean-up itself fails the result says the LU is not as it began.
func TestWriteTestCleanupFails(t *testing.T) {
	lu := sim.NewLU()
	lu.Inject(nx(1, 2), sim.Fault{Kind: sim.FaultTimeoutAfter, Count: -1, Opcodes: []byte{0x5F}})
	r := WriteTest(ctx, twoPaths(lu), WriteTestOptions{})
	if r.OK || r.Restored || !contains(r.Cleanup[len(r.Cleanup)-2], "0x5343524154434802 through /dev/sde") || !contains(r.Cleanup[len(r.Cleanup)-1], "NOT as it began") {
		t.Fatalf("%+v", r)
	}
	if regs := lu.Registrations(); len(regs) != 1 || regs[0].Key != ScratchKey|2 {
		t.Fatalf("registrations %+v", regs)
	}
}

// brokenIO accepts every command: a target that does not enforce the
// reservation on writes.
type brokenIO struct{ scsi.Transport }

func (b brokenIO) Execute(ctx context.Context, cmd *scsi.Command) (*scsi.Result, error) {
	if cmd.CDB[0] == opWrite10 {
		return &scsi.Result{}, nil
	}
	return b.Transport.Execute(ctx, cmd)
}

// noPreempt answers GOOD to PREEMPT AND ABORT without doing it.
type noPreempt struct{ scsi.Device }

func (noPreempt) PreemptAndAbort(context.Context, scsi.Key, scsi.Key, scsi.ReservationType) error {
	return nil
}

// staleGeneration never advances the PR generation READ KEYS reports.
type staleGeneration struct{ scsi.Device }

func (s staleGeneration) ReadKeys(ctx context.Context) (*scsi.KeyList, error) {
	kl, err := s.Device.ReadKeys(ctx)
	if kl != nil {
		kl.Generation = 7
	}
	return kl, err
}

// Each check of the sequence fails on a target that breaks it, and the LU
// ends as it began.
func TestWriteTestDetectsBrokenTargets(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		edit       func(*sim.LU, *Target)
	}{
		{"unregistered write accepted (another initiator)", "WRITE through unregistered /dev/sdf was accepted", func(lu *sim.LU, tg *Target) {
			tg.Paths[1] = path(lu, 2, 1)
			tg.Paths[1].IO = brokenIO{tg.Paths[1].IO}
		}},
		{"preempted write accepted (another initiator)", "WRITE through preempted /dev/sdd was accepted", func(lu *sim.LU, tg *Target) {
			tg.Paths[1] = path(lu, 2, 1)
			tg.Paths[0].IO = brokenIO{tg.Paths[0].IO}
		}},
		{"preempt ignored", "read keys through /dev/sdd: [0x5343524154434801 0x5343524154434802], want [0x5343524154434802]",
			func(_ *sim.LU, tg *Target) { tg.Paths[1].Dev = noPreempt{tg.Paths[1].Dev} }},
		{"generation stuck", "did not advance", func(_ *sim.LU, tg *Target) { tg.Paths[0].Dev = staleGeneration{tg.Paths[0].Dev} }},
	} {
		lu := sim.NewLU()
		tg := twoPaths(lu)
		tc.edit(lu, &tg)
		r := WriteTest(ctx, tg, WriteTestOptions{})
		if r.OK || !r.Ran || !contains(r.Error, tc.want) || !r.Restored {
			t.Errorf("%s: %+v", tc.name, r)
		}
		pristine(t, lu)
	}
}

// killed stops a write test at its nth step the way SIGKILL would: no
// clean-up runs (the panic unwinds past WriteTest).
func killed(t *testing.T, tg Target, n int) {
	t.Helper()
	steps := 0
	defer func() {
		if recover() == nil {
			t.Fatal("the write test was not interrupted")
		}
	}()
	WriteTest(ctx, tg, WriteTestOptions{Log: logging.Func(func(slog.Level, string) {
		if steps++; steps == n {
			panic("SIGKILL")
		}
	})})
}

// A write test killed halfway leaves scratch keys; Cleanup removes them and
// only them (another node's key and this node's key elsewhere are kept).
func TestCleanupAfterKill(t *testing.T) {
	for n := 1; n <= 9; n++ {
		lu := sim.NewLU()
		tg := twoPaths(lu)
		killed(t, tg, n)
		if len(lu.Registrations()) == 0 {
			t.Fatalf("kill at step %d left nothing to clean", n)
		}
		unfence(t, lu, 2, 1, key2, false) // a node registers meanwhile
		d := check(tg, testCluster(), Options{})
		if !hasRule(d, RuleScratchKey) {
			t.Errorf("kill at step %d: rules %v", n, rules(d))
		}
		c := Cleanup(ctx, tg)
		if len(c.Removed) == 0 || len(c.Remaining) != 0 || len(c.Errors) != 0 {
			t.Fatalf("kill at step %d: %+v", n, c)
		}
		if regs := lu.Registrations(); len(regs) != 1 || regs[0].Key != key2 || lu.ReservationState().Present {
			t.Fatalf("kill at step %d: left %+v %+v", n, regs, lu.ReservationState())
		}
	}
}

// Cleanup never touches a key that is not a scratch key, nor a scratch key
// registered through another host's nexus (it says so).
func TestCleanupTouchesOnlyOwnScratchKeys(t *testing.T) {
	lu := sim.NewLU()
	unfence(t, lu, 1, 1, key1, true)             // this node's own key on path 1, holder
	unfence(t, lu, 3, 1, ScratchKey|1, false)    // another host's leftover
	unfence(t, lu, 1, 2, ScratchKey|0x42, false) // ours, through path 2
	regs := lu.Registrations()
	c := Cleanup(ctx, twoPaths(lu))
	if !reflect.DeepEqual(c.Removed, []string{"unregistered 0x5343524154434842 through /dev/sde"}) ||
		!reflect.DeepEqual(c.Remaining, []string{"0x5343524154434801"}) || len(c.Found) != 2 {
		t.Fatalf("%+v", c)
	}
	if got := lu.Registrations(); len(got) != 2 || !reflect.DeepEqual(got, regs[:2]) || lu.ReservationState().Holder != nx(1, 1) {
		t.Fatalf("kept %+v (was %+v), reservation %+v", got, regs, lu.ReservationState())
	}
}

// A target that grants access per initiator name (LIO: another ISID of the
// holder's initiator may write): with two paths of one initiator the
// accepted writes are noted, not failed.
func TestWriteTestSameInitiatorNoted(t *testing.T) {
	lu := sim.NewLU()
	tg := twoPaths(lu)
	tg.Paths[0].IO, tg.Paths[1].IO = brokenIO{tg.Paths[0].IO}, brokenIO{tg.Paths[1].IO}
	r := WriteTest(ctx, tg, WriteTestOptions{})
	if !r.OK || !contains(r.Steps[3], "note: WRITE through unregistered /dev/sde was accepted: it shares the initiator name iqn.2003-01.test:node1") ||
		!contains(r.Steps[7], "note: WRITE through preempted /dev/sdd was accepted") {
		t.Fatalf("%+v", r)
	}
	pristine(t, lu)
}
