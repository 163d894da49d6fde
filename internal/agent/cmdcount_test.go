package agent

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

// wireLog records the commands every node sends to every device, by name.
type wireLog struct {
	mu   sync.Mutex
	cmds map[string][]string // "node path" -> command names in order
}

type loggedWire struct {
	scsi.Transport
	log *wireLog
	key string
}

// Execute records the command; one answered with a UNIT ATTENTION (a
// preempted node's first command), which package scsi sends again, is
// marked so.
func (w *loggedWire) Execute(ctx context.Context, cmd *scsi.Command) (*scsi.Result, error) {
	res, err := w.Transport.Execute(ctx, cmd)
	name := cmdName(cmd.CDB)
	if err == nil && len(res.Sense) > 0 {
		if s, serr := scsi.ParseSense(res.Sense); serr == nil {
			switch s.Key {
			case scsi.SenseUnitAttention:
				name += " (unit attention)"
			case scsi.SenseIllegalRequest:
				name += " (illegal request)"
			}
		}
	}
	w.log.mu.Lock()
	w.log.cmds[w.key] = append(w.log.cmds[w.key], name)
	w.log.mu.Unlock()
	return res, err
}

// take returns the commands node sent to path since the last take.
func (l *wireLog) take(node, path string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.cmds[node+" "+path]
	delete(l.cmds, node+" "+path)
	return c
}

var prInNames = map[byte]string{0: "READ KEYS", 1: "READ RESERVATION", 2: "REPORT CAPABILITIES", 3: "READ FULL STATUS"}

var prOutNames = map[byte]string{
	0: "REGISTER", 1: "RESERVE", 2: "RELEASE", 3: "CLEAR", 4: "PREEMPT",
	5: "PREEMPT AND ABORT", 6: "REGISTER AND IGNORE", 7: "REGISTER AND MOVE",
}

// cmdName names a CDB: the PR service actions, INQUIRY with its VPD page.
func cmdName(cdb []byte) string {
	switch cdb[0] {
	case scsi.OpPersistentReserveIn:
		return prInNames[cdb[1]&0x1f]
	case scsi.OpPersistentReserveOut:
		return prOutNames[cdb[1]&0x1f]
	case scsi.OpInquiry:
		return fmt.Sprintf("INQUIRY %02xh", cdb[2])
	}
	return fmt.Sprintf("opcode %02xh", cdb[0])
}

// TestCommandsPerDevice counts what one agent process (the front end's
// status read, the action, the status poll after it) sends to each device.
// The status read before on or off serves their validation pass, and their
// read-back serves the status poll after them unless a PR OUT followed it
// (the first node's RESERVE). With one device there is nothing to order by
// identity, so off sends three commands: READ FULL STATUS (the status
// read's keys and the reservation off's priority check looks at), PREEMPT
// AND ABORT, and READ FULL STATUS as the read-back (keys and reservation
// in one answer; fence_scsi reads them with two commands).
func TestCommandsPerDevice(t *testing.T) {
	for _, devs := range [][]string{{"/dev/sdb"}, {"/dev/sdb", "/dev/sdc"}} {
		t.Run(fmt.Sprint(len(devs), "LU"), func(t *testing.T) { testCommandsPerDevice(t, devs) })
	}
}

func testCommandsPerDevice(t *testing.T, devs []string) {
	c := newCluster(t, devs...)
	wl := &wireLog{cmds: map[string][]string{}}
	c.wire = func(node, path string, tr scsi.Transport) scsi.Transport {
		return &loggedWire{Transport: tr, log: wl, key: node + " " + path}
	}
	keys := map[string]string{"node1": "6c9d0000", "node2": "6c9d0001", "node3": "6c9d0002"}
	steps := []struct {
		node, action, key, out string
		want                   func(dev string) []string
	}{
		{"node1", "on", keys["node1"], "Success: Powered ON\n", func(string) []string {
			return seq(devs, "READ KEYS", "INQUIRY 83h", "REGISTER AND IGNORE", "READ KEYS", "READ RESERVATION",
				"RESERVE", "READ RESERVATION", "READ KEYS")
		}},
		{"node2", "on", keys["node2"], "Success: Powered ON\n", nil},
		{"node3", "on", keys["node3"], "Success: Powered ON\n", nil},
		// node1 holds the reservations: it preempts at once, after reading
		// the reservation of the first logical unit of the race.
		{"node1", "off", keys["node3"], "Success: Powered OFF\n", func(d string) []string {
			return seq(devs, "READ FULL STATUS", "INQUIRY 83h", "PREEMPT AND ABORT", "READ FULL STATUS")
		}},
		// A preempted node's first command meets a UNIT ATTENTION.
		{"node3", "on", keys["node3"], "Success: Powered ON\n", func(string) []string {
			return seq(devs, "READ KEYS (unit attention)", "READ KEYS", "INQUIRY 83h", "REGISTER AND IGNORE", "READ KEYS", "READ RESERVATION")
		}},
		{"node2", "status", keys["node3"], "Status: ON\n", func(string) []string { return []string{"READ KEYS"} }},
	}
	for _, s := range steps {
		stdin := "action=" + s.action + "\ndevices=" + strings.Join(devs, ",") + "\nkey=" + s.key + "\n"
		if rc, out, errs := c.agent(s.node, stdin); out != s.out {
			t.Fatalf("%s %s: rc=%d out=%q err=%q", s.node, s.action, rc, out, errs)
		}
		for _, d := range devs {
			got := wl.take(s.node, d)
			if s.want == nil {
				continue
			}
			if want := s.want(d); strings.Join(got, ", ") != strings.Join(want, ", ") {
				t.Errorf("%s %s on %s: %d commands %q, want %d %q", s.node, s.action, d, len(got), got, len(want), want)
			}
		}
	}
}

