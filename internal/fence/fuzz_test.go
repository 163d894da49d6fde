package fence

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// FuzzDMSlaves builds /sys/block/dm-0/slaves from fuzzed entry names
// ("/"-separated) and checks the sysfs reader: no panic, paths only for
// real entries, never a path outside /dev/, and no dm device in the result.
func FuzzDMSlaves(f *testing.F) {
	for _, s := range []string{"sda/sdb", "dm-1", ".hidden", "", "sdb/sda/dm-7", "..", "a b"} {
		f.Add(s)
	}
	root := f.TempDir()
	f.Fuzz(func(t *testing.T, names string) {
		slaves := filepath.Join(root, "block", "dm-0", "slaves")
		if err := os.RemoveAll(filepath.Join(root, "block")); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(slaves, 0o755); err != nil {
			t.Fatal(err)
		}
		made := map[string]bool{}
		for i, n := range strings.Split(names, "/") {
			if i >= 8 || n == "" || n == "." || n == ".." || len(n) > 200 || strings.ContainsRune(n, 0) {
				continue
			}
			if os.WriteFile(filepath.Join(slaves, n), nil, 0o644) == nil {
				made[n] = true
			}
		}
		o := Options{SysfsRoot: root}.withDefaults()
		paths, err := o.dmSlaves("dm-0", 0)
		if err != nil {
			return
		}
		for _, p := range paths {
			n, ok := strings.CutPrefix(p, "/dev/")
			if !ok || !made[n] || strings.HasPrefix(n, ".") {
				t.Fatalf("path %q not from entries %q", p, names)
			}
		}
	})
}

// FuzzDiscoverDevices runs DiscoverDevices against a vgs stand-in that
// prints fuzzed output. Each execution starts a process, so this fuzzer
// runs far fewer executions than the in-process ones.
func FuzzDiscoverDevices(f *testing.F) {
	for _, s := range []string{"  wz--ns:/dev/sdb\n  wz--nc:/dev/sdc\n", "wz--n-:/dev/sda\n", "x:y:z\n", ":\n", "abcdes:\n", "\n\n"} {
		f.Add(s)
	}
	dir := f.TempDir()
	out := filepath.Join(dir, "out")
	vgs := filepath.Join(dir, "vgs")
	if err := os.WriteFile(vgs, []byte("#!/bin/sh\nexec cat "+out+"\n"), 0o755); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, stdout string) {
		if err := os.WriteFile(out, []byte(stdout), 0o600); err != nil {
			t.Fatal(err)
		}
		devs, err := DiscoverDevices(context.Background(), vgs, nil)
		if err != nil {
			if err != ErrNoDevices {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		for _, d := range devs {
			if d == "" || strings.ContainsAny(d, ":\n") || !strings.Contains(stdout, d) {
				t.Fatalf("device %q not a PV field of %q", d, stdout)
			}
		}
	})
}

// sharedPVLine is an independent statement of what sharedPVs keeps: a
// trimmed line "attr:pv" whose attr has at least six characters, the sixth
// 'c' or 's', and a non-empty pv without another ':'.
var sharedPVLine = regexp.MustCompile(`^[^:]{5}[cs][^:]*:([^:]+)$`)

// FuzzSharedPVs checks the vgs output parser in process (FuzzDiscoverDevices
// covers the same bytes through a real process, at a few executions per
// second): the PVs returned are exactly, and in order, those of the lines
// the regular expression above accepts.
func FuzzSharedPVs(f *testing.F) {
	for _, s := range []string{"  wz--ns:/dev/sdb\n  wz--nc:/dev/sdc\n", "wz--n-:/dev/sda\n", "x:y:z\n", ":\n", "abcdes:\n", "\n\n", "wz--cs:a:b\n\twz--s-:/dev/x \r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, stdout string) {
		got := sharedPVs(stdout, nil)
		var want []string
		for _, line := range strings.Split(stdout, "\n") {
			if m := sharedPVLine.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
				want = append(want, m[1])
			}
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") || len(got) != len(want) {
			t.Fatalf("sharedPVs(%q) = %q, want %q", stdout, got, want)
		}
	})
}

// FuzzWalkSlaves checks the walk down stacked device-mapper nodes in
// process (FuzzDMSlaves covers the sysfs listing, at about a thousand
// executions per second). The input is a graph: lines "node:slave,slave,...";
// a node without a line has no slaves directory. Properties: the walk ends
// (at most 9 listings), each step goes to the first slave of the node before
// it, and the result is the /dev/ paths of exactly the slaves of the last
// node listed, whose first slave is not a dm device; any failure is a
// *DeviceError.
func FuzzWalkSlaves(f *testing.F) {
	for _, s := range []string{"dm-0:sdb,sda", "dm-0:dm-1\ndm-1:sdc,sdd", "dm-0:dm-0", "dm-0:", "dm-0:dm-1\ndm-1:a/b", "x:y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, graph string) {
		nodes := map[string][]string{}
		for _, line := range strings.Split(graph, "\n") {
			n, list, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			var slaves []string
			for _, e := range strings.Split(list, ",") {
				if e != "" && !strings.HasPrefix(e, ".") {
					slaves = append(slaves, e)
				}
			}
			slices.Sort(slaves)
			nodes[n] = slaves
		}
		var visited []string
		list := func(n string) ([]string, error) {
			visited = append(visited, n)
			s, ok := nodes[n]
			if !ok {
				return nil, os.ErrNotExist
			}
			return s, nil
		}
		paths, err := walkSlaves(list, "dm-0", 0)
		if len(visited) > 9 {
			t.Fatalf("%d listings for %q", len(visited), graph)
		}
		for i := 1; i < len(visited); i++ {
			if prev := nodes[visited[i-1]]; len(prev) == 0 || prev[0] != visited[i] {
				t.Fatalf("step %d to %q is not the first slave of %q", i, visited[i], visited[i-1])
			}
		}
		if err != nil {
			var de *DeviceError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *DeviceError", err)
			}
			return
		}
		last := nodes[visited[len(visited)-1]]
		if len(last) == 0 || strings.HasPrefix(last[0], "dm-") || len(paths) != len(last) {
			t.Fatalf("paths %q from last node %q (slaves %q)", paths, visited[len(visited)-1], last)
		}
		for i, p := range paths {
			if p != "/dev/"+last[i] {
				t.Fatalf("path %d = %q, want /dev/%s", i, p, last[i])
			}
		}
	})
}
