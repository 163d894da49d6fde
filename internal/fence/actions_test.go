package fence

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
	"github.com/fence-scsi-go/fence_scsi_go/internal/state"
)

var ctx = context.Background()

func TestUnfenceThreeFenceOne(t *testing.T) {
	devs := []string{"/dev/sdb", "/dev/sdc"}
	s := newSAN(devs...)
	opts := unfenceAll(t, s, devs)

	for _, d := range devs {
		want := "n1:" + d + "=6c9d0000 n2:" + d + "=6c9d0001 n3:" + d + "=6c9d0002"
		if got := s.regs(d); got != want {
			t.Fatalf("%s after unfencing: %s, want %s", d, got, want)
		}
		res := s.lus[d].ReservationState()
		if !res.Present || res.Type != scsi.TypeWriteExclusiveRegistrantsOnly || res.Holder != "n1:"+d {
			t.Fatalf("%s reservation = %+v, want type 5 held by n1", d, res)
		}
		if !s.lus[d].MayWrite("n3:" + d) {
			t.Fatalf("n3 cannot write %s before fencing", d)
		}
	}
	for n, o := range opts {
		if data, _ := os.ReadFile(o.Store.KeyFile); string(data) != strings.TrimPrefix(nodeKeys[n].String(), "0x")+"\n" {
			t.Errorf("%s key file = %q", n, data)
		}
		if data, _ := os.ReadFile(o.Store.DevFile); string(data) != "/dev/sdb\n/dev/sdc\n" {
			t.Errorf("%s dev file = %q", n, data)
		}
	}

	if on, err := Status(ctx, opts["n2"], devs, key3); err != nil || !on {
		t.Fatalf("Status(n3) before fencing = %v, %v", on, err)
	}
	res, err := Off(ctx, opts["n2"], devs, key3)
	if err != nil || res != PoweredOff {
		t.Fatalf("Off(n3) = %v, %v", res, err)
	}
	for _, d := range devs {
		lu := s.lus[d]
		if lu.MayWrite("n3:" + d) {
			t.Errorf("fenced n3 may still write %s", d)
		}
		if !lu.MayRead("n3:" + d) {
			t.Errorf("fenced n3 may not read %s (WE-RO allows reads)", d)
		}
		for _, n := range []string{"n1", "n2"} {
			if !lu.MayWrite(n + ":" + d) {
				t.Errorf("%s may not write %s after fencing n3", n, d)
			}
		}
		if got, want := s.regs(d), "n1:"+d+"=6c9d0000 n2:"+d+"=6c9d0001"; got != want {
			t.Errorf("%s after fencing: %s, want %s", d, got, want)
		}
	}
	if on, err := Status(ctx, opts["n1"], devs, key3); err != nil || on {
		t.Fatalf("Status(n3) after fencing = %v, %v", on, err)
	}
	// Unfencing again after the fence restores write access.
	if err := On(ctx, opts["n3"], devs, key3); err != nil {
		t.Fatal(err)
	}
	if !s.lus["/dev/sdb"].MayWrite("n3:/dev/sdb") {
		t.Error("n3 cannot write after unfencing again")
	}
}

func TestFenceReservationHolder(t *testing.T) {
	devs := []string{"/dev/sdb"}
	s := newSAN(devs...)
	opts := unfenceAll(t, s, devs)
	// n1 holds the reservation; fencing it moves the reservation to n2.
	if res, err := Off(ctx, opts["n2"], devs, key1); err != nil || res != PoweredOff {
		t.Fatalf("Off(n1) = %v, %v", res, err)
	}
	lu := s.lus["/dev/sdb"]
	if r := lu.ReservationState(); !r.Present || r.Holder != "n2:/dev/sdb" {
		t.Fatalf("reservation = %+v, want held by n2", r)
	}
	if lu.MayWrite("n1:/dev/sdb") || !lu.MayWrite("n3:/dev/sdb") {
		t.Fatal("wrong access after fencing the holder")
	}
}

