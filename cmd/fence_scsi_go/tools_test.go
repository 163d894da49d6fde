package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/arbcli"
)

// TestToolCommands: the agent hands exactly check-storage and the arbitration
// commands to its helper; a command added to arbcli and not here would reach
// the fence agent's option parser instead.
func TestToolCommands(t *testing.T) {
	want := map[string]bool{"check-storage": true}
	for c := range arbcli.Commands {
		want[c] = true
	}
	if len(want) != len(toolCommands) {
		t.Fatalf("toolCommands %v, want %v", toolCommands, want)
	}
	for c := range want {
		if !toolCommands[c] {
			t.Errorf("toolCommands lacks %q", c)
		}
	}
}

func TestToolCandidates(t *testing.T) {
	for exe, want := range map[string][]string{
		"/usr/sbin/fence_scsi_go":        {"/usr/sbin/fence_scsi_go_tools", "/usr/libexec/fence-scsi-go/fence_scsi_go_tools"},
		"/usr/local/sbin/fence_scsi_go":  {"/usr/local/sbin/fence_scsi_go_tools", "/usr/local/libexec/fence-scsi-go/fence_scsi_go_tools"},
		"/work/repo/bin/fence_scsi_go":   {"/work/repo/bin/fence_scsi_go_tools", "/work/repo/libexec/fence-scsi-go/fence_scsi_go_tools"},
		"/tmp/fsg-run/agent/bin/renamed": {"/tmp/fsg-run/agent/bin/fence_scsi_go_tools", "/tmp/fsg-run/agent/libexec/fence-scsi-go/fence_scsi_go_tools"},
	} {
		got := toolCandidates(exe)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("toolCandidates(%s) = %q, want %q", exe, got, want)
		}
	}
}

// TestFindTools: beside the agent first, then ../libexec/fence-scsi-go; only an
// executable regular file counts.
func TestFindTools(t *testing.T) {
	root := t.TempDir()
	sbin, lx := filepath.Join(root, "sbin"), filepath.Join(root, "libexec", "fence-scsi-go")
	for _, d := range []string{sbin, lx} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	exe := filepath.Join(sbin, "fence_scsi_go")
	beside, inLx := filepath.Join(sbin, toolsName), filepath.Join(lx, toolsName)

	if p, err := findTools(exe); err == nil {
		t.Fatalf("nothing installed: found %s", p)
	} else if !strings.Contains(err.Error(), beside) || !strings.Contains(err.Error(), inLx) {
		t.Errorf("the error does not name both places: %v", err)
	}
	// Not executable, or a directory: not taken.
	if err := os.WriteFile(inLx, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(beside, 0o755); err != nil {
		t.Fatal(err)
	}
	if p, err := findTools(exe); err == nil {
		t.Fatalf("a mode 0644 file and a directory: found %s", p)
	}
	if err := os.Chmod(inLx, 0o755); err != nil {
		t.Fatal(err)
	}
	if p, err := findTools(exe); err != nil || p != inLx {
		t.Errorf("libexec only: %q, %v; want %s", p, err, inLx)
	}
	if err := os.Remove(beside); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(beside, []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if p, err := findTools(exe); err != nil || p != beside {
		t.Errorf("both: %q, %v; want the one beside the agent, %s", p, err, beside)
	}
}

// toolsBinary builds cmd/fence_scsi_go_tools once per test run.
func toolsBinary(t *testing.T) string {
	return toolsBuild.get(t, "../fence_scsi_go_tools", toolsName)
}

type result struct {
	code           int
	stdout, stderr string
}

func runProg(t *testing.T, path string, args ...string) result {
	t.Helper()
	cmd := exec.Command(path, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code := 0
	if x, ok := err.(*exec.ExitError); ok {
		code = x.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return result{code, o.String(), e.String()}
}

// TestExecTools: fence_scsi_go SUBCOMMAND, installed as the packages lay it
// out (sbin/ and libexec/fence-scsi-go/), gives exactly what the helper gives
// (output, errors, exit code); without the helper it exits 1 with one line.
func TestExecTools(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	root := t.TempDir()
	sbin, lx := filepath.Join(root, "sbin"), filepath.Join(root, "libexec", "fence-scsi-go")
	for _, d := range []string{sbin, lx} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	agent, tools := filepath.Join(sbin, "fence_scsi_go"), filepath.Join(lx, toolsName)
	for src, dst := range map[string]string{agentBinary(t): agent, toolsBinary(t): tools} {
		b, err := os.ReadFile(src)
		if err == nil {
			err = os.WriteFile(dst, b, 0o755)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	missing := filepath.Join(t.TempDir(), "no-such-device")
	for _, args := range [][]string{
		{"check-storage", "--devices=" + missing, "--key=1"},
		{"check-storage", "--json", "--devices=" + missing, "--key=1"},
		{"check-storage", "--no-such-option"},
		{"acquire"},
		{"acquire", "--help"},
		{"defend", "--once", "--devices=" + missing, "--key=1"},
		{"release", "--devices=" + missing, "--key=zz"},
	} {
		got := runProg(t, agent, args...)
		// The helper run directly under the agent's name: argv[0] is passed on.
		cmd := exec.Command(tools, args...)
		cmd.Args[0] = agent
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		want := result{0, o.String(), e.String()}
		if x, ok := err.(*exec.ExitError); ok {
			want.code = x.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("fence_scsi_go %q:\n got %+v\nwant %+v", args, got, want)
		}
		if got.stdout == "" && got.stderr == "" {
			t.Errorf("fence_scsi_go %q printed nothing", args)
		}
	}
	// The fence agent itself does not go through the helper.
	if r := runProg(t, agent, "-V"); r.code != 0 || r.stdout == "" {
		t.Errorf("fence_scsi_go -V: %+v", r)
	}

	if err := os.Remove(tools); err != nil {
		t.Fatal(err)
	}
	r := runProg(t, agent, "check-storage", "--devices="+missing)
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	if r.code != 1 || r.stdout != "" || len(lines) != 1 ||
		!strings.HasPrefix(lines[0], "fence_scsi_go: check-storage: its helper program fence_scsi_go_tools is missing: looked for "+filepath.Join(sbin, toolsName)+" and "+tools) {
		t.Errorf("without the helper: %+v", r)
	}
	// The helper run with a first argument that is not one of its commands.
	if r := runProg(t, toolsBinary(t), "off"); r.code != 1 || !strings.Contains(r.stderr, `not "off"`) {
		t.Errorf("fence_scsi_go_tools off: %+v", r)
	}
}
