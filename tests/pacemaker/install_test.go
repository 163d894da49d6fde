//go:build pacemaker

package pacemaker

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/tests/vm"
)

// makeInstall runs `make -o build TARGET DESTDIR=d BIN=agent` (the agent under test, not a new
// build) and returns its output and error.
func makeInstall(t *testing.T, d, target string, extra ...string) (string, error) {
	t.Helper()
	root, err := vm.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := filepath.Abs(agentUnderTest(t))
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-s", "-C", root, "-o", "build", target, "DESTDIR=" + d, "BIN=" + bin}, extra...)
	out, err := exec.Command("make", args...).CombinedOutput()
	return string(out), err
}

func agentUnderTest(t *testing.T) string {
	if a := os.Getenv("FSG_AGENT"); a != "" {
		return a
	}
	return filepath.Join(sbin, goAgent) // installed by need() from a fresh build
}

// TestMakeInstall: make install / install-as-fence_scsi / uninstall-as-fence_scsi into a DESTDIR.
func TestMakeInstall(t *testing.T) {
	need(t)
	t.Parallel()
	d := t.TempDir()
	wd := filepath.Join(d, "usr/share/cluster")
	os.MkdirAll(wd, 0o755)
	os.WriteFile(filepath.Join(wd, "fence_scsi_check"), []byte("#!/bin/sh\n# fence-agents'\n"), 0o755)
	// An earlier install linked the watchdog names to the agent: replaced without FORCE.
	os.Symlink("/usr/sbin/fence_scsi_go", filepath.Join(wd, "fence_scsi_check_hardreboot"))
	out, err := makeInstall(t, d, "install")
	if err != nil {
		t.Fatalf("make install DESTDIR=%s: %v\n%s", d, err, out)
	}
	t.Logf("make install:\n%s", out)
	st, err := os.Stat(filepath.Join(d, "usr/sbin/fence_scsi_go"))
	if err != nil || st.Mode().Perm() != 0o755 || !st.Mode().IsRegular() {
		t.Errorf("usr/sbin/fence_scsi_go: %v %v", st, err)
	}
	root, _ := vm.RepoRoot()
	if _, err := os.Stat(filepath.Join(root, "man/fence_scsi_go.8")); err == nil {
		if _, err := os.Stat(filepath.Join(d, "usr/share/man/man8/fence_scsi_go.8")); err != nil {
			t.Errorf("man page not installed: %v", err)
		}
	}
	// The watchdog check: its own binary in libexec, the hardreboot name a link to it, and the
	// fence-agents names in share/cluster links to those.
	lx := filepath.Join(d, "usr/libexec/fence-scsi-go")
	if st, err := os.Lstat(filepath.Join(lx, "fence_scsi_check")); err != nil || st.Mode().Perm() != 0o755 || !st.Mode().IsRegular() {
		t.Errorf("usr/libexec/fence-scsi-go/fence_scsi_check: %v %v", st, err)
	}
	if l, _ := os.Readlink(filepath.Join(lx, "fence_scsi_check_hardreboot")); l != "fence_scsi_check" {
		t.Errorf("libexec/fence-scsi-go/fence_scsi_check_hardreboot -> %q, want fence_scsi_check", l)
	}
	if l, _ := os.Readlink(filepath.Join(wd, "fence_scsi_check_hardreboot")); l != "/usr/libexec/fence-scsi-go/fence_scsi_check_hardreboot" {
		t.Errorf("share/cluster/fence_scsi_check_hardreboot -> %q, want /usr/libexec/fence-scsi-go/fence_scsi_check_hardreboot", l)
	}
	// check-storage and acquire/defend/release run in the helper installed beside the check; the
	// agent finds it from its own path (../libexec/fence-scsi-go), so also inside this DESTDIR.
	if st, err := os.Lstat(filepath.Join(lx, "fence_scsi_go_tools")); err != nil || st.Mode().Perm() != 0o755 || !st.Mode().IsRegular() {
		t.Errorf("usr/libexec/fence-scsi-go/fence_scsi_go_tools: %v %v", st, err)
	}
	if r := run(t, d, "", filepath.Join(d, "usr/sbin/fence_scsi_go"), "acquire"); r.rc != 1 || !strings.Contains(r.out, "acquire: a key is required") {
		t.Errorf("installed fence_scsi_go acquire without a key: want exit 1 and the helper's usage error, got %s", r)
	}
	// SBINDIR moved away from LIBEXECDIR: the helper goes beside the agent, where it is found.
	d2 := t.TempDir()
	if out, err := makeInstall(t, d2, "install", "SBINDIR=/opt/fsg/sbin"); err != nil {
		t.Errorf("make install SBINDIR=/opt/fsg/sbin: %v\n%s", err, out)
	} else if r := run(t, d2, "", filepath.Join(d2, "opt/fsg/sbin/fence_scsi_go"), "acquire"); r.rc != 1 || !strings.Contains(r.out, "acquire: a key is required") {
		t.Errorf("fence_scsi_go installed with SBINDIR=/opt/fsg/sbin, acquire without a key: want the helper's usage error, got %s\n%s", r, out)
	}
	// Not configured (no state files under this DESTDIR's view): the installed check answers
	// as fence_scsi's does, exit 0.
	if r := run(t, d, "", filepath.Join(lx, "fence_scsi_check")); r.rc != 0 || !strings.Contains(r.out, "ERROR:root:") {
		t.Errorf("installed fence_scsi_check, not configured: want exit 0 and an ERROR:root: line, got %s", r)
	}
	if b, _ := os.ReadFile(filepath.Join(wd, "fence_scsi_check")); !strings.Contains(string(b), "fence-agents") {
		t.Errorf("make install (no FORCE) replaced an existing share/cluster/fence_scsi_check")
	}

	// The drop-in: refused while a fence_scsi exists, done with FORCE=1, undone by uninstall.
	ref := filepath.Join(d, "usr/sbin/fence_scsi")
	os.WriteFile(ref, []byte("#!/bin/sh\n# Debian's\n"), 0o755)
	out, err = makeInstall(t, d, "install-as-fence_scsi")
	if err == nil || !strings.Contains(out, "REFUSED") {
		t.Errorf("install-as-fence_scsi over an existing fence_scsi: want a refusal, got err=%v\n%s", err, out)
	}
	if b, _ := os.ReadFile(ref); !strings.Contains(string(b), "Debian's") {
		t.Fatalf("install-as-fence_scsi without FORCE changed fence_scsi")
	}
	out, err = makeInstall(t, d, "install-as-fence_scsi", "FORCE=1")
	if err != nil {
		t.Fatalf("install-as-fence_scsi FORCE=1: %v\n%s", err, out)
	}
	t.Logf("make install-as-fence_scsi FORCE=1:\n%s", out)
	if l, _ := os.Readlink(ref); l != "fence_scsi_go" {
		t.Errorf("usr/sbin/fence_scsi -> %q, want fence_scsi_go", l)
	}
	if l, _ := os.Readlink(filepath.Join(wd, "fence_scsi_check")); l != "/usr/libexec/fence-scsi-go/fence_scsi_check" {
		t.Errorf("FORCE=1: share/cluster/fence_scsi_check -> %q", l)
	}
	// Under the name fence_scsi the metadata says fence_scsi (what existing CIBs reference).
	r := run(t, d, "", "/usr/bin/env", "-i", ref, "-o", "metadata")
	if r.rc != 0 || !strings.Contains(r.out, `<resource-agent name="fence_scsi" `) {
		t.Errorf("the agent run as fence_scsi: want name=\"fence_scsi\" metadata, got\n%s", r)
	}
	out, err = makeInstall(t, d, "uninstall-as-fence_scsi")
	if err != nil {
		t.Fatalf("uninstall-as-fence_scsi: %v\n%s", err, out)
	}
	for _, f := range []string{ref, filepath.Join(wd, "fence_scsi_check")} {
		if fi, err := os.Lstat(f); err != nil || fi.Mode()&os.ModeSymlink != 0 {
			t.Errorf("after uninstall-as-fence_scsi, %s is not the old file back: %v %v", f, fi, err)
		}
	}
}
