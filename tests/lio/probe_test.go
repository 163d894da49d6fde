package lio

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

// step is one raw command on one nexus.
type step struct {
	nexus int
	cdb   []byte
	out   []byte // PR OUT parameter list; nil for PR IN and TUR
	alloc int    // PR IN allocation length
}

// probe is a raw command sequence whose answers must be the same on LIO and
// on the simulator in LIO mode. It covers the quirk bits the conformance
// cases do not reach (SCOPE, allocation lengths, parameter list length,
// reserved service actions and types, optional flag bits).
type probe struct {
	name  string
	steps []step
}

func k(i int) scsi.Key { return scsi.Key(0x00000000B0B00001 + uint64(i)) }

func prout(n int, sa scsi.PROutServiceAction, scope uint8, t scsi.ReservationType, rk, sark scsi.Key, flags byte) step {
	p := scsi.PROutParams(rk, sark, scsi.RegisterOptions{})
	p[20] = flags
	return step{nexus: n, cdb: scsi.PROutCDB(sa, scope, t), out: p}
}

func prin(n int, sa scsi.PRInServiceAction, alloc int) step {
	return step{nexus: n, cdb: scsi.PRInCDB(sa, uint16(alloc)), alloc: alloc}
}

func register(n int, key scsi.Key) step {
	return prout(n, scsi.PROutRegisterAndIgnore, 0, 0, 0, key, 0)
}

func unregister(n int, key scsi.Key) step {
	return prout(n, scsi.PROutRegister, 0, 0, key, 0, 0)
}

