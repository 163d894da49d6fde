package storagecheck

import (
	"context"
	"strings"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

// Keys of the test cluster: node1 (this node) and node2.
const (
	key1 scsi.Key = 0xfe5c0001
	key2 scsi.Key = 0xfe5c0002
	key9 scsi.Key = 0xbad00009
)

var ctx = context.Background()

func testCluster() Cluster {
	return Cluster{ThisNode: "node1", ThisKey: key1, Nodes: map[scsi.Key]string{key1: "node1", key2: "node2"}}
}

// nexus names are iSCSI-like: they become READ FULL STATUS TransportIDs.
func nx(node, path int) string {
	return "iqn.2003-01.test:node" + string(rune('0'+node)) + ",i,0x00023d00000" + string(rune('0'+path))
}

// path is this host's path p to lu as node n.
func path(lu *sim.LU, n, p int) Path {
	name := nx(n, p)
	return Path{Name: "/dev/sd" + string(rune('a'+n*2+p)), Dev: lu.Device(name), Nexus: name, IO: lu.Connect(name), BlockSize: sim.BlockSize}
}

// unfence registers key through the nexus of node n, path p (and reserves type 5 if asked).
func unfence(t *testing.T, lu *sim.LU, n, p int, key scsi.Key, reserve bool) {
	t.Helper()
	d := lu.Device(nx(n, p))
	if err := d.RegisterAndIgnore(ctx, key, scsi.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	if reserve {
		if err := d.Reserve(ctx, key, scsi.TypeWriteExclusiveRegistrantsOnly); err != nil {
			t.Fatal(err)
		}
	}
}

// check inspects and evaluates one target.
func check(t Target, cl Cluster, opt Options) DeviceReport {
	var prs []PathReport
	for _, p := range t.Paths {
		prs = append(prs, Inspect(ctx, p, cl))
	}
	return Evaluate(t, prs, cl, opt)
}

// rules lists the rules that fired.
func rules(d DeviceReport) []string {
	var out []string
	for _, p := range d.Problems {
		out = append(out, p.Rule)
	}
	return out
}

func hasRule(d DeviceReport, rule string) bool {
	for _, r := range rules(d) {
		if r == rule {
			return true
		}
	}
	return false
}

func problemText(d DeviceReport, rule string) string {
	for _, p := range d.Problems {
		if p.Rule == rule {
			return p.Message + " / " + p.Fix
		}
	}
	return ""
}

// capsDevice rewrites REPORT CAPABILITIES of the device it wraps: a target
// that advertises a different type mask or no PTPL_C (the simulator always
// advertises all six types and PTPL_C).
type capsDevice struct {
	scsi.Device
	edit func(*scsi.Capabilities)
}

func (c capsDevice) ReportCapabilities(ctx context.Context) (*scsi.Capabilities, error) {
	caps, err := c.Device.ReportCapabilities(ctx)
	if err == nil {
		c.edit(caps)
	}
	return caps, err
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
