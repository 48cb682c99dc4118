package server

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/bifrost-gw/bifrost/server/metrics"
)

// fakeListener hands out its queue: an error or a connection per Accept, then blocks
// until closed.
type fakeListener struct {
	mu     sync.Mutex
	queue  []any // error or net.Conn
	closed chan struct{}
	once   sync.Once
}

func newFakeListener(items ...any) *fakeListener {
	return &fakeListener{queue: items, closed: make(chan struct{})}
}

func (f *fakeListener) Accept() (net.Conn, error) {
	f.mu.Lock()
	if len(f.queue) > 0 {
		it := f.queue[0]
		f.queue = f.queue[1:]
		f.mu.Unlock()
		if err, ok := it.(error); ok {
			return nil, err
		}
		return it.(net.Conn), nil
	}
	f.mu.Unlock()
	<-f.closed
	return nil, net.ErrClosed
}

func (f *fakeListener) Close() error {
	f.once.Do(func() { close(f.closed) })
	return nil
}

func (f *fakeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }

func acceptErr(errno syscall.Errno) error {
	return &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", errno)}
}

// TestListenerRetriesResourceErrors: accept errors that pass (out of file descriptors,
// buffers, memory) are retried with a backoff and counted, and the next connection is
// handed out; a closed listener and other errors end Accept.
func TestListenerRetriesResourceErrors(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM} {
		t.Run(errno.Error(), func(t *testing.T) {
			m := metrics.New(nil)
			c1, c2 := net.Pipe()
			defer c1.Close()
			defer c2.Close()
			fl := newFakeListener(acceptErr(errno), acceptErr(errno), acceptErr(errno), c1)
			l := NewListener(fl, nil, m)
			start := time.Now()
			c, err := l.Accept()
			if err != nil {
				t.Fatalf("Accept: %v, want the connection after the errors", err)
			}
			if d := time.Since(start); d < 5*time.Millisecond+10*time.Millisecond+20*time.Millisecond {
				t.Errorf("three failures took %v: want the 5, 10, 20 ms backoff", d)
			}
			if got := refusedCount(t, m, "accept_error"); got != 3 {
				t.Errorf("accept_error = %v, want 3", got)
			}
			if l.Open() != 1 {
				t.Errorf("open = %d, want 1", l.Open())
			}
			c.Close()
			c.Close() // a second Close frees nothing more
			if l.Open() != 0 {
				t.Errorf("open after Close = %d, want 0", l.Open())
			}
		})
	}
	t.Run("permanent error", func(t *testing.T) {
		bad := errors.New("listener broke")
		l := NewListener(newFakeListener(bad), nil, nil)
		if _, err := l.Accept(); !errors.Is(err, bad) {
			t.Fatalf("Accept: %v, want %v", err, bad)
		}
	})
	t.Run("close during backoff", func(t *testing.T) {
		items := make([]any, 100)
		for i := range items {
			items[i] = acceptErr(syscall.EMFILE)
		}
		m := metrics.New(nil)
		l := NewListener(newFakeListener(items...), nil, m)
		done := make(chan error, 1)
		go func() { _, err := l.Accept(); done <- err }()
		for deadline := time.Now().Add(5 * time.Second); refusedCount(t, m, "accept_error") < 3; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("Accept did not retry")
			}
		}
		l.Close() // in a backoff now, growing to 1 s
		select {
		case err := <-done:
			if !errors.Is(err, net.ErrClosed) {
				t.Errorf("Accept after Close: %v, want net.ErrClosed", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("Accept kept backing off after Close")
		}
	})
}

// TestServeSurvivesEMFILE is defect 1 in process: a fasthttp server whose listener fails
// with EMFILE keeps serving once it accepts again. Without the wrapper, Serve returns the
// error (and bifrost-http exits).
func TestServeSurvivesEMFILE(t *testing.T) {
	p := newInProcessHealth(t)
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	flaky := &flakyListener{Listener: tcp, fails: 5}
	ln := p.Listen(flaky)
	hs := p.NewHTTPServer(1 << 20)
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	defer func() {
		hs.Shutdown() //nolint:errcheck
		<-done
	}()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + tcp.Addr().String() + "/health")
	if err != nil {
		select {
		case serr := <-done:
			t.Fatalf("Serve returned %v", serr)
		default:
		}
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/health: %s", resp.Status)
	}
	if got := refusedCount(t, p.Metrics(), "accept_error"); got != 5 {
		t.Errorf("accept_error = %v, want 5", got)
	}
}

// flakyListener fails its first Accepts with EMFILE.
type flakyListener struct {
	net.Listener
	mu    sync.Mutex
	fails int
}

func (f *flakyListener) Accept() (net.Conn, error) {
	f.mu.Lock()
	if f.fails > 0 {
		f.fails--
		f.mu.Unlock()
		return nil, acceptErr(syscall.EMFILE)
	}
	f.mu.Unlock()
	return f.Listener.Accept()
}

