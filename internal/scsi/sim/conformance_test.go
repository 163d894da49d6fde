package sim_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/conformance"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

// simTarget offers the conformance suite three nexuses to one simulated LU,
// with raw transports, exact unit attentions and block I/O.
type simTarget struct {
	lu    *sim.LU
	ports []scsi.Transport
	devs  []scsi.Device
}

func newSimTarget(q sim.Quirks, nexuses int) func(t *testing.T) conformance.Target {
	return func(t *testing.T) conformance.Target {
		st := &simTarget{lu: sim.NewLU(sim.WithQuirks(q))}
		for i := 0; i < nexuses; i++ {
			name := fmt.Sprintf("iqn.2026-01.org.fence-scsi-go:node%d", i+1)
			p := st.lu.Connect(name)
			st.ports = append(st.ports, p)
			st.devs = append(st.devs, scsi.NewDevice(name, p, scsi.DeviceOptions{}))
		}
		return st
	}
}

func (s *simTarget) Nexuses() int                   { return len(s.devs) }
func (s *simTarget) Nexus(i int) scsi.Device        { return s.devs[i] }
func (s *simTarget) Quirks() sim.Quirks             { return s.lu.Quirks() }
func (s *simTarget) Transport(i int) scsi.Transport { return s.ports[i] }
func (s *simTarget) ExactUnitAttentions() bool      { return true }
func (s *simTarget) Read(i int) error               { return sim.ReadBlock(context.Background(), s.ports[i], 1) }
func (s *simTarget) Write(i int) error {
	return sim.WriteBlock(context.Background(), s.ports[i], 1, make([]byte, sim.BlockSize))
}

// deviceOnly hides every optional capability, as a target reachable only
// through the Device API would; the suite must still run (and skip).
type deviceOnly struct{ t conformance.Target }

func (d deviceOnly) Nexuses() int            { return d.t.Nexuses() }
func (d deviceOnly) Nexus(i int) scsi.Device { return d.t.Nexus(i) }
func (d deviceOnly) Quirks() sim.Quirks      { return d.t.Quirks() }

func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		name   string
		quirks sim.Quirks
	}{
		{"SPC4", sim.QuirkNone},
		{"LIO", sim.QuirkLIO},
		{"TGT", sim.QuirkTGT},
		{"OldLIO", sim.QuirkLIO | sim.QuirkTruncatedAdditionalLength},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			conformance.Run(t, newSimTarget(tc.quirks, 3))
		})
	}
	t.Run("TwoNexusesDeviceOnly", func(t *testing.T) {
		t.Parallel()
		newTarget := newSimTarget(sim.QuirkLIO, 2)
		conformance.Run(t, func(t *testing.T) conformance.Target { return deviceOnly{newTarget(t)} })
	})
}

// claimedQuirks is a simulated target that claims other quirks than it has.
type claimedQuirks struct {
	*simTarget
	claimed sim.Quirks
}

func (c claimedQuirks) Quirks() sim.Quirks { return c.claimed }

// recorder is a testing.TB that records failures instead of reporting them,
// so a test can assert that a conformance case fails.
type recorder struct {
	testing.TB
	failed, skipped bool
	msgs            []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.failed = true
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}
func (r *recorder) Error(args ...any)                 { r.Errorf("%s", fmt.Sprint(args...)) }
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); runtime.Goexit() }
func (r *recorder) Fatal(args ...any)                 { r.Error(args...); runtime.Goexit() }
func (r *recorder) Skip(args ...any)                  { r.skipped = true; runtime.Goexit() }
func (r *recorder) Skipf(string, ...any)              { r.skipped = true; runtime.Goexit() }
func (r *recorder) Failed() bool                      { return r.failed }

// runRecorded runs case name on target and returns what it reported.
func runRecorded(t *testing.T, tgt conformance.Target, name string) *recorder {
	t.Helper()
	for _, c := range conformance.Cases() {
		if c.Name == name {
			r := &recorder{TB: t}
			done := make(chan struct{})
			go func() { defer close(done); conformance.RunCase(r, tgt, c) }()
			<-done
			return r
		}
	}
	t.Fatalf("no conformance case %s", name)
	return nil
}

// TestConformanceCatchesWrongQuirks runs quirk-dependent cases against a
// simulator whose behaviour differs from the quirks claimed: each must fail,
// or the suite could not tell LIO or tgt from SPC-4 on real storage either.
func TestConformanceCatchesWrongQuirks(t *testing.T) {
	for _, tc := range []struct {
		name            string
		claimed, actual sim.Quirks
	}{
		{"Release.WrongType", sim.QuirkNone, sim.QuirkLIO},
		{"Release.NonHolder", sim.QuirkNone, sim.QuirkLIO},
		{"ProutUnregistered.Conflict", sim.QuirkNone, sim.QuirkLIO},
		{"ProutUnregistered.Conflict", sim.QuirkLIO, sim.QuirkNone},
		{"Generation.Invariants", sim.QuirkNone, sim.QuirkLIO},
		{"Generation.Invariants", sim.QuirkNone, sim.QuirkTGT},
		{"PreemptAndAbort.FencesWrites", sim.QuirkNone, sim.QuirkTGT},
		{"FenceSCSI.OffVictimHolder", sim.QuirkTGT, sim.QuirkNone},
		{"PrinServiceactionRange.Range", sim.QuirkNone, sim.QuirkTGT},
		{"PrinReadKeys.Truncate", sim.QuirkNone, sim.QuirkTruncatedAdditionalLength},
		{"Preempt.NonHolderUnderWERO", sim.QuirkNone, sim.QuirkUAPreemptedAsReservations},
		{"Preempt.ZeroKeyWithoutAR", sim.QuirkNone, sim.QuirkTGT},
		{"PrinReportCapabilities.Simple", sim.QuirkNoCapabilityBits, sim.QuirkNone},
		{"PrinReadFullStatus.Truncate", sim.QuirkNone, sim.QuirkLIO},
		{"PrinReadFullStatus.Truncate", sim.QuirkLIO, sim.QuirkNone},
		{"Register.AllTgPtUnregister", sim.QuirkNone, sim.QuirkLIO},
		{"Register.AllTgPtUnregister", sim.QuirkLIO, sim.QuirkNone},
	} {
		tgt := claimedQuirks{newSimTarget(tc.actual, 3)(t).(*simTarget), tc.claimed}
		if r := runRecorded(t, tgt, tc.name); !r.failed {
			t.Errorf("%s claiming quirks %#x on a target with %#x: passed (skipped=%v)", tc.name, tc.claimed, tc.actual, r.skipped)
		}
	}
}
