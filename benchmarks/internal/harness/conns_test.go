package harness

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/benchmarks/internal/report"
)

func TestConnCounter(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	var c connCounter
	dial := c.dial(&net.Dialer{Timeout: time.Second})
	var conns []net.Conn
	for range 3 {
		conn, err := dial(context.Background(), "tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn)
	}
	conns[0].Close()
	conns[0].Close() // a second Close gives nothing back twice
	if c.open.Load() != 2 || c.peak.Load() != 3 {
		t.Errorf("open %d peak %d, want 2 and 3", c.open.Load(), c.peak.Load())
	}
	c.resetPeak()
	if c.peak.Load() != 2 {
		t.Errorf("peak after reset %d, want 2", c.peak.Load())
	}
	for _, conn := range conns[1:] {
		conn.Close()
	}
}

// TestCheckDescriptors: a target whose log or answers say it ran out of
// descriptors leaves the run with that reason; the harness's own EMFILE is
// only a note.
func TestCheckDescriptors(t *testing.T) {
	r := &run{rep: &report.Report{}, progress: newProgress(nil), cfg: Config{Log: io.Discard}, nofile: 1024}
	proc := &child{name: "peer", log: newLineLog()}
	peer := &target{name: "peer", proc: proc}
	s := &segment{errors: map[string]int{"Post \"http://x\": dial tcp: socket: too many open files": 3}}
	r.checkDescriptors(peer, s, "1000 rps, round 1/2")
	if peer.down != "" || len(r.rep.Notes) != 1 || !strings.Contains(r.rep.Notes[0], "harness ran out") {
		t.Fatalf("harness EMFILE: down %q, notes %v", peer.down, r.rep.Notes)
	}
	proc.log.add("2026/12/05 http: Accept error: accept tcp 127.0.0.1:1: accept4: too many open files; retrying in 5ms")
	r.checkDescriptors(peer, &segment{errors: map[string]int{}}, "3000 rps, round 1/2")
	if !strings.Contains(peer.down, "ran out of file descriptors during the 3000 rps") || len(r.rep.Dropped) != 1 {
		t.Errorf("peer EMFILE: down %q, dropped %v", peer.down, r.rep.Dropped)
	}
	other := &target{name: "other", proc: &child{name: "other", log: newLineLog()}}
	r.checkDescriptors(other, &segment{errors: map[string]int{"status 500: [Errno 24] Too many open files": 1}}, "x")
	if other.down == "" {
		t.Error("a peer answering EMFILE in its error body stayed in the run")
	}
}