// TestListenerCaps: connections over client.max_connections get 503, over
// client.max_connections_per_ip 429, each counted; closing one frees its place.
func TestListenerCaps(t *testing.T) {
	cases := []struct {
		name             string
		maxConns, perIP  int
		status           int
		reason, notCount string
	}{
		{"total", 2, 0, 503, "over_limit", "per_ip"},
		{"per ip", 10, 2, 429, "per_ip", "over_limit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newInProcessHealth(t)
			srv.Configure(configWithCaps(tc.maxConns, tc.perIP))
			tcp, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ln := srv.Listen(tcp)
			hs := srv.NewHTTPServer(1 << 20)
			done := make(chan error, 1)
			go func() { done <- hs.Serve(ln) }()
			defer func() {
				hs.Shutdown() //nolint:errcheck
				<-done
			}()
			addr := tcp.Addr().String()
			var held []net.Conn
			defer func() {
				for _, c := range held {
					c.Close()
				}
			}()
			for i := 0; i < 2; i++ {
				c := dialHealth(t, addr, 200)
				held = append(held, c)
			}
			waitOpen(t, ln, 2)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatalf("the connection over the cap: %v, want a %d answer", err, tc.status)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status || resp.Header.Get("Retry-After") == "" {
				t.Errorf("over the cap: %s, Retry-After %q; want %d with Retry-After", resp.Status, resp.Header.Get("Retry-After"), tc.status)
			}
			if got := refusedCount(t, srv.Metrics(), tc.reason); got != 1 {
				t.Errorf("%s = %v, want 1", tc.reason, got)
			}
			if got := refusedCount(t, srv.Metrics(), tc.notCount); got != 0 {
				t.Errorf("%s = %v, want 0", tc.notCount, got)
			}
			held[0].Close()
			held = held[1:]
			waitOpen(t, ln, 1)
			held = append(held, dialHealth(t, addr, 200))
		})
	}
}

// dialHealth opens a connection, checks GET /health answers status on it, and returns it
// open (keep-alive).
func dialHealth(t *testing.T, addr string, status int) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck
	fmt.Fprintf(c, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != status {
		t.Fatalf("/health: %s, want %d", resp.Status, status)
	}
	c.SetDeadline(time.Time{}) //nolint:errcheck
	return c
}

func waitOpen(t *testing.T, l *Listener, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); l.Open() != n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("open connections %d, want %d", l.Open(), n)
		}
	}
}

func newInProcessHealth(t *testing.T) *Server {
	return newInProcess(t, mocks.Config{}, "").srv
}

func configWithCaps(maxConns, perIP int) config.Client {
	return config.Client{MaxConnections: maxConns, MaxConnectionsPerIP: perIP}
}

// refusedCount reads bifrost_connections_refused_total{reason}.
func refusedCount(t *testing.T, m *metrics.Metrics, reason string) float64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "bifrost_connections_refused_total" {
			continue
		}
		for _, mt := range mf.GetMetric() {
			for _, lp := range mt.GetLabel() {
				if lp.GetName() == "reason" && lp.GetValue() == reason {
					return mt.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no bifrost_connections_refused_total{reason=%q}", reason)
	return 0
}

// TestListenerJoin: a joined listener shares the caps and counts of the one it joins,
// closes a connection over them without an answer, and closes a connection by its
// client's address (CloseConn).
func TestListenerJoin(t *testing.T) {
	listen := func() net.Listener {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		return ln
	}
	first := NewListener(listen(), nil, nil)
	joined := first.Join(listen())
	first.SetLimits(1, 0)
	accept := func(l *Listener) (client, server net.Conn) {
		t.Helper()
		client, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { client.Close() })
		type result struct {
			c   net.Conn
			err error
		}
		got := make(chan result, 1)
		go func() { c, err := l.Accept(); got <- result{c, err} }()
		select {
		case r := <-got:
			if r.err != nil {
				t.Fatal(r.err)
			}
			return client, r.c
		case <-time.After(2 * time.Second):
			return client, nil // still waiting: the connection was refused
		}
	}
	_, held := accept(first)
	if held == nil || joined.Open() != 1 {
		t.Fatalf("the first connection: %v, open %d", held, joined.Open())
	}
	// Over the shared cap on the joined listener: closed at once, without an answer.
	over, err := net.Dial("tcp", joined.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer over.Close()
	go joined.Accept()                                    //nolint:errcheck // refuses over, then waits until the listener closes
	over.SetReadDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck
	if n, err := over.Read(make([]byte, 64)); n != 0 || err == nil {
		t.Fatalf("over the cap: read %d bytes (%v), want the connection closed without an answer", n, err)
	}
	held.Close()
	waitOpen(t, first, 0)
	first.SetLimits(2, 0)
	joined2 := first.Join(listen())
	client, conn := accept(joined2)
	if conn == nil || first.Open() != 1 {
		t.Fatalf("after a place freed: %v, open %d", conn, first.Open())
	}
	if !joined2.CloseConn(client.LocalAddr()) || first.Open() != 0 {
		t.Fatalf("CloseConn did not close the connection of %s (open %d)", client.LocalAddr(), first.Open())
	}
	if joined2.CloseConn(client.LocalAddr()) {
		t.Fatal("CloseConn closed a connection twice")
	}
}
