// Package testutil holds the test fixtures several packages share: a
// corosync-cmapctl stand-in with a fixed cluster, an fs.FileInfo with only
// a name and a mode, and the checks both transports' tests make of their
// reservation type codes and error classes. Only tests import it.
package testutil

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Nodelist is the `corosync-cmapctl nodelist` output of the test cluster:
// node1 (nodeid 1), node2 (nodeid 2), node3 (nodeid 7), a node without a
// name at position 3 (nodeid 9, known by its ring0 address 10.0.0.9 and its
// ring1 address 10.1.0.9) and "big" at position 12345.
const Nodelist = `nodelist.local_node_pos (u32) = 0
nodelist.node.0.name (str) = node1
nodelist.node.0.nodeid (u32) = 1
nodelist.node.0.ring0_addr (str) = 10.0.0.1
nodelist.node.1.name (str) = node2
nodelist.node.1.nodeid (u32) = 2
nodelist.node.1.ring0_addr (str) = 10.0.0.2
nodelist.node.2.name (str) = node3
nodelist.node.2.nodeid (u32) = 7
nodelist.node.2.ring0_addr (str) = 10.0.0.7
nodelist.node.3.nodeid (u32) = 9
nodelist.node.3.ring0_addr (str) = 10.0.0.9
nodelist.node.3.ring1_addr (str) = 10.1.0.9
nodelist.node.12345.name (str) = big
`

// Cmapctl writes a corosync-cmapctl stand-in and returns its path. It
// prints cluster as totem.cluster_name (with an empty cluster it prints
// nothing and exits 1, as for any other unknown key) and Nodelist for
// "nodelist"; it exits 3 unless it is called with exactly one argument and
// LANG=C LC_ALL=C, as fence_scsi calls it.
func Cmapctl(t testing.TB, cluster string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "nodelist"), []byte(Nodelist), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `#!/bin/sh
[ "$LANG" = C ] && [ "$LC_ALL" = C ] || { echo "bad locale" >&2; exit 3; }
[ $# -eq 1 ] || { echo "bad argc $#" >&2; exit 3; }
case "$1" in
totem.cluster_name) [ -n "` + cluster + `" ] && echo "totem.cluster_name (str) = ` + cluster + `" ;;
nodelist) cat "` + filepath.Join(dir, "nodelist") + `" ;;
*) exit 1 ;;
esac
`
	path := filepath.Join(dir, "corosync-cmapctl")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// Info returns an fs.FileInfo for a file called name with the given mode
// (fs.ModeDevice for a block device), size 0 and a zero time.
func Info(name string, mode fs.FileMode) fs.FileInfo { return info{name, mode} }

type info struct {
	name string
	mode fs.FileMode
}

func (f info) Name() string       { return f.name }
func (f info) Size() int64        { return 0 }
func (f info) Mode() fs.FileMode  { return f.mode }
func (f info) ModTime() time.Time { return time.Time{} }
func (f info) IsDir() bool        { return f.mode.IsDir() }
func (f info) Sys() any           { return nil }
