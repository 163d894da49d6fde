package nodekey

import (
	"strings"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/keys"
)

// FuzzParseCmapctl feeds arbitrary corosync-cmapctl output to the cluster
// name and nodelist parsers: no panic, and what they return must really be
// in the output in the form they promise.
func FuzzParseCmapctl(f *testing.F) {
	f.Add("totem.cluster_name (str) = c1\n", "node1")
	f.Add("nodelist.node.0.name (str) = node1\nnodelist.node.1.name (str) = node2\n", "node2")
	f.Add("nodelist.node.3.ring0_addr (str) = 10.0.0.1\n", "10.0.0.1")
	f.Add("nodelist.node.x.name (str) = n\nnodelist.node..name (str) = n\n.ring_addr (str) = n\n", "n")
	f.Add("(str) = \n(str) = a b\n", "")
	f.Fuzz(func(t *testing.T, out, node string) {
		if name, err := parseClusterName(out); err == nil {
			if name == "" || strings.ContainsAny(name, " \t\r\n\v\f") || !strings.Contains(out, "(str) = "+name+"\n") {
				t.Fatalf("cluster name %q not a token of a (str) line in %q", name, out)
			}
		} else if err != ErrClusterName {
			t.Fatalf("unexpected error %v", err)
		}
		pos, err := parseNodePosition(out, node)
		if err != nil {
			if err != ErrNodeLookup {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if pos == "" || strings.Trim(pos, "0123456789") != "" {
			t.Fatalf("position %q is not decimal digits", pos)
		}
		if !strings.Contains(out, "."+pos+".") || !strings.Contains(out, " (str) = "+node+"\n") {
			t.Fatalf("position %q of %q not in %q", pos, node, out)
		}
		if k, err := keys.Parse(md5Prefix("c") + padDecimal(pos)); err == nil && len(keys.Format(k)) > keys.MaxDigits {
			t.Fatalf("key %x too long", k)
		}
	})
}
