package arbitrate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	nvmesim "github.com/fence-scsi-go/fence_scsi_go/internal/nvme/sim"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
	"github.com/fence-scsi-go/fence_scsi_go/internal/testutil/prsim"
)

// storage is shared storage of one transport as the tests see it: n units
// (LUs or namespaces), each node reaching every unit through its own path.
type storage interface {
	// dev is node's path to unit i, through the pr.Device adapter.
	dev(node string, i int) pr.Device
	// keys are the registered keys of unit i (one per SCSI nexus, one per NVMe host).
	keys(i int) []pr.Key
	// mayWrite reports whether node can write to unit i.
	mayWrite(node string, i int) bool
}

// transports is the table every test below runs on: the SCSI simulator and
// the NVMe simulator, behind the same pr.Device.
var transports = []struct {
	name string
	make func(n int) storage
}{
	{"scsi", newSCSIStorage},
	{"nvme", newNVMeStorage},
}

type scsiStorage struct{ lus []*sim.LU }

func newSCSIStorage(n int) storage { return scsiStorage{newLUs(sim.QuirkNone, n)} }

func (s scsiStorage) dev(node string, i int) pr.Device {
	return prsim.SCSI(fmt.Sprintf("/dev/sd%c", 'b'+i), s.lus[i], node, prsim.Quick)
}
func (s scsiStorage) keys(i int) []pr.Key              { return keysOn(s.lus[i]) }
func (s scsiStorage) mayWrite(node string, i int) bool { return s.lus[i].MayWrite(node) }

// nvmeStorage is one namespace per unit (NSIDs 1..n, so distinct NGUIDs);
// a node is a host whose Host Identifier is its name.
type nvmeStorage struct{ ns []*nvmesim.Namespace }

func newNVMeStorage(n int) storage {
	s := nvmeStorage{}
	for i := range n {
		s.ns = append(s.ns, nvmesim.NewNamespace(nvmesim.WithNSID(uint32(i+1))))
	}
	return s
}

func (s nvmeStorage) dev(node string, i int) pr.Device {
	return prsim.NVMe(fmt.Sprintf("/dev/nvme0n%d", i+1), s.ns[i], node, prsim.Quick)
}

func (s nvmeStorage) keys(i int) []pr.Key {
	kl, err := s.dev("observer", i).ReadKeys(context.Background())
	if err != nil {
		panic(err)
	}
	return kl.Keys
}

func (s nvmeStorage) mayWrite(node string, i int) bool { return prsim.NVMeWrites(s.ns[i], node) }

// nodeOn is a cluster node with one path to every unit of st.
func nodeOn(st storage, name string, n int) *node {
	nd := &node{name: name, clk: newClock()}
	for i := range n {
		nd.devs = append(nd.devs, st.dev(name, i))
	}
	return nd
}

// transportCfg is node's Config with a neutral type.
func transportCfg(t *testing.T, n *node, key pr.Key, typ pr.Type) Config {
	c := n.cfg(t, key, 0)
	c.Type = typ
	return c
}

// owns asserts that only owner (key) is registered and may write, and that
// the others may not.
func owns(t *testing.T, st storage, n int, owner string, key pr.Key, others ...string) {
	t.Helper()
	for i := range n {
		if got := st.keys(i); !slices.Equal(got, []pr.Key{key}) {
			t.Errorf("unit %d: keys %v, want only %v", i, got, key)
		}
		if !st.mayWrite(owner, i) {
			t.Errorf("unit %d: %s may not write", i, owner)
		}
		for _, o := range others {
			if st.mayWrite(o, i) {
				t.Errorf("unit %d: %s may write, but %s owns it", i, o, owner)
			}
		}
	}
}

