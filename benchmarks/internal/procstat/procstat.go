// Package procstat reads a process's CPU time and memory from /proc
// (Linux): the steadiest figures on a shared machine, since they count
// only the process's own work.
package procstat

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// Sample is a process's counters at one moment.
type Sample struct {
	CPU     time.Duration // user + system time used so far
	RSS     int64         // resident set size now, bytes (VmRSS)
	PeakRSS int64         // highest resident set size so far, bytes (VmHWM)
}

// Read returns pid's counters from /proc/<pid>/stat and /proc/<pid>/status.
func Read(pid int) (Sample, error) {
	var s Sample
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, fmt.Errorf("procstat: %w", err)
	}
	if s.CPU, err = ParseStat(stat); err != nil {
		return s, fmt.Errorf("procstat: /proc/%d/stat: %w", pid, err)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, fmt.Errorf("procstat: %w", err)
	}
	s.RSS, s.PeakRSS = ParseStatus(status)
	return s, nil
}

// ParseStat returns the user plus system CPU time in the contents of a
// /proc/<pid>/stat file (fields 14 and 15, utime and stime, in clock ticks).
func ParseStat(stat []byte) (time.Duration, error) {
	// The command name (field 2) is in parentheses and may hold spaces
	// and parentheses: count fields from after the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("no ')' after the command name")
	}
	f := strings.Fields(string(stat[i+1:]))
	// f[0] is field 3 (state), so utime (14) and stime (15) are f[11] and f[12].
	if len(f) < 13 {
		return 0, fmt.Errorf("%d fields after the command name, want at least 13", len(f))
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 63)
	st, err2 := strconv.ParseUint(f[12], 10, 63)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("utime %q or stime %q is not a number", f[11], f[12])
	}
	return time.Duration(ut+st) * (time.Second / clockTicks), nil
}

// ParseStatus returns VmRSS and VmHWM, in bytes, from the contents of a
// /proc/<pid>/status file; a missing line reads as 0.
func ParseStatus(status []byte) (rss, peak int64) {
	for line := range strings.SplitSeq(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch k {
		case "VmRSS":
			rss = kb(v)
		case "VmHWM":
			peak = kb(v)
		}
	}
	return rss, peak
}

// kb reads "   1234 kB" as bytes.
func kb(v string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
	return n << 10
}
