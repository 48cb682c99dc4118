// Package redistest starts a private redis-server (Debian's redis-server package) for a
// test, on 127.0.0.1 at a free port, with no persistence, and stops it when the test ends.
package redistest

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// Server is a running redis-server.
type Server struct {
	// Addr is its host:port, and URL its redis:// URL.
	Addr, URL string
	cmd       *exec.Cmd
	done      chan struct{}
}

// Start starts a redis-server for t. When redis-server is not installed it skips t, or
// fails it if BIFROST_REDIS is set (as .ci/run sets it).
func Start(t testing.TB) *Server {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("BIFROST_REDIS") != "" {
			t.Fatal("BIFROST_REDIS is set and redis-server is not installed")
		}
		t.Skip("redis-server is not installed (Debian package redis-server)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	cmd := exec.Command(path, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: "127.0.0.1:" + port, URL: "redis://127.0.0.1:" + port, cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(s.done) }() //nolint:errcheck // a killed server exits with an error
	t.Cleanup(s.Kill)
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
			return s
		}
		select {
		case <-s.done:
			t.Fatal("redis-server exited at start")
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("redis-server did not accept connections within 5 s")
		}
	}
}

// Kill stops the server at once (SIGKILL) and waits for it to exit.
func (s *Server) Kill() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Kill() //nolint:errcheck // it may have exited
	<-s.done
}

// Flush deletes every key (FLUSHALL), speaking RESP directly.
func (s *Server) Flush(t testing.TB) {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck
	if _, err := c.Write([]byte("*1\r\n$8\r\nFLUSHALL\r\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "+OK\r\n" {
		t.Fatalf("FLUSHALL: %q %v", buf[:n], err)
	}
}