func probes() []probe {
	wero := scsi.TypeWriteExclusiveRegistrantsOnly
	paramLen := func(s step, n int) step {
		binary.BigEndian.PutUint32(s.cdb[5:9], uint32(n))
		s.out = append(s.out, make([]byte, max(0, n-len(s.out)))...)[:n]
		return s
	}
	ps := []probe{
		{"ScopeNonZero", []step{register(0, k(0)), prout(0, scsi.PROutReserve, 1, wero, k(0), 0, 0), prin(0, scsi.PRInReadReservation, 24), unregister(0, k(0))}},
		{"ReserveInvalidType", []step{register(0, k(0)), prout(0, scsi.PROutReserve, 0, 2, k(0), 0, 0), prout(0, scsi.PROutReserve, 0, 4, k(0), 0, 0), prout(0, scsi.PROutReserve, 0, 0, k(0), 0, 0), unregister(0, k(0))}},
		{"ParamLen20", []step{paramLen(register(0, k(0)), 20), prin(0, scsi.PRInReadKeys, 16)}},
		{"ParamLen32", []step{paramLen(register(0, k(0)), 32), prin(0, scsi.PRInReadKeys, 16), unregister(0, k(0))}},
		{"ParamLen0", []step{paramLen(register(0, k(0)), 0), prin(0, scsi.PRInReadKeys, 16)}},
		{"ReservedServiceActions", nil},
		{"AllocationLengths", []step{register(0, k(0)),
			prin(0, scsi.PRInReadKeys, 0), prin(0, scsi.PRInReadKeys, 4), prin(0, scsi.PRInReadKeys, 7), prin(0, scsi.PRInReadKeys, 8), prin(0, scsi.PRInReadKeys, 12),
			prin(0, scsi.PRInReadReservation, 4), prin(0, scsi.PRInReadReservation, 8),
			prin(0, scsi.PRInReportCapabilities, 4), prin(0, scsi.PRInReportCapabilities, 6), prin(0, scsi.PRInReportCapabilities, 8),
			prin(0, scsi.PRInReadFullStatus, 4), prin(0, scsi.PRInReadFullStatus, 8), prin(0, scsi.PRInReadFullStatus, 16),
			unregister(0, k(0))}},
		{"AllTgPt", []step{register(0, k(0)), prout(1, scsi.PROutRegisterAndIgnore, 0, 0, 0, k(1), scsi.ParamAllTgPt), prin(0, scsi.PRInReadKeys, 64),
			prout(1, scsi.PROutRegister, 0, 0, k(1), k(2), 0), unregister(0, k(0)), unregister(1, k(1)), prin(0, scsi.PRInReadKeys, 64),
			prout(1, scsi.PROutRegister, 0, 0, k(1), 0, scsi.ParamAllTgPt), prin(0, scsi.PRInReadKeys, 64)}},
		{"FullStatusTwoRegistrations", []step{register(0, k(0)), register(1, k(1)), prin(0, scsi.PRInReadFullStatus, 8), prin(0, scsi.PRInReadFullStatus, 32), prin(0, scsi.PRInReadFullStatus, 16384), unregister(0, k(0)), unregister(1, k(1))}},
		{"SpecIPTNoDescriptors", []step{prout(0, scsi.PROutRegister, 0, 0, 0, k(0), 0x08), prin(0, scsi.PRInReadKeys, 64), unregister(0, k(0))}},
		{"APTPL", []step{prout(0, scsi.PROutRegisterAndIgnore, 0, 0, 0, k(0), scsi.ParamAPTPL), prin(0, scsi.PRInReportCapabilities, 8), prout(0, scsi.PROutRegister, 0, 0, k(0), 0, scsi.ParamAPTPL), prin(0, scsi.PRInReadKeys, 64)}},
		{"RegisterWrongRK", []step{register(0, k(0)), prout(0, scsi.PROutRegister, 0, 0, k(5), k(6), 0), prout(1, scsi.PROutRegister, 0, 0, k(5), k(6), 0), prout(1, scsi.PROutRegister, 0, 0, k(5), 0, 0), unregister(0, k(0))}},
		{"UnregisterHolderUA", []step{register(0, k(0)), register(1, k(1)), prout(0, scsi.PROutReserve, 0, wero, k(0), 0, 0), unregister(0, k(0)), {nexus: 1, cdb: scsi.TestUnitReadyCDB()}, {nexus: 1, cdb: scsi.TestUnitReadyCDB()}, unregister(1, k(1))}},
		{"ReleaseUA", []step{register(0, k(0)), register(1, k(1)), prout(0, scsi.PROutReserve, 0, wero, k(0), 0, 0), prout(0, scsi.PROutRelease, 0, wero, k(0), 0, 0), {nexus: 1, cdb: scsi.TestUnitReadyCDB()}, {nexus: 1, cdb: scsi.TestUnitReadyCDB()},
			prout(0, scsi.PROutReserve, 0, scsi.TypeWriteExclusive, k(0), 0, 0), prout(0, scsi.PROutRelease, 0, scsi.TypeWriteExclusive, k(0), 0, 0), {nexus: 1, cdb: scsi.TestUnitReadyCDB()}, {nexus: 1, cdb: scsi.TestUnitReadyCDB()}, unregister(0, k(0)), unregister(1, k(1))}},
		{"ReserveWrongKey", []step{register(0, k(0)), prout(0, scsi.PROutReserve, 0, wero, k(5), 0, 0), prin(0, scsi.PRInReadReservation, 24), unregister(0, k(0))}},
		{"ClearUA", []step{register(0, k(0)), register(1, k(1)), prout(0, scsi.PROutClear, 0, 0, k(0), 0, 0), {nexus: 1, cdb: scsi.TestUnitReadyCDB()}, {nexus: 1, cdb: scsi.TestUnitReadyCDB()}, {nexus: 0, cdb: scsi.TestUnitReadyCDB()}}},
	}
	for i := range ps {
		if ps[i].name == "ReservedServiceActions" {
			ps[i].steps = append(ps[i].steps, register(0, k(0)))
			for sa := scsi.PROutServiceAction(8); sa < 0x20; sa += 3 {
				ps[i].steps = append(ps[i].steps, prout(0, sa, 0, 0, k(0), 0, 0))
			}
			ps[i].steps = append(ps[i].steps, unregister(0, k(0)))
		}
	}
	return ps
}