// seq is cmds without INQUIRY when there is one device: nothing to order.
func seq(devs []string, cmds ...string) []string {
	var out []string
	for _, c := range cmds {
		if len(devs) > 1 || !strings.HasPrefix(c, "INQUIRY") {
			out = append(out, c)
		}
	}
	return out
}

// firstLU is the device off decides first: the lowest identity.
func firstLU(t *testing.T, c *cluster, devs []string) string {
	t.Helper()
	first, firstID := "", ""
	for _, d := range devs {
		id, err := scsi.LUIdentity(context.Background(), c.luns[d].Device("probe"))
		if err != nil {
			t.Fatal(err)
		}
		if first == "" || id < firstID {
			first, firstID = d, id
		}
	}
	return first
}

// TestPowerWaitReadsAgain: the status poll after a power_wait (whole
// seconds, at least fence.KeyMemoAge) reads the keys again instead of
// taking off's read-back.
func TestPowerWaitReadsAgain(t *testing.T) {
	c := newCluster(t, "/dev/sdb")
	wl := &wireLog{cmds: map[string][]string{}}
	c.wire = func(node, path string, tr scsi.Transport) scsi.Transport {
		return &loggedWire{Transport: tr, log: wl, key: node + " " + path}
	}
	for _, n := range []string{"node1", "node3"} {
		if rc, out, errs := c.agent(n, "action=on\ndevices=/dev/sdb\nkey=6c9d000"+n[4:]+"\n"); rc != 0 {
			t.Fatalf("%s on: rc=%d out=%q err=%q", n, rc, out, errs)
		}
	}
	wl.take("node1", "/dev/sdb")
	if rc, out, errs := c.agent("node1", "action=off\ndevices=/dev/sdb\nkey=6c9d0003\npower_wait=1\n"); out != "Success: Powered OFF\n" {
		t.Fatalf("off: rc=%d out=%q err=%q", rc, out, errs)
	}
	want := []string{"READ FULL STATUS", "PREEMPT AND ABORT", "READ FULL STATUS", "READ KEYS"}
	if got := wl.take("node1", "/dev/sdb"); strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("off with power_wait=1: %q, want %q", got, want)
	}
}

// TestOffWithoutReadFullStatus: a target that refuses READ FULL STATUS (tgt
// answers INVALID FIELD IN CDB) gets the status read and off's read-back as
// READ KEYS and READ RESERVATION, as before READ FULL STATUS was used, and
// off succeeds there; the refusal is not asked again for the same device
// in the process.
func TestOffWithoutReadFullStatus(t *testing.T) {
	devs := []string{"/dev/sdb", "/dev/sdc"}
	c := newCluster(t)
	for _, d := range devs {
		c.luns[d] = sim.NewLU(sim.WithSerial("sim"+d), sim.WithQuirks(sim.QuirkNoReadFullStatus))
	}
	wl := &wireLog{cmds: map[string][]string{}}
	c.wire = func(node, path string, tr scsi.Transport) scsi.Transport {
		return &loggedWire{Transport: tr, log: wl, key: node + " " + path}
	}
	for _, n := range []string{"node1", "node2"} {
		stdin := "action=on\ndevices=" + strings.Join(devs, ",") + "\nkey=6c9d000" + n[4:] + "\n"
		if rc, out, errs := c.agent(n, stdin); rc != 0 {
			t.Fatalf("%s on: rc=%d out=%q err=%q", n, rc, out, errs)
		}
	}
	for _, d := range devs {
		wl.take("node1", d)
	}
	stdin := "action=off\ndevices=" + strings.Join(devs, ",") + "\nkey=6c9d0002\n"
	if rc, out, errs := c.agent("node1", stdin); out != "Success: Powered OFF\n" {
		t.Fatalf("off: rc=%d out=%q err=%q", rc, out, errs)
	}
	first := firstLU(t, c, devs)
	for _, d := range devs {
		want := []string{"READ FULL STATUS (illegal request)", "READ KEYS", "INQUIRY 83h", "PREEMPT AND ABORT", "READ KEYS", "READ RESERVATION"}
		if d == first {
			want = append(want[:3:3], append([]string{"READ RESERVATION"}, want[3:]...)...)
		}
		if got := wl.take("node1", d); strings.Join(got, ", ") != strings.Join(want, ", ") {
			t.Errorf("off on %s: %q, want %q", d, got, want)
		}
		if c.luns[d].MayWrite("node2") {
			t.Errorf("node2 may still write %s", d)
		}
	}
}
