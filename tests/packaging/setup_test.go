//go:build packaging

// Package packaging tests the .deb and .rpm packages (make deb, make rpm; docs/packaging.md):
// both are built twice from clean clones of the repository and must be byte-identical; their
// contents must match the lists in packaging/contents/; lintian must report no error and only
// warnings that docs/packaging.md explains; the RPM metadata (Provides, Conflicts, scriptlets)
// is checked with rpm -qp. The .debs are then installed on this machine with dpkg -i: pcs sees
// the agent, the drop-in diverts fence-agents' files, and purging both leaves every touched
// path, dpkg -S answer and diversion as it was. (Installing the .rpm needs an RPM system.)
//
// Run: make packaging, or as root:
//
//	go test -tags packaging -count=1 -v ./tests/packaging/
//
// Root is needed (apt-get, dpkg -i). Not root: the test is skipped with a loud message.
// FSG_PKG_SRC=DIR builds from a clone of DIR instead of this repository (used to show that a
// broken package fails the test). /usr/sbin/fence_scsi_go, which `make pacemaker` installs
// unpackaged, is copied aside first and put back at the end.
package packaging

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/tests/host"
	"github.com/fence-scsi-go/fence_scsi_go/tests/vm"
)

// tools the test needs, from Debian packages it installs when missing.
var tools = []host.Package{
	{Name: "lintian", File: "/usr/bin/lintian"},
	{Name: "rpm", File: "/usr/bin/rpm"},
	{Name: "binutils", File: "/usr/bin/strip"},
	{Name: "git", File: "/usr/bin/git"},
	{Name: "man-db", File: "/usr/bin/man"},
}

// need skips without root and installs the build and inspection tools.
func need(t *testing.T) {
	t.Helper()
	if why := host.WhyNot(); why != "" {
		host.SkipLoudly(t, "the packaging test (tests/packaging)", why, "packaging")
	}
	if err := host.Install(tools); err != nil {
		t.Fatal(err)
	}
}

// baseEnv is the environment of every command: no SOURCE_DATE_EPOCH or GOFLAGS from the
// caller, UTC, C locale.
func baseEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "SOURCE_DATE_EPOCH", "GOFLAGS", "TZ", "LC_ALL", "LANG", "PKG_MAINTAINER", "PKG_HOMEPAGE":
			continue
		}
		env = append(env, kv)
	}
	return append(append(env, "TZ=UTC", "LC_ALL=C"), extra...)
}

// result of one command.
type result struct {
	out, errOut string
	rc          int
}

// run runs argv in dir (any dir when ""); it fails the test only if argv cannot start.
func run(t *testing.T, dir string, argv ...string) result {
	t.Helper()
	return runEnv(t, dir, nil, argv...)
}

func runEnv(t *testing.T, dir string, env []string, argv ...string) result {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = baseEnv(env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	rc := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("%s: %v", strings.Join(argv, " "), err)
		}
		rc = ee.ExitCode()
	}
	return result{out: o.String(), errOut: e.String(), rc: rc}
}

// must runs argv and fails the test unless it exits 0; it returns stdout.
func must(t *testing.T, dir string, argv ...string) string {
	t.Helper()
	r := run(t, dir, argv...)
	if r.rc != 0 {
		t.Fatalf("%s: exit %d\n%s%s", strings.Join(argv, " "), r.rc, r.out, r.errOut)
	}
	return r.out
}

// dpkg runs dpkg ARGS, retrying while another process holds the dpkg lock.
func dpkg(t *testing.T, args ...string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Minute)
	for {
		r := run(t, "", append([]string{"dpkg"}, args...)...)
		if r.rc == 0 {
			return r.out + r.errOut
		}
		if !strings.Contains(r.errOut, "lock") || time.Now().After(deadline) {
			t.Fatalf("dpkg %s: exit %d\n%s%s", strings.Join(args, " "), r.rc, r.out, r.errOut)
		}
		t.Logf("dpkg %s: the dpkg lock is held, retrying in 5 s", args[0])
		time.Sleep(5 * time.Second)
	}
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := vm.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// diffLines fails the test with the lines only in want (-) and only in got (+).
func diffLines(t *testing.T, what string, want, got []string) {
	t.Helper()
	in := func(s []string) map[string]bool {
		m := map[string]bool{}
		for _, l := range s {
			m[l] = true
		}
		return m
	}
	w, g := in(want), in(got)
	var d []string
	for _, l := range want {
		if !g[l] {
			d = append(d, "- "+l)
		}
	}
	for _, l := range got {
		if !w[l] {
			d = append(d, "+ "+l)
		}
	}
	if len(d) > 0 || len(want) != len(got) {
		t.Errorf("%s differs from what is expected (- expected, + found):\n%s", what, strings.Join(d, "\n"))
	}
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimRight(l, " \t"); l != "" {
			out = append(out, l)
		}
	}
	return out
}