func TestOffRefusals(t *testing.T) {
	devs := []string{"/dev/sdb", "/dev/sdc"}
	tests := []struct {
		name    string
		prepare func(t *testing.T, s *san, opts map[string]Options) Options
		victim  scsi.Key
		want    OffResult
		wantErr string
	}{
		{
			name:    "already off",
			prepare: func(t *testing.T, s *san, o map[string]Options) Options { return o["n1"] },
			victim:  0x6c9d0009,
			want:    AlreadyOff,
		},
		{
			name:    "fencing yourself",
			prepare: func(t *testing.T, s *san, o map[string]Options) Options { return o["n1"] },
			victim:  key1,
			wantErr: "Failed: keys cannot be same. You can not fence yourself.",
		},
		{
			name: "no key file",
			prepare: func(t *testing.T, s *san, o map[string]Options) Options {
				os.Remove(o["n1"].Store.KeyFile)
				return o["n1"]
			},
			victim:  key3,
			wantErr: `Failed: Cannot open file "`,
		},
		{
			name: "missing device",
			prepare: func(t *testing.T, s *san, o map[string]Options) Options {
				delete(s.lus, "/dev/sdc")
				return o["n1"]
			},
			victim:  key3,
			wantErr: `Failed: device "/dev/sdc" does not exist`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSAN(devs...)
			opts := unfenceAll(t, s, devs)
			before := map[string]uint32{}
			for d, lu := range s.lus {
				before[d] = lu.Generation()
			}
			o := tt.prepare(t, s, opts)
			res, err := Off(ctx, o, devs, tt.victim)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("Off = %v, %v; want error %q", res, err, tt.wantErr)
				}
			} else if err != nil || res != tt.want {
				t.Fatalf("Off = %v, %v; want %v", res, err, tt.want)
			}
			for d, lu := range s.lus {
				if lu.Generation() != before[d] {
					t.Errorf("%s: PR OUT sent (generation %d -> %d)", d, before[d], lu.Generation())
				}
				if !lu.MayWrite("n3:" + d) {
					t.Errorf("%s: n3 lost write access", d)
				}
			}
		})
	}
}

// TestOffAfterFencerRegistrationLost: a fencer whose key is gone from a
// logical unit has been fenced (here it unregistered itself, which the
// storage cannot tell from a preempt). Unlike fence_scsi HEAD, which
// registers its key again first, off must fail and change nothing on that
// logical unit or any later one: the victim keeps its access there.
func TestOffAfterFencerRegistrationLost(t *testing.T) {
	devs := []string{"/dev/sdb", "/dev/sdc"}
	for _, fencer := range []string{"n2", "n1"} { // n1 holds the reservation
		t.Run(fencer, func(t *testing.T) {
			s := newSAN(devs...)
			opts := unfenceAll(t, s, devs)
			lu := s.lus["/dev/sdc"]
			nx := fencer + ":/dev/sdc"
			d := scsi.NewDevice(nx, lu.Connect(nx), scsi.DeviceOptions{})
			if err := d.RegisterAndIgnore(ctx, 0, scsi.RegisterOptions{}); err != nil {
				t.Fatal(err)
			}
			before, gen := s.regs("/dev/sdc"), lu.Generation()
			res, err := Off(ctx, opts[fencer], devs, key3)
			var lost *LostError
			if !errors.As(err, &lost) || lost.Device != "/dev/sdc" || lost.Key != nodeKeys[fencer] {
				t.Fatalf("Off = %v, %v; want LostError on /dev/sdc", res, err)
			}
			if got := s.regs("/dev/sdc"); got != before || lu.Generation() != gen {
				t.Fatalf("/dev/sdc changed: %s (generation %d), was %s (%d)", got, lu.Generation(), before, gen)
			}
			if strings.Contains(s.regs("/dev/sdc"), nx) {
				t.Fatal("the fencer registered its key again")
			}
		})
	}
}

// TestOffWithoutPreemptAndAbort: a tgt-like target refuses PREEMPT AND
// ABORT as an invalid field; off falls back to PREEMPT and the victim is
// fenced on every LU.
func TestOffWithoutPreemptAndAbort(t *testing.T) {
	devs := []string{"/dev/sdb", "/dev/sdc", "/dev/sdd"}
	s := newSAN(devs...)
	s.lus["/dev/sdc"] = sim.NewLU(sim.WithSerial("sim/dev/sdc"), sim.WithQuirks(sim.QuirkNoPreemptAndAbort))
	s.lus["/dev/sdd"] = sim.NewLU(sim.WithSerial("sim/dev/sdd"), sim.WithQuirks(sim.QuirkNoPreemptAndAbort))
	opts := unfenceAll(t, s, devs)
	if _, err := Off(ctx, opts["n1"], devs, key3); err != nil {
		t.Fatalf("Off = %v", err)
	}
	for _, d := range devs {
		if s.lus[d].MayWrite("n3:"+d) || strings.Contains(s.regs(d), "n3:") {
			t.Errorf("%s: n3 not fenced: %s", d, s.regs(d))
		}
	}
}

