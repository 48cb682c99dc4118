// Package procstat reads a process's CPU time, memory and descriptors from
// /proc (Linux) through github.com/prometheus/procfs: the steadiest figures
// on a shared machine, since they count only the process's own work.
//
// Every read opens its /proc file afresh, so a read can fail with "too many
// open files" when the reader is at its descriptor limit (the harness
// raises that limit at start) or with "no such process" once the process
// has exited. Callers report such a failure; none is fatal by itself.
package procstat

import (
	"fmt"
	"time"

	"github.com/prometheus/procfs"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// Sample is a process's counters at one moment.
type Sample struct {
	CPU     time.Duration // user + system time used so far
	UserCPU time.Duration // the user part of CPU (the rest is the kernel's work for the process)
	RSS     int64         // resident set size now, bytes (VmRSS)
	PeakRSS int64         // highest resident set size so far, bytes (VmHWM)
}

// Read returns pid's counters from /proc/<pid>/stat and /proc/<pid>/status.
func Read(pid int) (Sample, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return Sample{}, fmt.Errorf("procstat: process %d: %w", pid, err)
	}
	return readProc(p)
}

// readProc reads p's counters.
func readProc(p procfs.Proc) (Sample, error) {
	var s Sample
	st, err := p.Stat()
	if err != nil {
		return s, fmt.Errorf("procstat: /proc/%d/stat: %w", p.PID, err)
	}
	s.CPU = time.Duration(st.UTime+st.STime) * (time.Second / clockTicks)
	s.UserCPU = time.Duration(st.UTime) * (time.Second / clockTicks)
	status, err := p.NewStatus()
	if err != nil {
		return s, fmt.Errorf("procstat: /proc/%d/status: %w", p.PID, err)
	}
	s.RSS, s.PeakRSS = int64(status.VmRSS), int64(status.VmHWM)
	return s, nil
}

// Descriptors returns how many descriptors pid has open and its soft
// RLIMIT_NOFILE (0 when unlimited or unknown).
func Descriptors(pid int) (open int, limit uint64, err error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0, 0, fmt.Errorf("procstat: process %d: %w", pid, err)
	}
	if open, err = p.FileDescriptorsLen(); err != nil {
		return 0, 0, fmt.Errorf("procstat: /proc/%d/fd: %w", pid, err)
	}
	l, err := p.Limits()
	if err != nil {
		return open, 0, fmt.Errorf("procstat: /proc/%d/limits: %w", pid, err)
	}
	if l.OpenFiles > 0 {
		limit = uint64(l.OpenFiles)
	}
	return open, limit, nil
}

// Proc reads one process's counters.
type Proc struct {
	p procfs.Proc
}

// Open returns a reader for pid; it fails when pid does not exist.
func Open(pid int) (*Proc, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return nil, fmt.Errorf("procstat: process %d: %w", pid, err)
	}
	return &Proc{p: p}, nil
}

// Pid returns the process id.
func (p *Proc) Pid() int { return p.p.PID }

// Read returns the process's counters now. It fails once the process has
// exited, or when /proc cannot be read.
func (p *Proc) Read() (Sample, error) { return readProc(p.p) }

// Close releases the reader (nothing is held between reads).
func (p *Proc) Close() {}
