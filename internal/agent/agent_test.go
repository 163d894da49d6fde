package agent

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/fence"
	"github.com/fence-scsi-go/fence_scsi_go/internal/fenceproto"
	"github.com/fence-scsi-go/fence_scsi_go/internal/keys/nodekey"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr/scsipr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
	"github.com/fence-scsi-go/fence_scsi_go/internal/state"
	"github.com/fence-scsi-go/fence_scsi_go/internal/testutil"
)

// cluster is N nodes, each with its own state files, sharing simulated LUNs.
type cluster struct {
	t     testing.TB
	luns  map[string]*sim.LU
	dirs  map[string]string
	opens map[string]int // device opens per "node path", over all runs
	stats map[string]int // device stats per "node path", over all runs
	mu    sync.Mutex
	// wire, when set, stands between each device and its simulated LU
	// (cmdcount_test.go counts the commands sent).
	wire func(node, path string, t scsi.Transport) scsi.Transport
}

func newCluster(t testing.TB, luns ...string) *cluster {
	c := &cluster{t: t, luns: map[string]*sim.LU{}, dirs: map[string]string{}, opens: map[string]int{}, stats: map[string]int{}}
	for _, l := range luns {
		c.luns[l] = sim.NewLU(sim.WithSerial("sim" + l))
	}
	return c
}

func (c *cluster) backend(node string) *Backend {
	if c.dirs[node] == "" {
		c.dirs[node] = c.t.TempDir()
	}
	dir := c.dirs[node]
	return &Backend{
		store: state.Store{KeyFile: filepath.Join(dir, "cluster.key"), DevFile: filepath.Join(dir, "cluster.dev")},
		sysfs: filepath.Join(dir, "sys"),
		stat: func(p string) (fs.FileInfo, error) {
			c.mu.Lock()
			c.stats[node+" "+p]++
			c.mu.Unlock()
			if _, ok := c.luns[p]; !ok {
				return nil, fs.ErrNotExist
			}
			return testutil.Info(p, fs.ModeDevice), nil
		},
		open: func(p string, _ bool, _ *slog.Logger) (pr.Device, error) {
			c.mu.Lock()
			c.opens[node+" "+p]++
			c.mu.Unlock()
			var t scsi.Transport = c.luns[p].Connect(node)
			if c.wire != nil {
				t = c.wire(node, p, t)
			}
			return scsipr.New(scsi.NewDevice(node, t, scsi.DeviceOptions{})), nil
		},
		pool: &devPool{idle: map[poolKey][]pr.Device{}}, // one per process, as New
		memo: &fence.KeyMemo{},
	}
}

// TestAgentOpensEachDeviceOnce: the status, off, status flow of one agent
// run opens every device once (the pool lends it again), and a later run
// (another process) opens it again.
func TestAgentOpensEachDeviceOnce(t *testing.T) {
	c := newCluster(t, "/dev/sdb", "/dev/sdc")
	for _, n := range []string{"node1", "node2"} {
		if rc, out, errs := c.agent(n, "action=on\ndevices=/dev/sdb,/dev/sdc\nkey=1"+n[4:]+"\n"); rc != 0 {
			t.Fatalf("%s on: rc=%d out=%q err=%q", n, rc, out, errs)
		}
	}
	if rc, out, errs := c.agent("node2", "action=off\ndevices=/dev/sdb,/dev/sdc\nkey=11\n"); rc != 0 || out != "Success: Powered OFF\n" {
		t.Fatalf("off: rc=%d out=%q err=%q", rc, out, errs)
	}
	for _, d := range []string{"/dev/sdb", "/dev/sdc"} {
		if n := c.opens["node2 "+d]; n != 2 {
			t.Errorf("node2 opened %s %d times in two runs (on, off), want 2", d, n)
		}
		// As fence_scsi, which checks its devices once per run (not once per step).
		if n := c.stats["node2 "+d]; n != 2 {
			t.Errorf("node2 checked %s %d times in two runs (on, off), want 2", d, n)
		}
	}
}

// TestAgentStatsOnlyDevices: a path that is not a device node is checked
// again at each step (and fails each), never remembered.
func TestAgentStatsOnlyDevices(t *testing.T) {
	c := newCluster(t, "/dev/sdb")
	b := c.backend("node1")
	for i := 0; i < 2; i++ {
		if _, err := b.statOnce("/dev/missing"); err == nil {
			t.Fatal("missing device: no error")
		}
		if _, err := b.statOnce("/dev/sdb"); err != nil {
			t.Fatal(err)
		}
	}
	if c.stats["node1 /dev/missing"] != 2 || c.stats["node1 /dev/sdb"] != 1 {
		t.Fatalf("stats: %v", c.stats)
	}
}

// agent runs one agent invocation on node with stdin lines, as Pacemaker does.
func (c *cluster) agent(node, stdin string) (int, string, string) {
	var out, errb bytes.Buffer
	rc := fenceproto.Main(context.Background(), []string{"fence_scsi_go"}, strings.NewReader(stdin), &out, &errb,
		func(string) string { return "" }, c.backend(node))
	return rc, out.String(), errb.String()
}