func TestStaleISIDCleaned(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, lu *sim.LU)
	}{
		{"stale nexus holds the reservation", func(t *testing.T, lu *sim.LU) {
			d := register(t, lu, "n1:old", key1)
			if err := d.Reserve(ctx, key1, scsi.TypeWriteExclusiveRegistrantsOnly); err != nil {
				t.Fatal(err)
			}
			register(t, lu, "n2:/dev/sdb", key2)
		}},
		{"another node holds the reservation", func(t *testing.T, lu *sim.LU) {
			d := register(t, lu, "n2:/dev/sdb", key2)
			if err := d.Reserve(ctx, key2, scsi.TypeWriteExclusiveRegistrantsOnly); err != nil {
				t.Fatal(err)
			}
			register(t, lu, "n1:old", key1)
		}},
		{"no reservation", func(t *testing.T, lu *sim.LU) {
			register(t, lu, "n1:old", key1)
			register(t, lu, "n2:/dev/sdb", key2)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSAN("/dev/sdb")
			lu := s.lus["/dev/sdb"]
			tt.setup(t, lu)
			if err := On(ctx, s.options(t, "n1"), []string{"/dev/sdb"}, key1); err != nil {
				t.Fatal(err)
			}
			if got, want := s.regs("/dev/sdb"), "n1:/dev/sdb=6c9d0000 n2:/dev/sdb=6c9d0001"; got != want {
				t.Fatalf("registrations %s, want %s", got, want)
			}
			if !lu.ReservationState().Present || !lu.MayWrite("n1:/dev/sdb") || lu.MayWrite("n1:old") {
				t.Fatalf("reservation %+v; n1 may write: %v; stale nexus may write: %v",
					lu.ReservationState(), lu.MayWrite("n1:/dev/sdb"), lu.MayWrite("n1:old"))
			}
		})
	}
}

