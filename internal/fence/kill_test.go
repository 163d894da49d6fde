package fence

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// killRun runs action for agent n1 under the scheduler and kills it (every
// later command fails, as after kill -9) at its step k; it returns the PR
// commands that completed, in order.
func killRun(action func(o Options) error, o Options, k int) ([]string, error) {
	sc := newSched(1)
	var ops []string
	sc.kill = func(_, step int) bool { return step >= k }
	o = scheduled(o, sc, 0)
	orig := o.Open
	o.Open = func(path string, ro bool) (dev scsiDevice, err error) {
		d, err := orig(path, ro)
		if err != nil {
			return nil, err
		}
		return &opRecorder{Device: d, ops: &ops}, nil
	}
	errs, err := sc.run([]func() error{func() error { return action(o) }}, func(int, []int) int { return 0 })
	if err != nil {
		return ops, err
	}
	return ops, errs[0]
}

// TestKillDuringOn kills `on` at every PR command boundary across 4 LUs.
// Every device in the dev file is registered; every device whose
// registration was verified (its READ KEYS after the registration completed)
// is in the dev file; the re-run leaves exactly the state of an unkilled on.
func TestKillDuringOn(t *testing.T) {
	devs := []string{"/dev/sdb", "/dev/sdc", "/dev/sdd", "/dev/sde"}
	for k := 0; ; k++ {
		s := newSAN(devs...)
		o := quiet(s.options(t, "n1"))
		o.Parallelism = 1
		ops, err := killRun(func(o Options) error { return On(ctx, o, devs, key1) }, o, k)
		if err == nil {
			t.Logf("on has %d PR commands; killed at each of them", k)
			break
		}
		listed, _ := o.Store.ReadDevices()
		for _, d := range listed {
			if !strings.Contains(s.regs(d), "n1:"+d+"=") {
				t.Fatalf("kill at %d: %s in the dev file but not registered", k, d)
			}
		}
		for _, d := range verifiedRegistrations(ops) {
			if !slices.Contains(listed, d) {
				t.Fatalf("kill at %d: %s registered and verified but not in the dev file %v (ops %v)", k, d, listed, ops)
			}
		}
		if err := On(ctx, quiet(o), devs, key1); err != nil {
			t.Fatalf("kill at %d: re-run: %v", k, err)
		}
		listed, _ = o.Store.ReadDevices()
		if !slices.Equal(listed, devs) {
			t.Fatalf("kill at %d: dev file after re-run %v, want %v", k, listed, devs)
		}
		for _, d := range devs {
			rs := s.lus[d].ReservationState()
			if s.regs(d) != "n1:"+d+"=6c9d0000" || !rs.Present || rs.Holder != "n1:"+d {
				t.Fatalf("kill at %d: %s after re-run: %s %+v", k, d, s.regs(d), rs)
			}
		}
	}
}

// verifiedRegistrations: devices with a completed READ KEYS after a
// completed registration.
func verifiedRegistrations(ops []string) []string {
	var out []string
	registered := map[string]bool{}
	for _, op := range ops {
		name, dev, _ := strings.Cut(op, " ")
		switch {
		case strings.HasPrefix(name, "register"):
			registered[dev] = true
		case name == "read-keys" && registered[dev] && !slices.Contains(out, dev):
			out = append(out, dev)
		}
	}
	return out
}

// TestKillDuringOff kills n1's off of n3 at every PR command boundary across
// 4 LUs: every LU keeps a reservation, n1 and n2 keep their registrations,
// and the re-run fences n3 everywhere.
func TestKillDuringOff(t *testing.T) {
	devs := []string{"/dev/sdb", "/dev/sdc", "/dev/sdd", "/dev/sde"}
	for k := 0; ; k++ {
		s := newSAN(devs...)
		opts := unfenceAll(t, s, devs)
		o := quiet(opts["n1"])
		o.Parallelism = 1
		_, err := killRun(func(o Options) error { _, err := Off(ctx, o, devs, key3); return err }, o, k)
		if err == nil {
			t.Logf("off has %d PR commands; killed at each of them", k)
			break
		}
		if err := everyLUReserved(s, devs); err != nil {
			t.Fatalf("kill at %d: %v", k, err)
		}
		if _, err := Off(ctx, o, devs, key3); err != nil {
			t.Fatalf("kill at %d: re-run: %v", k, err)
		}
		for _, d := range devs {
			want := fmt.Sprintf("n1:%s=6c9d0000 n2:%s=6c9d0001", d, d)
			if got := s.regs(d); got != want || !s.lus[d].ReservationState().Present || s.lus[d].MayWrite("n3:"+d) {
				t.Fatalf("kill at %d: %s after re-run: %s, want %s, reserved, n3 locked out", k, d, got, want)
			}
		}
	}
}
