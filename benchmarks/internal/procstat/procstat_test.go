package procstat

import (
	"os"
	"syscall"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	// A command name with spaces and a ')' must not shift the fields.
	stat := []byte("4242 (bifrost (x) http) S 1 4242 4242 0 -1 4194560 1200 0 0 0 250 75 0 0 20 0 9 0 123 456 789\n")
	got, err := ParseStat(stat)
	if err != nil {
		t.Fatal(err)
	}
	if want := 3250 * time.Millisecond; got != want { // (250+75) ticks of 10 ms
		t.Errorf("cpu = %v, want %v", got, want)
	}
	for _, bad := range []string{"", "1 (x S 1", "1 (x) S 1 2 3", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 abc 7 0"} {
		if _, err := ParseStat([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseStatus(t *testing.T) {
	status := []byte("Name:\tbifrost-http\nVmPeak:\t  900000 kB\nVmHWM:\t   30720 kB\nVmRSS:\t   20480 kB\nThreads:\t9\n")
	rss, peak := ParseStatus(status)
	if rss != 20<<20 || peak != 30<<20 {
		t.Errorf("rss %d, peak %d; want %d, %d", rss, peak, 20<<20, 30<<20)
	}
	if rss, peak := ParseStatus([]byte("Name:\tkthread\n")); rss != 0 || peak != 0 {
		t.Errorf("kernel thread: rss %d, peak %d", rss, peak)
	}
}

func TestReadSelf(t *testing.T) {
	a, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Spin until the process has used 30 ms more CPU (two clock ticks and
	// more); on a busy machine that can take longer than 30 ms of wall time.
	var b Sample
	for end := time.Now().Add(10 * time.Second); ; {
		for range 1000 {
			_ = time.Now()
		}
		if b, err = Read(os.Getpid()); err != nil {
			t.Fatal(err)
		}
		if b.CPU-a.CPU >= 30*time.Millisecond {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("cpu grew only %v over 10 s of spinning", b.CPU-a.CPU)
		}
	}
	if b.RSS <= 1<<20 || b.PeakRSS < b.RSS {
		t.Errorf("rss %d, peak %d", b.RSS, b.PeakRSS)
	}
	if _, err := Read(1 << 30); err == nil {
		t.Error("missing pid read")
	}
}

func TestProcAndGroup(t *testing.T) {
	p, err := Open(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i := 0; i < 3; i++ { // the same handles, reread
		s, err := p.Read()
		if err != nil {
			t.Fatal(err)
		}
		if s.RSS <= 0 || s.PeakRSS < s.RSS {
			t.Errorf("read %d: rss %d, peak %d", i, s.RSS, s.PeakRSS)
		}
	}
	g := OpenGroup(syscall.Getpgrp())
	defer g.Close()
	s, err := g.Read()
	if err != nil {
		t.Fatal(err)
	}
	if s.Processes < 1 || s.RSS <= 0 || s.CPU < 0 {
		t.Errorf("group sample %+v", s)
	}
	if k, err := g.ReadKnown(); err != nil || k.Processes != s.Processes {
		t.Errorf("ReadKnown: %+v, %v", k, err)
	}
	if _, err := OpenGroup(1 << 30).Read(); err == nil {
		t.Error("a group with no process read without error")
	}
}

func TestPgidOf(t *testing.T) {
	if got := pgidOf([]byte("42 (a) b) S 1 77 77 0")); got != 77 {
		t.Errorf("pgid %d, want 77", got)
	}
	if got := pgidOf([]byte("garbage")); got != -1 {
		t.Errorf("pgid %d, want -1", got)
	}
}

// TestProcReadsWithoutDescriptors is the regression test for `make bench` failing with
// "open /proc/N/stat: too many open files" at high rates: once the descriptor limit is used
// up, Read still works through the handles Open kept, where a fresh open fails.
func TestProcReadsWithoutDescriptors(t *testing.T) {
	p, err := Open(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	low := old
	low.Cur = 256
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Skipf("cannot lower the open-file limit: %v", err)
	}
	var held []*os.File
	defer func() {
		for _, f := range held {
			f.Close()
		}
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) //nolint:errcheck // best effort
	}()
	for {
		f, err := os.Open(os.DevNull)
		if err != nil {
			break // EMFILE: every descriptor is in use
		}
		held = append(held, f)
		if len(held) > 4096 {
			t.Fatal("the lowered limit did not apply")
		}
	}
	if _, err := Read(os.Getpid()); err == nil {
		t.Fatal("a fresh open succeeded with no descriptor left; the test proves nothing")
	}
	if s, err := p.Read(); err != nil || s.RSS <= 0 {
		t.Errorf("Read through kept handles with no descriptor left: %+v, %v", s, err)
	}
}
