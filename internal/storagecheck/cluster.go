package storagecheck

import (
	"context"
	"fmt"
	"strings"

	"github.com/fence-scsi-go/fence_scsi_go/internal/keys/nodekey"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// ClusterConfig says how to learn the nodes' keys.
type ClusterConfig struct {
	// Key is this node's key given explicitly (0: derive it).
	Key scsi.Key
	// Node is this node's name in the cluster ("" = the host name).
	Node string
	// Method is key_value: "id" (fence_scsi's default) or "hash".
	Method      string
	CmapctlPath string
	Hostname    func() (string, error)
}

// LoadCluster derives every cluster node's key as the agent does (internal/keys,
// from corosync-cmapctl's nodelist). Without corosync the node list is
// empty and only an explicit Key identifies this node; the returned notes
// say what could not be derived.
func LoadCluster(ctx context.Context, cc ClusterConfig) (Cluster, []string) {
	cl := Cluster{ThisKey: cc.Key, ThisNode: cc.Node, Nodes: map[scsi.Key]string{}}
	var notes []string
	d := nodekey.Deriver{CmapctlPath: cc.CmapctlPath}
	path := cc.CmapctlPath
	if path == "" {
		path = nodekey.DefaultCmapctlPath
	}
	res, err := nodekey.RunCommand(ctx, nil, path, "nodelist")
	if err != nil || res.ExitCode != 0 {
		notes = append(notes, fmt.Sprintf("no cluster: %s nodelist failed (exit %d) %s", path, res.ExitCode, strings.TrimSpace(res.Stderr)))
		return cl, notes
	}
	names := NodeNames(res.Stdout)
	for _, n := range names {
		k, err := d.Derive(ctx, n, cc.Method)
		if err != nil {
			notes = append(notes, fmt.Sprintf("key of node %s: %v", n, err))
			continue
		}
		cl.Nodes[k] = n
	}
	if cl.ThisNode == "" && cc.Hostname != nil {
		if h, err := cc.Hostname(); err == nil {
			cl.ThisNode = matchNode(names, h)
		}
	}
	if cl.ThisKey == 0 && cl.ThisNode != "" {
		for k, n := range cl.Nodes {
			if n == cl.ThisNode {
				cl.ThisKey = k
			}
		}
		if cl.ThisKey == 0 {
			notes = append(notes, fmt.Sprintf("node %q is not in the cluster's nodelist: this node's key unknown", cl.ThisNode))
		}
	}
	if cl.ThisKey != 0 && cl.ThisNode != "" {
		cl.Nodes[cl.ThisKey] = cl.ThisNode
	}
	return cl, notes
}

// NodeNames lists the node names of `corosync-cmapctl nodelist` output:
// nodelist.node.N.name, or ring0_addr for nodes without a name.
func NodeNames(out string) []string {
	byPos := map[string]string{}
	var order []string
	for _, line := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(line, " (str) = ")
		if !ok || !strings.HasPrefix(k, "nodelist.node.") {
			continue
		}
		rest := strings.TrimPrefix(k, "nodelist.node.")
		pos, field, ok := strings.Cut(rest, ".")
		if !ok || (field != "name" && field != "ring0_addr") {
			continue
		}
		if _, seen := byPos[pos]; !seen {
			order = append(order, pos)
		}
		if field == "name" || byPos[pos] == "" {
			byPos[pos] = strings.TrimSpace(v)
		}
	}
	names := make([]string, 0, len(order))
	for _, p := range order {
		names = append(names, byPos[p])
	}
	return names
}

// matchNode finds the host among the node names (full, then short name).
func matchNode(names []string, host string) string {
	short, _, _ := strings.Cut(host, ".")
	for _, want := range []string{host, short} {
		for _, n := range names {
			if n == want {
				return n
			}
		}
	}
	return ""
}
