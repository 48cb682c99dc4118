package server

import (
	"bytes"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/valyala/fasthttp"
)

// TestStalledStreamClientFreesSlot checks issue 10's defect 5: a client that opens a stream
// and never reads it must not hold its provider's slot for good. The provider takes one
// request at a time (concurrency 1); a client with a tiny receive buffer opens a stream
// that never ends (the mock writes as fast as it can) and reads nothing. Once the socket
// buffers are full, the stream write timeout (300ms here) ends the stream, which frees the
// slot: a second request waiting for it is served, long before its 4 s deadline.
func TestStalledStreamClientFreesSlot(t *testing.T) {
	for _, route := range []struct{ path, body string }{
		{"/v1/chat/completions", `{"model":"openai/gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}`},
		{"/anthropic/v1/messages", `{"model":"openai/gpt-4o-mini","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}`},
	} {
		t.Run(route.path, func(t *testing.T) { stalledStream(t, route.path, route.body) })
	}
}

func stalledStream(t *testing.T, path, body string) {
	const cfg = `{"providers":{"openai":{"keys":[{"name":"k","value":"` + inProcessKey + `","models":["*"],"weight":1}],
		"network_config":{"base_url":"http://mock.inmemory","default_request_timeout_in_seconds":4,"max_retries":0},
		"concurrency_and_buffer_size":{"concurrency":1,"buffer_size":4}}}}`
	p := newInProcess(t, mocks.Config{Fault: mocks.FaultEndlessStream, FaultCount: 1, FaultDelay: time.Nanosecond}, cfg)
	p.srv.Configure(config.Client{StreamWriteTimeout: 300 * time.Millisecond})
	// The gateway's side of each connection gets a small send buffer too, so that a stalled
	// client fills the socket at once: with the kernel's default (autotuned to megabytes),
	// filling it took seconds on a loaded CI machine, longer than the test allows.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := serveRaw(t, p, smallSendBuffers{ln})

	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		if cerr := rc.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		}); cerr != nil {
			return cerr
		}
		return err
	}}
	stalled, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	if _, err := stalled.Write([]byte("POST " + path + " HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nanthropic-version: 2023-06-01\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body)); err != nil {
		t.Fatal(err)
	}
	if !waitFor(5*time.Second, func() bool { return p.engine.Load(nil)[0].InFlight == 1 }) {
		t.Fatal("the stream did not open")
	}

	t0 := time.Now()
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("http://" + addr + "/v1/chat/completions")
	req.Header.SetMethod("POST")
	req.Header.SetContentType("application/json")
	req.SetBodyString(`{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`)
	if err := fasthttp.DoTimeout(req, resp, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	took := time.Since(t0)
	if resp.StatusCode() != 200 || !bytes.Contains(resp.Body(), []byte(`"choices":[{`)) {
		t.Fatalf("second request: %d %s after %v, want an answer once the stalled stream lets its slot go", resp.StatusCode(), resp.Body(), took)
	}
	if took > 3*time.Second {
		t.Errorf("the second request waited %v for the slot, want about the write timeout (300ms)", took)
	}
	if !waitFor(5*time.Second, func() bool { return p.engine.Load(nil)[0].InFlight == 0 && p.engine.OutstandingCalls() == 0 }) {
		t.Errorf("still %d in flight, %d calls outstanding", p.engine.Load(nil)[0].InFlight, p.engine.OutstandingCalls())
	}
	t.Logf("a stream whose client reads nothing let its slot go; the waiting request was served after %v", took.Round(time.Millisecond))
}

// smallSendBuffers is a listener whose connections have a 4 KB socket send buffer.
type smallSendBuffers struct{ net.Listener }

// Accept returns the next connection, its send buffer set to 4 KB.
func (l smallSendBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok && err == nil {
		if err := tc.SetWriteBuffer(4096); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, err
}

// waitFor polls cond every 5 ms until it holds or d has passed.
func waitFor(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); ; time.Sleep(5 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(end) {
			return false
		}
	}
}

// TestClientGoneWhileWaiting checks, through a real socket, that a client that leaves while
// its plain request waits for the provider frees the provider at once (issue 10's weak
// spot): the provider never answers, the client hangs up once its request is at the
// provider, and the request's slot is free within a second, not at its 5 s deadline.
func TestClientGoneWhileWaiting(t *testing.T) {
	const cfg = `{"providers":{"openai":{"keys":[{"name":"k","value":"` + inProcessKey + `","models":["*"],"weight":1}],
		"network_config":{"base_url":"http://mock.inmemory","default_request_timeout_in_seconds":5,"max_retries":2}}}}`
	p := newInProcess(t, mocks.Config{Fault: mocks.FaultHang, FaultCount: 1}, cfg)
	addr := rawGateway(t, p)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`
	if _, err := c.Write([]byte("POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body)); err != nil {
		t.Fatal(err)
	}
	if !waitFor(5*time.Second, func() bool { return p.engine.Load(nil)[0].InFlight == 1 }) {
		t.Fatal("the request did not reach the provider")
	}
	c.Close() // the client gives up while the provider is working
	t0 := time.Now()
	if !waitFor(5*time.Second, func() bool { return p.engine.Load(nil)[0].InFlight == 0 && p.engine.OutstandingCalls() == 0 }) {
		t.Fatal("the upstream request is still held")
	}
	if took := time.Since(t0); took > time.Second {
		t.Errorf("the upstream request was held %v after the client left, want under a second", took)
	}
	if n := p.mock.Stats().Total; n != 1 {
		t.Errorf("%d requests reached the provider, want 1: nothing is retried for a client that left", n)
	}
}
