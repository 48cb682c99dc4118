package harness

import (
	"os/exec"
	"syscall"
)

// setDeathSignal puts the child in a process group of its own (so that
// Ctrl-C reaches only the harness, which then stops it in order) and makes
// the kernel kill it if the harness dies, so nothing outlives a crashed or
// killed run.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}

// signalGroup sends sig to the child's process group: the child and any
// process it started (a peer's workers), and nothing else.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	return syscall.Kill(-cmd.Process.Pid, sig)
}
