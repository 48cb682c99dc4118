//go:build !linux

package harness

import (
	"os/exec"
	"syscall"
)

func setDeathSignal(*exec.Cmd) {}

// signalGroup sends sig to the child only.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	return cmd.Process.Signal(sig)
}
