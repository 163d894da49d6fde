//go:build unix

package nodekey

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup starts cmd in a new process group and makes the context's
// end kill that group, not only the direct child.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		killGroup(cmd)
		return nil
	}
}

// killGroup sends SIGKILL to cmd's process group (its pgid is its pid).
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil && cmd.Process.Pid > 0 {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
