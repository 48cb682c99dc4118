package procstat

import (
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/procfs"
)

// Group reads the counters of a process group: a gateway and every worker
// process it starts (LiteLLM's uvicorn workers, for one), found by their
// process group id. A process that exits keeps the CPU it was last seen
// with, so the group's CPU never goes back.
type Group struct {
	pgid  int
	mu    sync.Mutex
	procs map[int]procfs.Proc
	gone  map[int]cpuTimes // CPU of exited members when last read
	last  map[int]cpuTimes
}

// cpuTimes is a member's CPU as last read: all of it, and its user part.
type cpuTimes struct{ cpu, user time.Duration }

// OpenGroup returns a reader for the process group pgid (usually the pid
// of its leader).
func OpenGroup(pgid int) *Group {
	return &Group{pgid: pgid, procs: map[int]procfs.Proc{}, gone: map[int]cpuTimes{}, last: map[int]cpuTimes{}}
}

// GroupSample is a process group's counters at one moment.
type GroupSample struct {
	CPU       time.Duration // user + system time of every member so far (exited ones as last seen)
	UserCPU   time.Duration // the user part of CPU
	RSS       int64         // sum of the live members' VmRSS, bytes
	PeakRSS   int64         // sum of the live members' VmHWM: exact for one process, an upper bound for several
	Processes int           // live members
	LeaderUp  bool          // the group leader (pgid) is still running
	// Unread counts members that still exist but could not be read (for
	// one, out of descriptors); their CPU counts as last seen.
	Unread int
}

// add counts one member's CPU in s.
func (s *GroupSample) add(c cpuTimes) {
	s.CPU += c.cpu
	s.UserCPU += c.user
}

// Read finds the group's members (a scan of /proc) and reads each.
func (g *Group) Read() (GroupSample, error) { return g.read(true) }

// ReadKnown reads the members found by earlier Reads only: cheap enough to
// sample memory several times a second.
func (g *Group) ReadKnown() (GroupSample, error) { return g.read(false) }

func (g *Group) read(discover bool) (GroupSample, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var scanErr error
	if discover || len(g.procs) == 0 {
		scanErr = g.discover()
	}
	var s GroupSample
	for pid, p := range g.procs {
		v, err := readProc(p)
		if err != nil {
			if _, alive := procfs.NewProc(pid); alive != nil { // exited
				delete(g.procs, pid)
				g.gone[pid] = g.last[pid]
				continue
			}
			s.Unread++ // alive but unreadable: count it as last seen
			s.add(g.last[pid])
			if pid == g.pgid {
				s.LeaderUp = true
			}
			continue
		}
		g.last[pid] = cpuTimes{v.CPU, v.UserCPU}
		s.add(g.last[pid])
		s.RSS += v.RSS
		s.PeakRSS += v.PeakRSS
		s.Processes++
		if pid == g.pgid {
			s.LeaderUp = true
		}
	}
	for _, c := range g.gone {
		s.add(c)
	}
	if !s.LeaderUp && s.Processes == 0 && s.Unread == 0 {
		if scanErr != nil {
			return s, fmt.Errorf("procstat: process group %d: %w", g.pgid, scanErr)
		}
		return s, fmt.Errorf("procstat: process group %d: no process left", g.pgid)
	}
	return s, nil
}

// discover adds every process of the group not known yet. A failed scan
// of /proc leaves the members already known.
func (g *Group) discover() error {
	_, known := g.procs[g.pgid]
	if _, gone := g.gone[g.pgid]; !known && !gone {
		if p, err := procfs.NewProc(g.pgid); err == nil {
			g.procs[g.pgid] = p
		}
	}
	all, err := procfs.AllProcs()
	if err != nil {
		return fmt.Errorf("scan /proc: %w", err)
	}
	for _, p := range all {
		if _, ok := g.procs[p.PID]; ok || p.PID == g.pgid {
			continue
		}
		if _, ok := g.gone[p.PID]; ok {
			continue
		}
		st, err := p.Stat()
		if err != nil || st.PGRP != g.pgid {
			continue
		}
		g.procs[p.PID] = p
	}
	return nil
}

// Close forgets every member.
func (g *Group) Close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	clear(g.procs)
}
