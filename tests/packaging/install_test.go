//go:build packaging

package packaging

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/tests/host"
	"github.com/fence-scsi-go/fence_scsi_go/tests/vm"
)

const ourAgent = "/usr/sbin/fence_scsi_go"

// fence-agents' files that the drop-in diverts, and the names they are diverted to.
var diverted = []string{"/usr/sbin/fence_scsi", "/usr/share/cluster/fence_scsi_check",
	"/usr/share/cluster/fence_scsi_check_hardreboot"}

// checkInstall installs, checks and purges the .debs on this machine, leaving it as it was.
func checkInstall(t *testing.T, b *build) {
	for _, p := range pkgNames {
		st := run(t, "", "dpkg-query", "-W", "-f", "${Status}", p).out
		if strings.Contains(st, "installed") || strings.Contains(st, "config-files") {
			t.Fatalf("%s is already on this machine (%s): purge it first (dpkg --purge %s)", p, st, p)
		}
	}
	restore := saveAgent(t)
	t.Cleanup(restore)
	needPacemaker(t)
	paths, dropinPaths := watchedPaths(t, b)
	before := takeSnapshot(t, paths)
	t.Cleanup(func() { purgeAll(t) }) // after a failure: leave no package behind
	t.Run("main", func(t *testing.T) { checkMain(t, b, before) })
	if t.Failed() {
		return
	}
	t.Run("dropin", func(t *testing.T) { checkDropin(t, b, before) })
	t.Run("purge_dropin", func(t *testing.T) {
		dpkg(t, "--purge", "fence-scsi-go-dropin")
		after := takeSnapshot(t, paths)
		compare(t, "after purging fence-scsi-go-dropin", before, after, dropinPaths)
		if after.diversions != before.diversions {
			t.Errorf("diversions after the purge:\n%s\nbefore:\n%s", after.diversions, before.diversions)
		}
	})
	t.Run("purge_main", func(t *testing.T) {
		dpkg(t, "--purge", "fence-scsi-go")
		after := takeSnapshot(t, paths)
		compare(t, "after purging both packages", before, after, paths)
		if after.agentsList != before.agentsList || after.diversions != before.diversions {
			t.Errorf("dpkg -L fence-agents or dpkg-divert --list changed")
		}
		if _, err := os.Lstat(ourAgent); err == nil {
			t.Errorf("%s is still there after the purge", ourAgent)
		}
	})
}

// saveAgent copies an unpackaged /usr/sbin/fence_scsi_go aside; the returned function puts it
// back (or makes sure there is none if there was none) and checks the bytes.
func saveAgent(t *testing.T) func() {
	fi, err := os.Lstat(ourAgent)
	if err != nil {
		t.Logf("%s does not exist before the test", ourAgent)
		return func() {
			if _, err := os.Lstat(ourAgent); err == nil {
				t.Logf("removing %s, which was not there before the test", ourAgent)
				os.Remove(ourAgent)
			}
		}
	}
	if !fi.Mode().IsRegular() {
		t.Fatalf("%s is not a regular file (%v): not touching it", ourAgent, fi.Mode())
	}
	copyPath := filepath.Join(t.TempDir(), "fence_scsi_go.saved")
	if err := vm.InstallExecutable(ourAgent, copyPath); err != nil {
		t.Fatal(err)
	}
	sum := sha256File(t, ourAgent)
	t.Logf("%s exists before the test (sha256 %s): copied aside", ourAgent, sum)
	return func() {
		if err := vm.InstallExecutable(copyPath, ourAgent); err != nil {
			t.Errorf("restoring %s: %v", ourAgent, err)
			return
		}
		os.Chmod(ourAgent, fi.Mode().Perm())
		os.Chtimes(ourAgent, fi.ModTime(), fi.ModTime())
		if got := sha256File(t, ourAgent); got != sum {
			t.Errorf("restored %s has sha256 %s, want %s", ourAgent, got, sum)
		} else {
			t.Logf("%s restored (sha256 %s)", ourAgent, got)
		}
	}
}

