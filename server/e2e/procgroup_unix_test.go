//go:build unix

package e2e

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup puts cmd and its children in a process group of their own and makes the
// context's cancellation kill that whole group, so that a timed-out `node --test` leaves
// none of its per-file child processes behind.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// killProcessGroup kills cmd's process group (see ownProcessGroup), ignoring one that has
// already gone.
func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) //nolint:errcheck // it may be gone already
	}
}
