package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/agent"
	"github.com/fence-scsi-go/fence_scsi_go/internal/fenceproto"
)

// hungCmapctl writes a corosync-cmapctl stand-in that starts a child, writes
// the child's pid to a file and waits forever, as a hung corosync would.
func hungCmapctl(t *testing.T) (path, pidFile string) {
	t.Helper()
	dir := t.TempDir()
	path, pidFile = filepath.Join(dir, "corosync-cmapctl"), filepath.Join(dir, "child.pid")
	script := "#!/bin/sh\nsleep 300 &\necho $! > " + pidFile + "\nwait\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path, pidFile
}

// childPid waits for the stand-in's child to be started and returns its pid;
// the child is killed at the end of the test whatever happens.
func childPid(t *testing.T, pidFile string) int {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		b, err := os.ReadFile(pidFile)
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && perr == nil {
			t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
			return pid
		}
	}
	t.Fatal("the stand-in did not start its child")
	return 0
}

// gone reports whether pid has exited (or is a zombie) within 5 s.
func gone(pid int) bool {
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil || strings.Contains(string(st), ") Z ") {
			return true
		}
	}
	return false
}

// TestHungCmapctlTimesOut: outside Pacemaker, power_timeout limits every
// external command, as fence-agents' run_command does: a hung
// corosync-cmapctl ends the run after about power_timeout seconds with
// "Connection timed out", exit 1, and its whole process group killed.
func TestHungCmapctlTimesOut(t *testing.T) {
	cmap, pidFile := hungCmapctl(t)
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	start := time.Now()
	go func() {
		done <- fenceproto.Run(context.Background(), fenceproto.Env{Args: []string{"fence_scsi_go", "--corosync-cmap-path=" + cmap, "--power-timeout=2",
			"-n", "node1", "-d", "/dev/null", "-o", "status"}, Stdout: &out, Stderr: &errb}, agent.New())
	}()
	pid := childPid(t, pidFile)
	var code int
	select {
	case code = <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("still running after 30 s (power_timeout 2)")
	}
	took := time.Since(start)
	if code != 1 || !regexp.MustCompile(`^\S+ \S+ ERROR: Connection timed out\n\n\n$`).MatchString(errb.String()) || took < 2*time.Second || took > 7*time.Second {
		t.Fatalf("exit %d after %v, stderr %q", code, took, errb.String())
	}
	if !gone(pid) {
		t.Fatalf("the command's child %d survived the timeout", pid)
	}
}

// built is a program built once per test run (go build with make build's tags).
type built struct {
	sync.Once
	path string
	err  error
}

// get builds package pkg as name into a temporary directory on the first call.
func (b *built) get(t *testing.T, pkg, name string) string {
	t.Helper()
	b.Do(func() {
		dir, err := os.MkdirTemp("", "fsg-"+name)
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, name)
		if out, err := exec.Command("go", "build", "-tags", buildTags, "-o", b.path, pkg).CombinedOutput(); err != nil {
			b.err, b.path = err, string(out)
		}
	})
	if b.err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, b.err, b.path)
	}
	return b.path
}

var agentBuild, toolsBuild built

// agentBinary builds the agent once per test run.
func agentBinary(t *testing.T) string { return agentBuild.get(t, ".", "fence_scsi_go") }

// TestSignalKillsCommands: SIGTERM (as Pacemaker sends on its own timeout)
// and SIGINT end the agent with exit 1 and a one-line reason, and take the
// hung command's process group with them.
func TestSignalKillsCommands(t *testing.T) {
	bin := agentBinary(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		cmap, pidFile := hungCmapctl(t)
		cmd := exec.Command(bin, "--corosync-cmap-path="+cmap, "--disable-timeout=1", "-n", "node1", "-d", "/dev/null", "-o", "status")
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		pid := childPid(t, pidFile)
		signalAndWait(t, cmd, sig)
		want := "ERROR: Failed: interrupted by signal " + map[syscall.Signal]string{syscall.SIGTERM: "SIGTERM", syscall.SIGINT: "SIGINT"}[sig] + "\n"
		if cmd.ProcessState.ExitCode() != 1 || !strings.HasSuffix(errb.String(), want) {
			t.Errorf("%v: exit %d stderr %q", sig, cmd.ProcessState.ExitCode(), errb.String())
		}
		if !gone(pid) {
			t.Errorf("%v: the command's child %d survived the agent", sig, pid)
		}
	}
}

// TestHungCmapctlSideBySide runs Debian's fence_scsi and this agent on the
// same hung corosync-cmapctl: same stderr (timestamps aside), same exit
// code, and both end within power_timeout plus a margin.
func TestHungCmapctlSideBySide(t *testing.T) {
	const real = "/usr/sbin/fence_scsi"
	if _, err := os.Stat(real); err != nil {
		t.Skip("fence_scsi not installed:", err)
	}
	bin := agentBinary(t)
	stamp := regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} `)
	var outs [2]string
	for i, agent := range []string{real, bin} {
		cmap, pidFile := hungCmapctl(t)
		cmd := exec.Command(agent, "--corosync-cmap-path="+cmap, "--power-timeout=3", "-n", "node1", "-d", "/dev/null", "-o", "status")
		var errb bytes.Buffer
		cmd.Stderr, cmd.Stdout = &errb, &errb
		start := time.Now()
		cmd.Start()
		childPid(t, pidFile)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%s: still running after 30 s (power_timeout 3)", agent)
		}
		took := time.Since(start)
		t.Logf("%s: exit %d after %v", agent, cmd.ProcessState.ExitCode(), took.Round(time.Millisecond))
		if cmd.ProcessState.ExitCode() != 1 || took > 10*time.Second {
			t.Errorf("%s: exit %d after %v", agent, cmd.ProcessState.ExitCode(), took)
		}
		outs[i] = stamp.ReplaceAllString(errb.String(), "")
	}
	if outs[0] != outs[1] {
		t.Fatalf("output differs:\nfence_scsi:    %q\nfence_scsi_go: %q", outs[0], outs[1])
	}
}

// TestSignalBeforeCommand: before the run starts an external command,
// SIGTERM keeps its default action and ends the agent at once (here in the
// delay before off, which starts no command), as it ends fence_scsi's
// Python process; the handling of TestSignalKillsCommands starts with the
// first command.
func TestSignalBeforeCommand(t *testing.T) {
	bin := agentBinary(t)
	cmd := exec.Command(bin, "--disable-timeout=1", "--delay=30", "-k", "1", "-d", "/dev/null", "-o", "off")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	signalAndWait(t, cmd, syscall.SIGTERM)
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("agent ended with %v, want killed by SIGTERM", cmd.ProcessState)
	}
}

// signalAndWait sends sig to the started agent and waits for it to end, at
// most 10 s (then it is killed and the test fails).
func signalAndWait(t *testing.T, cmd *exec.Cmd, sig syscall.Signal) {
	t.Helper()
	cmd.Process.Signal(sig)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("%v: agent still running 10 s after the signal", sig)
	}
}
