package nodekey

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRunCommandLimitKillsGroup: the per-command limit ends a hung command
// with ErrCommandTimeout and kills its children too (own process group).
func TestRunCommandLimitKillsGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	script := filepath.Join(dir, "hang")
	os.WriteFile(script, []byte("#!/bin/sh\nsleep 300 &\necho $! > "+pidFile+"\nwait\n"), 0o755)
	start := time.Now()
	_, err := RunCommand(WithCommandTimeout(context.Background(), time.Second), nil, script)
	if took := time.Since(start); !errors.Is(err, ErrCommandTimeout) || took > 4*time.Second {
		t.Fatalf("err %v after %v", err, took)
	}
	b, _ := os.ReadFile(pidFile)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid <= 0 {
		t.Fatal("no child pid")
	}
	defer syscall.Kill(pid, syscall.SIGKILL)
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil || strings.Contains(string(st), ") Z ") {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("child %d survived", pid)
		}
	}
	// Without a limit a quick command runs normally, and output is capped.
	res, err := RunCommand(context.Background(), nil, "/bin/sh", "-c", "head -c 5000000 /dev/zero")
	if err != nil || res.ExitCode != 0 || len(res.Stdout) != maxOutput {
		t.Fatalf("err %v exit %d stdout %d bytes", err, res.ExitCode, len(res.Stdout))
	}
}