// needPacemaker installs pacemaker, pcs and fence-agents (the Pacemaker suite's package set,
// tests/host) if any is missing.
func needPacemaker(t *testing.T) {
	if err := host.Install(host.Pacemaker); err != nil {
		t.Fatal(err)
	}
}

// watchedPaths: every path of both .debs, the diversion targets and fence-agents' man page
// (all), and those of them that the drop-in touches (dropin); not /usr/sbin/fence_scsi_go,
// which saveAgent looks after.
func watchedPaths(t *testing.T, b *build) (all, dropin []string) {
	extra := []string{"/usr/share/man/man8/fence_scsi.8.gz"}
	for _, d := range diverted {
		extra = append(extra, d+".distrib")
	}
	for _, p := range pkgNames {
		for _, l := range wantList(t, b, p+".deb") {
			path := strings.TrimSuffix(strings.TrimPrefix(strings.Fields(l)[2], "."), "/")
			if path == ourAgent {
				continue
			}
			all = append(all, path)
			if p == "fence-scsi-go-dropin" {
				dropin = append(dropin, path)
			}
		}
	}
	return append(all, extra...), append(dropin, extra...)
}

// snapshot is what the test compares before and after.
type snapshot struct {
	state      map[string]string // path -> pathState
	owner      map[string]string // path -> dpkg-query -S answer
	agentsList string            // dpkg -L fence-agents
	diversions string            // dpkg-divert --list, sorted
}

func takeSnapshot(t *testing.T, paths []string) snapshot {
	t.Helper()
	s := snapshot{state: map[string]string{}, owner: map[string]string{}}
	for _, p := range paths {
		s.state[p] = pathState(p)
		fi, err := os.Lstat(p)
		// Shared directories (/usr, ...) belong to many packages that others may install
		// meanwhile: only files, links and our own directories are asked of dpkg.
		if err != nil || !fi.IsDir() || strings.Contains(p, "fence-scsi-go") {
			r := run(t, "", "dpkg-query", "-S", p)
			s.owner[p] = fmt.Sprintf("%s%s[rc=%d]", r.out, r.errOut, r.rc)
		}
	}
	s.agentsList = must(t, "", "dpkg", "-L", "fence-agents")
	d := lines(must(t, "", "dpkg-divert", "--list"))
	sort.Strings(d)
	s.diversions = strings.Join(d, "\n")
	return s
}

// pathState: type, mode, owner, and for files their mtime and sha256, for links the target.
func pathState(p string) string {
	fi, err := os.Lstat(p)
	if err != nil {
		return "absent"
	}
	st := fi.Sys().(*syscall.Stat_t)
	s := fmt.Sprintf("%v uid=%d gid=%d", fi.Mode(), st.Uid, st.Gid)
	switch {
	case fi.Mode()&os.ModeSymlink != 0:
		l, _ := os.Readlink(p)
		s += " -> " + l
	case fi.Mode().IsRegular():
		data, _ := os.ReadFile(p)
		s += fmt.Sprintf(" mtime=%d sha256=%x", fi.ModTime().UnixNano(), sha256Bytes(data))
	}
	return s
}

// compare fails the test for each path of which whose state or dpkg -S answer changed.
func compare(t *testing.T, when string, before, after snapshot, which []string) {
	t.Helper()
	for _, p := range which {
		if before.state[p] != after.state[p] {
			t.Errorf("%s: %s is %q, before the test %q", when, p, after.state[p], before.state[p])
		}
		if before.owner[p] != after.owner[p] {
			t.Errorf("%s: dpkg -S %s answers %q, before the test %q", when, p, after.owner[p], before.owner[p])
		}
	}
}

// pcsParam is a parameter line of pcs stonith describe: "  name: description".
var pcsParam = regexp.MustCompile(`\n +([a-z][a-z0-9_-]*): `)
