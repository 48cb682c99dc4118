//go:build !unix

package e2e

import "os/exec"

// ownProcessGroup is a no-op where process groups are not available: cancellation kills
// the process itself.
func ownProcessGroup(*exec.Cmd) {}

// killProcessGroup kills cmd's process.
func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		cmd.Process.Kill() //nolint:errcheck // it may be gone already
	}
}
