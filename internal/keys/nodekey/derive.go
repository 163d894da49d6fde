// Package nodekey derives a node's key the way fence_scsi does (key_value=id or hash,
// from corosync's cmap through corosync-cmapctl, or from the names themselves) and runs
// the external commands the agent needs (corosync-cmapctl, vgs) with a bounded time and
// output. It is apart from internal/keys (the key format) so that the watchdog check, which
// only reads a key file, links neither the MD5 code (md5.go) nor os/exec.
package nodekey

import (
	"context"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"

	"github.com/fence-scsi-go/fence_scsi_go/internal/keys"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/texts"
)

// The error texts of fence_scsi's key derivation.
var (
	ErrClusterName = errors.New(texts.ClusterName)
	ErrNodeLookup  = errors.New(texts.NodeLookup)
	ErrKeyValue    = errors.New(texts.KeyValue)
)

// DefaultCmapctlPath is fence_scsi's default corosync_cmap_path.
const DefaultCmapctlPath = "/usr/sbin/corosync-cmapctl"

// CheckMethod validates the key_value option ("id" or "hash").
func CheckMethod(method string) error {
	if method != "id" && method != "hash" {
		return ErrKeyValue
	}
	return nil
}

// Deriver derives node keys from corosync's cmap.
type Deriver struct {
	// CmapctlPath is the corosync-cmapctl binary (corosync_cmap_path).
	CmapctlPath string
	// Log, if set, receives the executed commands and their output.
	Log *slog.Logger
}

// Derive computes the key of node as fence_scsi does; see Deriver.Derive.
func Derive(ctx context.Context, cmapctlPath, node, method string) (scsi.Key, error) {
	return Deriver{CmapctlPath: cmapctlPath}.Derive(ctx, node, method)
}

// Derive computes the key of node: the first 4 hex digits of md5(cluster
// name) followed by the node's nodelist position as "%04d" (method "id") or by
// the first 4 hex digits of md5(node) (method "hash").
//
// As in fence_scsi, a method other than "hash" is derived like "id" and only
// then refused with ErrKeyValue, so corosync errors take precedence.
func (d Deriver) Derive(ctx context.Context, node, method string) (scsi.Key, error) {
	cluster, err := d.clusterName(ctx)
	if err != nil {
		return 0, err
	}
	var s string
	if method == "hash" {
		s = md5Prefix(cluster) + md5Prefix(node)
	} else {
		pos, err := d.nodePosition(ctx, node)
		if err != nil {
			return 0, err
		}
		s = md5Prefix(cluster) + padDecimal(pos)
	}
	if err := CheckMethod(method); err != nil {
		return 0, err
	}
	return keys.Parse(s)
}

// padDecimal renders decimal digits as Python's "%.4d" % int(n) does.
func padDecimal(n string) string {
	n = strings.TrimLeft(n, "0")
	if len(n) < 4 {
		n = strings.Repeat("0", 4-len(n)) + n
	}
	return n
}

func md5Prefix(s string) string {
	sum := md5Sum([]byte(s))
	return hex.EncodeToString(sum[:2])
}

func (d Deriver) cmapctl(ctx context.Context, arg string) (string, error) {
	path := d.CmapctlPath
	if path == "" {
		path = DefaultCmapctlPath
	}
	res, err := RunCommand(ctx, d.Log, path, arg)
	// Like fence_scsi, the exit code is not consulted: the output decides.
	return res.Stdout, err
}

// clusterName returns NAME from the line "totem.cluster_name (str) = NAME"
// (fence_scsi: the regex `\(str\) = (\S+)\n`).
func (d Deriver) clusterName(ctx context.Context) (string, error) {
	out, err := d.cmapctl(ctx, "totem.cluster_name")
	if err != nil {
		return "", err
	}
	return parseClusterName(out)
}

// parseClusterName finds the cluster name in corosync-cmapctl's output.
func parseClusterName(out string) (string, error) {
	for _, line := range strings.SplitAfter(out, "\n") {
		value, ok := strings.CutSuffix(line, "\n")
		if !ok {
			continue
		}
		if _, v, ok := strings.Cut(value, "(str) = "); ok && v != "" && !strings.ContainsAny(v, " \t\r\v\f") {
			return v, nil
		}
	}
	return "", ErrClusterName
}

// nodePosition returns N, as decimal digits, from the first line
// "nodelist.node.<N>.name (str) = <node>", or else from the first line
// "nodelist.node.<N>.ring<X>_addr (str) = <node>". N is the position in the
// nodelist, not the corosync nodeid.
//
// fence_scsi puts the node name into a regular expression unescaped, so a
// name with regex metacharacters can match other lines there; we compare it
// literally instead.
func (d Deriver) nodePosition(ctx context.Context, node string) (string, error) {
	out, err := d.cmapctl(ctx, "nodelist")
	if err != nil {
		return "", err
	}
	return parseNodePosition(out, node)
}

// parseNodePosition finds node's nodelist position in corosync-cmapctl's
// output of "nodelist".
func parseNodePosition(out, node string) (string, error) {
	for _, wantRing := range []bool{false, true} {
		for _, line := range strings.SplitAfter(out, "\n") {
			line, ok := strings.CutSuffix(line, "\n")
			if !ok {
				continue
			}
			name, value, ok := strings.Cut(line, " (str) = ")
			if !ok || value != node {
				continue
			}
			if pos, ok := nodelistPosition(name, wantRing); ok {
				return pos, nil
			}
		}
	}
	return "", ErrNodeLookup
}

// nodelistPosition extracts N from "....<N>.name" or "....<N>.ring<X>_addr".
func nodelistPosition(name string, ring bool) (string, bool) {
	var rest string
	if ring {
		i := strings.LastIndex(name, ".ring")
		if i < 0 || len(name) != i+len(".ringX_addr") || !strings.HasSuffix(name, "_addr") {
			return "", false
		}
		rest = name[:i]
	} else {
		var ok bool
		if rest, ok = strings.CutSuffix(name, ".name"); !ok {
			return "", false
		}
	}
	i := strings.LastIndexByte(rest, '.')
	if i < 0 {
		return "", false
	}
	digits := rest[i+1:]
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return "", false
	}
	return digits, true
}
