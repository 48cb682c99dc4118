package procstat

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReadSelf(t *testing.T) {
	a, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Spin until the process has used 30 ms more user CPU (three clock ticks); on a busy
	// machine that can take longer than 30 ms of wall time. The spin runs in user space
	// (time.Now reads the clock through the vDSO), so user time must grow.
	var b Sample
	for end := time.Now().Add(10 * time.Second); ; {
		for range 100000 {
			_ = time.Now()
		}
		if b, err = Read(os.Getpid()); err != nil {
			t.Fatal(err)
		}
		if b.UserCPU-a.UserCPU >= 30*time.Millisecond {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("user cpu grew only %v (all cpu %v) over 10 s of spinning", b.UserCPU-a.UserCPU, b.CPU-a.CPU)
		}
	}
	if b.UserCPU > b.CPU || b.CPU-a.CPU < b.UserCPU-a.UserCPU {
		t.Errorf("user cpu %v -> %v is not a part of all cpu %v -> %v", a.UserCPU, b.UserCPU, a.CPU, b.CPU)
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
	for i := 0; i < 3; i++ {
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
	if s.Processes < 1 || s.RSS <= 0 || s.CPU < 0 || s.UserCPU < 0 || s.UserCPU > s.CPU {
		t.Errorf("group sample %+v", s)
	}
	if k, err := g.ReadKnown(); err != nil || k.Processes != s.Processes {
		t.Errorf("ReadKnown: %+v, %v", k, err)
	}
	if _, err := OpenGroup(1 << 30).Read(); err == nil {
		t.Error("a group with no process read without error")
	}
}

// TestVanishedPid: a process that has exited reads as an error that names
// it, from every reader, and never as a panic or a zero sample.
func TestVanishedPid(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot run true: %v", err)
	}
	pid := cmd.Process.Pid // reaped: the pid is gone
	_, err := Read(pid)
	if err == nil || !strings.Contains(err.Error(), "process") {
		t.Errorf("Read of an exited pid: %v", err)
	}
	if _, _, err := Descriptors(pid); err == nil {
		t.Error("Descriptors of an exited pid: no error")
	}
	if _, err := OpenGroup(pid).Read(); err == nil {
		t.Error("group of an exited leader: no error")
	}
}

// TestOutOfDescriptors is the regression test for `make bench` stopping with
// "open /proc/N/stat: too many open files": with every descriptor in use a
// read fails with an error the caller can report, and a group read keeps
// its members (counted as unread) instead of losing them.
func TestOutOfDescriptors(t *testing.T) {
	// A process group of its own, led by a live child: the test's own group may have a
	// leader that has exited (a CI runner's subshell), which would prove nothing here.
	child := exec.Command("sleep", "60")
	child.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := child.Start(); err != nil {
		t.Skipf("cannot start a child: %v", err)
	}
	defer func() {
		child.Process.Kill() //nolint:errcheck // best effort
		child.Wait()         //nolint:errcheck // it was killed
	}()
	g := OpenGroup(child.Process.Pid)
	first, err := g.Read()
	if err != nil {
		t.Fatal(err)
	}
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
	_, err = Read(os.Getpid())
	if err == nil {
		t.Fatal("a read succeeded with no descriptor left; the test proves nothing")
	}
	if !errors.Is(err, syscall.EMFILE) {
		t.Errorf("error %v, want EMFILE wrapped", err)
	}
	s, err := g.ReadKnown()
	if err != nil || !s.LeaderUp || s.Unread == 0 || s.CPU < first.CPU {
		t.Errorf("group read with no descriptor left: %+v, %v", s, err)
	}
}

func TestDescriptors(t *testing.T) {
	open, limit, err := Descriptors(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if open < 3 || limit < uint64(open) {
		t.Errorf("open %d, limit %d", open, limit)
	}
}