func TestOnIdempotent(t *testing.T) {
	s := newSAN("/dev/sdb")
	o := s.options(t, "n1")
	for i := 0; i < 3; i++ {
		if err := On(ctx, o, []string{"/dev/sdb"}, key1); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.regs("/dev/sdb"); got != "n1:/dev/sdb=6c9d0000" {
		t.Fatalf("registrations %s", got)
	}
	if data, _ := os.ReadFile(o.Store.DevFile); string(data) != "/dev/sdb\n" {
		t.Fatalf("dev file %q", data)
	}
}

func TestOnNotReadyQuirk(t *testing.T) {
	// LIO without /etc/target/pr answers NOT READY to every registration
	// change although it took effect: the read-back decides.
	for _, aptpl := range []bool{false, true} {
		s := newSAN("/dev/sdb", "/dev/sdc")
		s.lus["/dev/sdc"] = sim.NewLU(sim.WithSerial("sim/dev/sdc"), sim.WithQuirks(sim.QuirkAPTPLDirMissing))
		// A stale nexus too; the quirk answers NOT READY although it registers.
		stale := s.lus["/dev/sdc"]
		scsi.NewDevice("old", stale.Connect("n1:old"), scsi.DeviceOptions{}).RegisterAndIgnore(ctx, key1, scsi.RegisterOptions{})
		if got := s.regs("/dev/sdc"); got != "n1:old=6c9d0000" {
			t.Fatalf("setup: %s", got)
		}
		o := s.options(t, "n1")
		o.APTPL = aptpl
		if err := On(ctx, o, []string{"/dev/sdb", "/dev/sdc"}, key1); err != nil {
			t.Fatalf("aptpl=%v: %v", aptpl, err)
		}
		if got := s.regs("/dev/sdc"); got != "n1:/dev/sdc=6c9d0000" {
			t.Errorf("aptpl=%v: registrations %s", aptpl, got)
		}
		if s.lus["/dev/sdb"].APTPL() != aptpl {
			t.Errorf("aptpl=%v: LU APTPL = %v", aptpl, s.lus["/dev/sdb"].APTPL())
		}
	}
}

func TestKeyFileWrittenBeforeDeviceWork(t *testing.T) {
	s := newSAN("/dev/sdb")
	o := s.options(t, "n1")
	o.Store = state.Store{KeyFile: "/proc/self/nonexistent/cluster.key", DevFile: o.Store.DevFile}
	err := On(ctx, o, []string{"/dev/sdb"}, key1)
	if err == nil || err.Error() != `Failed: Cannot open file "/proc/self/nonexistent/cluster.key"` {
		t.Fatalf("On = %v", err)
	}
	if s.lus["/dev/sdb"].Generation() != 0 || len(s.lus["/dev/sdb"].Registrations()) != 0 {
		t.Fatal("PR OUT sent although the key file could not be written")
	}
}

// TestReadKeysPerDevice counts READ KEYS per device: off reads keys twice
// (the validation pass and the read-back after PREEMPT AND ABORT; it never
// registers the fencer's own key), and on twice (validation, verification:
// the validation pass's answer serves the first registration, nothing was
// sent in between), where fence_scsi's register_dev reads once more.
func TestReadKeysPerDevice(t *testing.T) {
	devs := []string{"/dev/sdb", "/dev/sdc"}
	s := newSAN(devs...)
	opts := unfenceAll(t, s, devs)
	count := func(o Options, run func(Options) error) map[string]int {
		t.Helper()
		rec := recordLog("registration keys on ")
		o.Log = rec.logger()
		if err := run(o); err != nil {
			t.Fatal(err)
		}
		n := map[string]int{}
		for _, msg := range rec.messages() {
			n[strings.TrimSuffix(strings.Fields(msg)[3], ":")]++
		}
		return n
	}
	off := count(opts["n1"], func(o Options) error { _, err := Off(ctx, o, devs, key3); return err })
	on := count(opts["n3"], func(o Options) error { return On(ctx, o, devs, key3) })
	for _, d := range devs {
		// off: the validation pass, then the read-back (no registration of
		// the fencer's own key, so no READ KEYS before one).
		if off[d] != 2 {
			t.Errorf("off: %d READ KEYS on %s, want 2 (%v)", off[d], d, off)
		}
		if on[d] != 2 {
			t.Errorf("on: %d READ KEYS on %s, want 2 (%v)", on[d], d, on)
		}
	}
}

// TestAlreadyOffNeedsReservation: an unfence killed between REGISTER and
// RESERVE leaves a LU with registrations and no reservation, which every
// initiator may write. The victim's key is on no device, yet off must not
// answer "Already OFF" before that LU is reserved; a node that cannot
// reserve it (not registered there, or without a key) fails.
func TestAlreadyOffNeedsReservation(t *testing.T) {
	devs := []string{"/dev/sdb", "/dev/sdc"}
	s := newSAN(devs...)
	opts := unfenceAll(t, s, devs)
	// n3 is fenced; then n1's registration on /dev/sdc is cut with the
	// reservation it held (as after an unfinished re-unfence).
	if _, err := Off(ctx, opts["n1"], devs, key3); err != nil {
		t.Fatal(err)
	}
	nx := "n1:/dev/sdc"
	d := scsi.NewDevice(nx, s.lus["/dev/sdc"].Connect(nx), scsi.DeviceOptions{})
	if err := d.RegisterAndIgnore(ctx, 0, scsi.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	if s.lus["/dev/sdc"].ReservationState().Present || !s.lus["/dev/sdc"].MayWrite("n3:/dev/sdc") {
		t.Fatal("setup: /dev/sdc should be unreserved and open to n3")
	}
	// n1 is not registered on /dev/sdc: it cannot make it safe.
	res, err := Off(ctx, opts["n1"], devs, key3)
	var ue *UnreservedError
	if !errors.As(err, &ue) || ue.Device != "/dev/sdc" {
		t.Fatalf("Off by n1 = %v, %v; want UnreservedError on /dev/sdc", res, err)
	}
	// n2 is registered there: it reserves, then reports Already OFF.
	res, err = Off(ctx, opts["n2"], devs, key3)
	if err != nil || res != AlreadyOff {
		t.Fatalf("Off by n2 = %v, %v; want Already OFF", res, err)
	}
	rs := s.lus["/dev/sdc"].ReservationState()
	if !rs.Present || rs.Holder != "n2:/dev/sdc" || s.lus["/dev/sdc"].MayWrite("n3:/dev/sdc") {
		t.Fatalf("/dev/sdc after Already OFF: %+v, n3 may write %v", rs, s.lus["/dev/sdc"].MayWrite("n3:/dev/sdc"))
	}
}

// TestOffSameIdentityTwoLUs: two logical units that report one identity (a
// target bug) are grouped as one; off must not report success while the
// victim stays registered on the second.
func TestOffSameIdentityTwoLUs(t *testing.T) {
	devs := []string{"/dev/sdb", "/dev/sdc"}
	s := newSAN(devs...)
	s.lus["/dev/sdc"] = sim.NewLU(sim.WithSerial("sim/dev/sdb")) // same serial, same NAA
	opts := unfenceAll(t, s, devs)
	_, err := Off(ctx, opts["n1"], devs, key3)
	var ve *VerifyError
	if !errors.As(err, &ve) {
		t.Fatalf("Off = %v, want a verification failure", err)
	}
}

// partialRegs answers READ FULL STATUS as a list that did not fit and
// lacks the victim's registration; with dropPreempts its preempts are
// answered GOOD without reaching the target.
type partialRegs struct {
	pr.Device
	reads        *atomic.Int32
	dropPreempts bool
}

func (d partialRegs) ReadRegistrations(ctx context.Context) (*pr.Registrations, error) {
	d.reads.Add(1)
	regs, err := d.Device.ReadRegistrations(ctx)
	if err == nil {
		var kept []pr.Registration
		for _, g := range regs.List {
			if g.Key != key3 {
				kept = append(kept, g)
			}
		}
		regs.List, regs.Partial = kept, true
	}
	return regs, err
}

func (d partialRegs) PreemptAndAbort(ctx context.Context, rk, sark pr.Key, t pr.Type) error {
	if d.dropPreempts {
		return nil
	}
	return d.Device.PreemptAndAbort(ctx, rk, sark, t)
}

func (d partialRegs) Preempt(ctx context.Context, rk, sark pr.Key, t pr.Type) error {
	if d.dropPreempts {
		return nil
	}
	return d.Device.Preempt(ctx, rk, sark, t)
}

// TestOffReadBackPartialList: off never decides on a READ FULL STATUS
// answer that does not hold every registration; its read-back then reads
// READ KEYS and READ RESERVATION. With preempts that do not take, the
// partial list (which lacks the victim) would pass; READ KEYS does not.
func TestOffReadBackPartialList(t *testing.T) {
	for _, drop := range []bool{false, true} {
		devs := []string{"/dev/sdb"}
		s := newSAN(devs...)
		o := unfenceAll(t, s, devs)["n1"]
		var reads atomic.Int32
		open := o.Open
		o.Open = func(path string, ro bool) (pr.Device, error) {
			d, err := open(path, ro)
			if err != nil {
				return nil, err
			}
			return partialRegs{Device: d, reads: &reads, dropPreempts: drop}, nil
		}
		_, err := Off(ctx, o, devs, key3)
		if reads.Load() == 0 {
			t.Fatalf("drop=%v: off did not read the registrations", drop)
		}
		writes := s.lus["/dev/sdb"].MayWrite("n3:/dev/sdb")
		switch {
		case !drop && (err != nil || writes):
			t.Errorf("Off = %v; n3 can write: %v (%s)", err, writes, s.regs("/dev/sdb"))
		case drop && (err == nil || !writes):
			t.Errorf("preempts dropped: Off = %v, n3 can write: %v; want an error while n3 can write", err, writes)
		}
	}
}

// TestOffLogsReservation: with a logger that takes DEBUG, off logs the
// reservation it read back on every device (the line is skipped, not only
// left unformatted, when nobody logs DEBUG).
func TestOffLogsReservation(t *testing.T) {
	devs := []string{"/dev/sdb", "/dev/sdc"}
	s := newSAN(devs...)
	opts := unfenceAll(t, s, devs)
	rec := recordLog("reservation on ")
	o := opts["n1"]
	o.Log = rec.logger()
	if _, err := Off(ctx, o, devs, key3); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, msg := range rec.messages() {
		seen[strings.TrimSuffix(strings.Fields(msg)[2], ":")] = true
	}
	for _, d := range devs {
		if !seen[d] {
			t.Errorf("no reservation line for %s in %q", d, rec.messages())
		}
	}
}