func TestAgentUnfenceFenceThroughStdin(t *testing.T) {
	c := newCluster(t, "/dev/sdb", "/dev/sdc")
	keys := map[string]string{"node1": "6c9d0000", "node2": "6c9d0001", "node3": "6c9d0002"}
	for _, n := range []string{"node1", "node2", "node3"} {
		rc, out, errs := c.agent(n, "action=on\ndevices=/dev/sdb,/dev/sdc\nkey="+keys[n]+"\nnodeid=1\n")
		if rc != 0 || out != "Success: Powered ON\n" {
			t.Fatalf("%s on: rc=%d out=%q err=%q", n, rc, out, errs)
		}
	}
	rc, out, _ := c.agent("node2", "action=status\ndevices=/dev/sdb /dev/sdc\nkey="+keys["node1"]+"\n")
	if rc != 0 || out != "Status: ON\n" {
		t.Fatalf("status before: rc=%d out=%q", rc, out)
	}
	rc, out, errs := c.agent("node2", "action=off\ndevices=/dev/sdb,/dev/sdc\nkey="+keys["node1"]+"\n")
	if rc != 0 || out != "Success: Powered OFF\n" {
		t.Fatalf("off: rc=%d out=%q err=%q", rc, out, errs)
	}
	for name, lu := range c.luns {
		if lu.MayWrite("node1") {
			t.Errorf("%s: fenced node1 may still write", name)
		}
		if !lu.MayWrite("node2") || !lu.MayWrite("node3") {
			t.Errorf("%s: survivors lost write access", name)
		}
	}
	rc, out, _ = c.agent("node3", "action=status\ndevices=/dev/sdb,/dev/sdc\nkey="+keys["node1"]+"\n")
	if rc != 2 || out != "Status: OFF\n" {
		t.Fatalf("status after: rc=%d out=%q", rc, out)
	}
	rc, out, _ = c.agent("node3", "action=off\ndevices=/dev/sdb,/dev/sdc\nkey="+keys["node1"]+"\n")
	if rc != 0 || out != "Success: Already OFF\n" {
		t.Fatalf("off again: rc=%d out=%q", rc, out)
	}
	// Fencing yourself is refused and changes nothing.
	rc, _, errs = c.agent("node3", "action=off\ndevices=/dev/sdb,/dev/sdc\nkey="+keys["node3"]+"\n")
	if rc != 1 || !strings.Contains(errs, "Failed: keys cannot be same. You can not fence yourself.") || !c.luns["/dev/sdb"].MayWrite("node3") {
		t.Fatalf("self-fence: rc=%d err=%q", rc, errs)
	}
}

func TestAgentMonitor(t *testing.T) {
	c := newCluster(t, "/dev/sdb")
	rc, _, errs := c.agent("node1", "action=monitor\ndevices=/dev/sdb\n")
	if rc != 1 || !strings.Contains(errs, `Failed: Cannot open file "`) {
		t.Fatalf("monitor before unfencing: rc=%d err=%q", rc, errs)
	}
	if rc, _, errs := c.agent("node1", "action=on\ndevices=/dev/sdb\nkey=1\n"); rc != 0 {
		t.Fatalf("on: %d %s", rc, errs)
	}
	if rc, _, errs := c.agent("node1", "action=monitor\ndevices=/dev/sdb\n"); rc != 0 {
		t.Fatalf("monitor after unfencing: rc=%d err=%q", rc, errs)
	}
	// A device the kernel took offline fails the monitor (fence_scsi HEAD).
	st := filepath.Join(c.dirs["node1"], "sys", "block", "sdb", "device")
	os.MkdirAll(st, 0o755)
	os.WriteFile(filepath.Join(st, "state"), []byte("offline\n"), 0o644)
	rc, _, errs = c.agent("node1", "action=monitor\ndevices=/dev/sdb\n")
	if rc != 1 || !strings.Contains(errs, "Failed: Unable to access /dev/sdb") {
		t.Fatalf("monitor offline: rc=%d err=%q", rc, errs)
	}
}

// TestPoolCloseTwice: closing a lent device twice returns it once, so two
// later users never share it.
func TestPoolCloseTwice(t *testing.T) {
	p := &devPool{idle: map[poolKey][]pr.Device{}}
	lu := sim.NewLU()
	opens := 0
	open := func() (pr.Device, error) { opens++; return scsipr.New(lu.Device("n1")), nil }
	k := poolKey{"/dev/sdb", false}
	d, _ := p.take(k, open)
	d.Close()
	d.Close()
	a, _ := p.take(k, open)
	b, _ := p.take(k, open)
	if opens != 2 || a.(*pooled).Device == b.(*pooled).Device {
		t.Fatalf("opens %d; two users share one device: %v", opens, a.(*pooled).Device == b.(*pooled).Device)
	}
}

// TestDefaultPaths: the front end's option defaults and the lower layers'
// own defaults (used when a caller passes no path) name the same programs.
func TestDefaultPaths(t *testing.T) {
	want := map[string]string{"vgs_path": fence.DefaultVgsPath, "corosync_cmap_path": nodekey.DefaultCmapctlPath}
	for _, o := range fenceproto.Table {
		if w, ok := want[o.Name]; ok {
			if !o.HasDef || o.Default != w {
				t.Errorf("%s: option default %q, lower layer %q", o.Name, o.Default, w)
			}
			delete(want, o.Name)
		}
	}
	if len(want) != 0 {
		t.Errorf("options missing from the table: %v", want)
	}
}
