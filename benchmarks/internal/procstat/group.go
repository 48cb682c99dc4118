package procstat

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"
)

// Proc reads one process's counters through file handles it opens once and
// rereads from offset 0, so that a run at a high request rate, whose sockets
// use up the descriptor limit, can still read them (a fresh open fails with
// "too many open files" there). Close releases the handles.
type Proc struct {
	pid          int
	stat, status *os.File
	buf          []byte
}

// Open opens pid's /proc/<pid>/stat and /proc/<pid>/status.
func Open(pid int) (*Proc, error) {
	stat, err := os.Open(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, fmt.Errorf("procstat: %w", err)
	}
	status, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		stat.Close()
		return nil, fmt.Errorf("procstat: %w", err)
	}
	return &Proc{pid: pid, stat: stat, status: status, buf: make([]byte, 0, 4096)}, nil
}

// Pid returns the process id.
func (p *Proc) Pid() int { return p.pid }

// reread reads all of f from offset 0 into p.buf.
func (p *Proc) reread(f *os.File) ([]byte, error) {
	p.buf = p.buf[:0]
	var off int64
	for {
		if len(p.buf) == cap(p.buf) {
			p.buf = append(p.buf, 0)[:len(p.buf)]
		}
		n, err := f.ReadAt(p.buf[len(p.buf):cap(p.buf)], off)
		p.buf = p.buf[:len(p.buf)+n]
		off += int64(n)
		if errors.Is(err, io.EOF) || (err == nil && n == 0) {
			return p.buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// Read returns the process's counters now. It fails once the process has
// exited (ESRCH from the kept handle).
func (p *Proc) Read() (Sample, error) {
	var s Sample
	b, err := p.reread(p.stat)
	if err != nil {
		return s, fmt.Errorf("procstat: /proc/%d/stat: %w", p.pid, err)
	}
	if s.CPU, err = ParseStat(b); err != nil {
		return s, fmt.Errorf("procstat: /proc/%d/stat: %w", p.pid, err)
	}
	if b, err = p.reread(p.status); err != nil {
		return s, fmt.Errorf("procstat: /proc/%d/status: %w", p.pid, err)
	}
	s.RSS, s.PeakRSS = ParseStatus(b)
	return s, nil
}

// Close closes the handles.
func (p *Proc) Close() {
	p.stat.Close()
	p.status.Close()
}

// Group reads the counters of a process group: a gateway and every worker
// process it starts (LiteLLM's uvicorn workers, for one), found by their
// process group id. Handles are kept per process; a process that exits
// keeps the CPU it was last seen with, so the group's CPU never goes back.
type Group struct {
	pgid  int
	mu    sync.Mutex
	procs map[int]*Proc
	gone  map[int]time.Duration // CPU of exited members when last read
	last  map[int]time.Duration
}

// OpenGroup returns a reader for the process group pgid (usually the pid
// of its leader).
func OpenGroup(pgid int) *Group {
	return &Group{pgid: pgid, procs: map[int]*Proc{}, gone: map[int]time.Duration{}, last: map[int]time.Duration{}}
}

// GroupSample is a process group's counters at one moment.
type GroupSample struct {
	CPU       time.Duration // user + system time of every member so far (exited ones as last seen)
	RSS       int64         // sum of the live members' VmRSS, bytes
	PeakRSS   int64         // sum of the live members' VmHWM: exact for one process, an upper bound for several
	Processes int           // live members
	LeaderUp  bool          // the group leader (pgid) is still running
}

// Read finds the group's members (a scan of /proc, one descriptor at a
// time) and reads each.
func (g *Group) Read() (GroupSample, error) { return g.read(true) }

// ReadKnown reads the members found by earlier Reads only: cheap enough to
// sample memory several times a second.
func (g *Group) ReadKnown() (GroupSample, error) { return g.read(false) }

func (g *Group) read(discover bool) (GroupSample, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if discover || len(g.procs) == 0 {
		g.discover()
	}
	var s GroupSample
	for pid, p := range g.procs {
		v, err := p.Read()
		if err != nil { // exited
			p.Close()
			delete(g.procs, pid)
			g.gone[pid] = g.last[pid]
			continue
		}
		g.last[pid] = v.CPU
		s.CPU += v.CPU
		s.RSS += v.RSS
		s.PeakRSS += v.PeakRSS
		s.Processes++
		if pid == g.pgid {
			s.LeaderUp = true
		}
	}
	for _, c := range g.gone {
		s.CPU += c
	}
	if !s.LeaderUp && s.Processes == 0 {
		return s, fmt.Errorf("procstat: process group %d: no process left", g.pgid)
	}
	return s, nil
}

// discover opens every process of the group that is not open yet.
func (g *Group) discover() {
	if _, ok := g.procs[g.pgid]; !ok && g.last[g.pgid] == 0 {
		if p, err := Open(g.pgid); err == nil {
			g.procs[g.pgid] = p
		}
	}
	d, err := os.Open("/proc")
	if err != nil {
		return // out of descriptors: the members already open still count
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil || pid == g.pgid {
			continue
		}
		if _, ok := g.procs[pid]; ok {
			continue
		}
		if _, ok := g.gone[pid]; ok {
			continue
		}
		b, err := os.ReadFile("/proc/" + n + "/stat")
		if err != nil || pgidOf(b) != g.pgid {
			continue
		}
		if p, err := Open(pid); err == nil {
			g.procs[pid] = p
		}
	}
}

// pgidOf returns field 5 (pgrp) of a /proc/<pid>/stat, or -1.
func pgidOf(stat []byte) int {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return -1
	}
	f := bytes.Fields(stat[i+1:])
	if len(f) < 3 {
		return -1
	}
	v, err := strconv.Atoi(string(f[2])) // state, ppid, pgrp
	if err != nil {
		return -1
	}
	return v
}

// Close closes every handle.
func (g *Group) Close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for pid, p := range g.procs {
		p.Close()
		delete(g.procs, pid)
	}
}