// forTransports runs f for every transport and the two multi-writer types,
// on two units that node1 and node2 reach through paths of their own.
func forTransports(t *testing.T, f func(t *testing.T, st storage, typ pr.Type, n1, n2 *node)) {
	for _, tr := range transports {
		for _, typ := range []pr.Type{pr.WEAR, pr.WERO} {
			t.Run(tr.name+"/"+typ.String(), func(t *testing.T) {
				st := tr.make(2)
				f(t, st, typ, nodeOn(st, "node1", 2), nodeOn(st, "node2", 2))
			})
		}
	}
}

// TestTransportAcquireDefend: on a free set Acquire takes every unit at
// once; Defend holds it and removes a challenger's registration.
func TestTransportAcquireDefend(t *testing.T) {
	forTransports(t, func(t *testing.T, st storage, typ pr.Type, n1, _ *node) {
		r := mustAcquire(t, transportCfg(t, n1, key1, typ))
		if r.Waited {
			t.Error("waited on a free set")
		}
		owns(t, st, 2, "node1", key1, "node2")
		if err := Defend(context.Background(), transportCfg(t, n1, key1, typ), true); err != nil {
			t.Fatalf("Defend(once) = %v", err)
		}
		intruder := st.dev("node3", 1)
		if err := intruder.RegisterAndIgnore(context.Background(), key3, pr.RegisterOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := Defend(context.Background(), transportCfg(t, n1, key1, typ), true); err != nil {
			t.Fatalf("Defend(once) with a challenger = %v", err)
		}
		owns(t, st, 2, "node1", key1, "node3")
	})
}

// TestTransportTakeover: a silent owner is preempted after the wait; its
// defender then reports ErrLost.
func TestTransportTakeover(t *testing.T) {
	forTransports(t, func(t *testing.T, st storage, typ pr.Type, n1, n2 *node) {
		mustAcquire(t, transportCfg(t, n1, key1, typ))
		r := mustAcquire(t, transportCfg(t, n2, key2, typ))
		if !r.Waited || r.Devices[0].Action != "preempted" || !slices.Equal(r.Devices[0].Owners, []pr.Key{key1}) {
			t.Errorf("takeover result %+v", r)
		}
		owns(t, st, 2, "node2", key2, "node1")
		if err := Defend(context.Background(), transportCfg(t, n1, key1, typ), true); !errors.Is(err, ErrLost) {
			t.Errorf("the old owner's Defend = %v, want ErrLost", err)
		}
		owns(t, st, 2, "node2", key2, "node1")
	})
}

// TestTransportLiveDefender: an owner that renews during the wait wins;
// the challenger withdraws and disturbs nothing.
func TestTransportLiveDefender(t *testing.T) {
	forTransports(t, func(t *testing.T, st storage, typ pr.Type, n1, n2 *node) {
		mustAcquire(t, transportCfg(t, n1, key1, typ))
		var defendErr error
		n2.clk.hook = func(int, time.Duration) {
			defendErr = Defend(context.Background(), transportCfg(t, n1, key1, typ), true)
		}
		if r, err := Acquire(context.Background(), transportCfg(t, n2, key2, typ)); err != nil || r.Outcome != OwnerAlive {
			t.Errorf("node2 Acquire = %v, %v; want owner alive", r.Outcome, err)
		}
		if defendErr != nil {
			t.Errorf("node1 Defend(once) during the wait = %v", defendErr)
		}
		owns(t, st, 2, "node1", key1, "node2")
	})
}

// TestTransportRelease: Release gives the set up; another node takes it at once.
func TestTransportRelease(t *testing.T) {
	forTransports(t, func(t *testing.T, st storage, typ pr.Type, n1, n2 *node) {
		mustAcquire(t, transportCfg(t, n1, key1, typ))
		if err := Release(context.Background(), transportCfg(t, n1, key1, typ)); err != nil {
			t.Fatalf("Release = %v", err)
		}
		if r := mustAcquire(t, transportCfg(t, n2, key2, typ)); r.Waited {
			t.Error("waited after a release")
		}
		owns(t, st, 2, "node2", key2, "node1")
	})
}