// outcome runs s on tr and describes the answer without target-specific
// payload (generations and capability bytes differ legitimately).
func outcome(ctx context.Context, tr scsi.Transport, s step) string {
	cmd := &scsi.Command{CDB: s.cdb, Direction: scsi.DirNone}
	switch {
	case s.cdb[0] == scsi.OpPersistentReserveIn:
		cmd.Direction, cmd.DataInLen = scsi.DirFromDevice, s.alloc
	case s.out != nil:
		cmd.Direction, cmd.DataOut = scsi.DirToDevice, s.out
		if len(s.out) == 0 {
			cmd.Direction = scsi.DirNone
		}
	}
	res, err := tr.Execute(ctx, cmd)
	if err != nil {
		return "ERR " + err.Error()
	}
	if e := scsi.Classify(res); e != nil {
		if e.Sense != nil {
			return fmt.Sprintf("CHECK %X/%02X/%02X", e.Sense.Key, e.Sense.ASC, e.Sense.ASCQ)
		}
		return fmt.Sprintf("status %02X host %d", res.Status, res.HostStatus)
	}
	if cmd.Direction != scsi.DirFromDevice {
		return "GOOD"
	}
	n := len(res.DataIn) - min(max(res.Resid, 0), len(res.DataIn))
	d := res.DataIn[:n]
	desc := fmt.Sprintf("GOOD %dB", n)
	switch sa := scsi.PRInServiceAction(s.cdb[1] & 0x1F); {
	case n < 8 || sa == scsi.PRInReportCapabilities:
	case sa == scsi.PRInReadFullStatus:
		// Descriptor sizes differ (LIO's TransportIDs carry the ISID and the
		// guest's initiator names): compare whether the length is cut to 0,
		// and whether the data is the whole list.
		addlen := int(binary.BigEndian.Uint32(d[4:8]))
		desc = fmt.Sprintf("GOOD addlen>0 %v whole %v sent-only-addlen %v", addlen > 0, 8+addlen <= s.alloc, n == 8+addlen)
	default:
		desc += fmt.Sprintf(" addlen %d", binary.BigEndian.Uint32(d[4:8]))
	}
	return desc
}

// TestProbeLIOQuirks runs each probe on LIO and on a fresh simulator LU with
// the same quirks, and reports every step where the answers differ.
func TestProbeLIOQuirks(t *testing.T) {
	tgt := guestTarget(t)
	ctx := context.Background()
	clean := func() {
		for _, n := range tgt.nexuses {
			for try := 0; try < 8; try++ { // drain unit attentions
				if outcome(ctx, n.raw, step{cdb: scsi.TestUnitReadyCDB()}) == "GOOD" {
					break
				}
			}
			n.dev.RegisterAndIgnore(ctx, 0x00C1EA4000000000, scsi.RegisterOptions{})
			n.dev.Clear(ctx, 0x00C1EA4000000000)
			n.dev.RegisterAndIgnore(ctx, 0x00C1EA4000000000, scsi.RegisterOptions{})
			n.dev.Register(ctx, 0x00C1EA4000000000, 0, scsi.RegisterOptions{})
		}
		for _, n := range tgt.nexuses {
			for try := 0; try < 8; try++ {
				if outcome(ctx, n.raw, step{cdb: scsi.TestUnitReadyCDB()}) == "GOOD" {
					break
				}
			}
		}
	}
	for _, p := range probes() {
		t.Run(p.name, func(t *testing.T) {
			clean()
			lu := sim.NewLU(sim.WithQuirks(tgt.quirks))
			var ports []scsi.Transport
			for i := range tgt.nexuses {
				ports = append(ports, lu.Connect(fmt.Sprintf("iqn.probe:node%d", i+1)))
			}
			var diffs []string
			for i, s := range p.steps {
				got, want := outcome(ctx, tgt.nexuses[s.nexus].raw, s), outcome(ctx, ports[s.nexus], s)
				mark := ""
				if got != want {
					mark = "   <-- DIFFERS"
					diffs = append(diffs, fmt.Sprintf("step %d", i))
				}
				t.Logf("step %2d nexus %d cdb % x flags %s: LIO %-28s sim %s%s", i, s.nexus, s.cdb, flags(s), got, want, mark)
			}
			if len(diffs) > 0 {
				t.Errorf("LIO and the simulator (quirks %#x) disagree at %s", tgt.quirks, strings.Join(diffs, ", "))
			}
		})
	}
	clean()
}

func flags(s step) string {
	if len(s.out) > 20 {
		return fmt.Sprintf("%02x", s.out[20])
	}
	return "--"
}
