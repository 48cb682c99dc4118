package harness

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"unsafe"
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

// raiseFileLimit raises this process's RLIMIT_NOFILE soft limit to its hard
// limit (and, when allowed, both to want), and returns the soft limit now.
// Setting it explicitly also makes the children inherit it (Go restores the
// original soft limit in children only when the program never set it), so
// a gateway under test is not held to a smaller limit than the harness.
func raiseFileLimit(want uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("getrlimit: %w", err)
	}
	if lim.Max < want {
		raised := syscall.Rlimit{Cur: want, Max: want}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err == nil {
			return want, nil
		}
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("setrlimit: %w", err)
	}
	return lim.Cur, nil
}

// pinSelf sets the CPU affinity of every thread of this process to cpus;
// threads started later inherit it from the thread that starts them.
func pinSelf(cpus []int) error {
	var mask [16]uint64 // up to 1024 CPUs
	for _, c := range cpus {
		if c < 0 || c >= 64*len(mask) {
			return fmt.Errorf("cpu %d out of range", c)
		}
		mask[c/64] |= 1 << (uint(c) % 64)
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return fmt.Errorf("pin the harness: %w", err)
	}
	for _, e := range tasks {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		_, _, errno := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, uintptr(tid), unsafe.Sizeof(mask), uintptr(unsafe.Pointer(&mask)))
		if errno != 0 && errno != syscall.ESRCH {
			return fmt.Errorf("sched_setaffinity(%d): %w", tid, errno)
		}
	}
	return nil
}
