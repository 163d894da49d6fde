package arbitrate

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr/scsipr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

// pathsNode is a node that reaches one LU through two paths (two I_T
// nexuses, "<name>-p1" and "<name>-p2"), both listed as devices.
func pathsNode(name string, lu *sim.LU) *node {
	n := &node{name: name, clk: newClock()}
	noSleep := func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	for i, p := range []string{"-p1", "-p2"} {
		dev := "/dev/sd" + string(rune('b'+i))
		n.devs = append(n.devs, scsipr.New(scsi.NewDevice(dev, lu.Connect(name+p), scsi.DeviceOptions{Sleep: noSleep})))
	}
	return n
}

// TestMultipathPaths: with WE-AR or WE-RO every path of the owner may write,
// a frozen owner loses every path, a live owner defends on every path; a
// holder-only type is refused for two paths of one LU.
func TestMultipathPaths(t *testing.T) {
	for _, typ := range []scsi.ReservationType{scsi.TypeWriteExclusiveAllRegistrants, scsi.TypeWriteExclusiveRegistrantsOnly} {
		t.Run(typ.String(), func(t *testing.T) {
			lu := sim.NewLU(sim.WithQuirks(sim.QuirkLIO))
			n1, n2 := pathsNode("node1", lu), pathsNode("node2", lu)
			mustAcquire(t, n1.cfg(t, key1, typ))
			paths1, paths2 := []string{"node1-p1", "node1-p2"}, []string{"node2-p1", "node2-p2"}
			for _, p := range paths1 {
				if !lu.MayWrite(p) {
					t.Errorf("owner path %s may not write", p)
				}
			}
			// Live owner: node2 backs off.
			n2.clk.hook = func(int, time.Duration) {
				if err := Defend(context.Background(), n1.cfg(t, key1, typ), true); err != nil {
					t.Errorf("node1 Defend(once) = %v", err)
				}
			}
			if r, err := Acquire(context.Background(), n2.cfg(t, key2, typ)); err != nil || r.Outcome != OwnerAlive {
				t.Fatalf("node2 Acquire against a live owner = %v, %v", r.Outcome, err)
			}
			// Frozen owner: node2 takes both paths' registrations away.
			n2.clk.hook = nil
			mustAcquire(t, n2.cfg(t, key2, typ))
			for i := range paths1 {
				if lu.MayWrite(paths1[i]) || !lu.MayWrite(paths2[i]) {
					t.Errorf("after takeover: %s may write %v, %s may write %v", paths1[i], lu.MayWrite(paths1[i]), paths2[i], lu.MayWrite(paths2[i]))
				}
			}
			if err := Defend(context.Background(), n1.cfg(t, key1, typ), true); !errors.Is(err, ErrLost) {
				t.Errorf("node1 Defend(once) after takeover = %v; want ErrLost", err)
			}
			if err := Release(context.Background(), n2.cfg(t, key2, typ)); err != nil || len(lu.Registrations()) != 0 || lu.ReservationState().Present {
				t.Errorf("Release over two paths = %v; registrations %v, reservation %+v", err, lu.Registrations(), lu.ReservationState())
			}
		})
	}
	t.Run("WE refused", func(t *testing.T) {
		lu := sim.NewLU()
		n1 := pathsNode("node1", lu)
		_, err := Acquire(context.Background(), n1.cfg(t, key1, scsi.TypeWriteExclusive))
		if !errors.Is(err, ErrConfig) || len(lu.Registrations()) != 0 {
			t.Errorf("Acquire with WE on two paths = %v, registrations %v; want ErrConfig before any PR OUT", err, lu.Registrations())
		}
	})
}
