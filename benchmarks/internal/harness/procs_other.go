//go:build !linux

package harness

import (
	"errors"
	"os/exec"
	"syscall"
)

func setDeathSignal(*exec.Cmd) {}

// signalGroup sends sig to the child only.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	return cmd.Process.Signal(sig)
}

// raiseFileLimit is a no-op off Linux; 0 means unknown.
func raiseFileLimit(uint64) (uint64, error) { return 0, nil }

// pinSelf is not supported off Linux.
func pinSelf([]int) error { return errors.New("CPU pinning needs Linux") }
