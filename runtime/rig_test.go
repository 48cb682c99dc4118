package runtime_test

import (
	"bytes"
	"net"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
)

// This file holds the rig of the resilience and fault tests: mock providers on real
// 127.0.0.1 listeners that count the connections they hold, an engine built from a JSON
// config with timeouts tightened in Go (the JSON form takes whole seconds for some), and
// the leak checks run after each case.

// rigKey is the key every rig provider is configured with and every rig mock requires.
const rigKey = "sk-rig-test-0123456789abcdef"

// settle bounds the polls that wait for connections and goroutines to wind down.
const settle = 5 * time.Second

// upstream is a mock provider served on 127.0.0.1.
type upstream struct {
	m    *mocks.Server
	ln   *countingListener
	addr string // host:port
	once sync.Once
}

// serveMock starts a mock with cfg on a fresh 127.0.0.1 port. An empty RequireKey means
// rigKey; "-" means any key.
func serveMock(t *testing.T, cfg mocks.Config) *upstream {
	t.Helper()
	switch cfg.RequireKey {
	case "":
		cfg.RequireKey = rigKey
	case "-":
		cfg.RequireKey = ""
	}
	m, err := mocks.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &upstream{m: m, ln: &countingListener{Listener: ln}, addr: ln.Addr().String()}
	go m.Serve(u.ln) //nolint:errcheck // ends with Close
	t.Cleanup(u.close)
	return u
}

// close stops the mock and its listener; it may be called more than once.
func (u *upstream) close() {
	u.once.Do(func() {
		u.m.Close() //nolint:errcheck // a test that cares checks open connections first
		u.ln.Close()
	})
}

// requests returns how many requests reached the mock.
func (u *upstream) requests() uint64 { return u.m.Stats().Total }

// refusedAddr returns a 127.0.0.1 address where nothing listens: connecting is refused.
func refusedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// countingListener counts the connections it accepted that are not closed yet.
type countingListener struct {
	net.Listener
	open atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.open.Add(1)
	return &countedConn{Conn: c, l: l}, nil
}

// countedConn is an accepted connection; its first Close uncounts it.
type countedConn struct {
	net.Conn
	l    *countingListener
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}

// NetConn returns the TCP connection, so that the mock can reset it.
func (c *countedConn) NetConn() net.Conn { return c.Conn }

// rigProvider returns a provider block for a mock at addr with rigKey, retries and fast
// backoff, its breaker off, and extra (a JSON fragment starting with a comma) in
// network_config.
func rigProvider(addr string, retries int, extra string) string {
	return `{"keys":[{"name":"k","value":"` + rigKey + `","models":["*"],"weight":1}],
		"circuit_breaker":{"enabled":false},
		"network_config":{"base_url":"http://` + addr + `","max_retries":` + strconv.Itoa(retries) +
		`,"retry_backoff_initial":10,"retry_backoff_max":20` + extra + `}}`
}

// timeouts are the durations a test sets in Go, below what the JSON form allows. Zero
// fields keep the config's value.
type timeouts struct {
	total, header, connect, idle time.Duration
}

// newEngine builds an engine from cfgJSON, applies to for every provider, and closes the
// engine at the end of the test.
func newEngine(t *testing.T, cfgJSON string, to timeouts, opts runtime.Options) *runtime.Engine {
	t.Helper()
	cfg, err := config.Parse("rig.json", []byte(cfgJSON), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range cfg.Providers {
		n := &p.Network
		if to.total > 0 {
			n.DefaultRequestTimeout = to.total
		}
		if to.header > 0 {
			n.ResponseHeaderTimeout = to.header
		}
		if to.connect > 0 {
			n.ConnectTimeout = to.connect
		}
		if to.idle > 0 {
			n.StreamIdleTimeout = to.idle
		}
	}
	if opts.Adapters == nil {
		opts.Adapters = adapters.All()
	}
	e, err := runtime.NewWithOptions(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

// rigChat runs one chat completion with body and returns the call (to be released) and
// its error.
func rigChat(t *testing.T, e *runtime.Engine, body string, gone func() bool) (*runtime.Call, *runtime.Error) {
	t.Helper()
	c := e.AcquireCall()
	c.Gone = gone
	if err := decodeChat(c, body); err != nil {
		t.Fatal(err)
	}
	return c, e.ChatCompletion(c)
}

// chatBody is a chat request for model with the given fallbacks, streamed or not.
func chatBody(model string, stream bool, fallbacks ...string) string {
	var b strings.Builder
	b.WriteString(`{"model":"` + model + `","messages":[{"role":"user","content":"hi"}]`)
	if stream {
		b.WriteString(`,"stream":true`)
	}
	if len(fallbacks) > 0 {
		b.WriteString(`,"fallbacks":["` + strings.Join(fallbacks, `","`) + `"]`)
	}
	b.WriteString("}")
	return b.String()
}

// ignoredGoroutines are long-lived goroutines that fasthttp starts for a client or process,
// not per request: they end on their own timers (up to 90 s after the last connection),
// so the leak checks leave them out.
var ignoredGoroutines = []string{
	"fasthttp.(*Client).mCleaner",
	"fasthttp.(*HostClient).connsCleaner",
	"fasthttp.(*TCPDialer).tcpAddrsClean",
	"fasthttp.updateServerDate",
	"fasthttp.(*workerPool).Start",
}

// goroutines returns the number of live goroutines that are not ignored, and their stacks.
func goroutines() (int, []string) {
	buf := make([]byte, 1<<20)
	for {
		n := goruntime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var kept []string
next:
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		for _, ig := range ignoredGoroutines {
			if bytes.Contains(g, []byte(ig)) {
				continue next
			}
		}
		kept = append(kept, string(g))
	}
	return len(kept), kept
}

// leakCheck records the goroutines before a case; call done after it.
type leakCheck struct {
	base int
}

func newLeakCheck() leakCheck {
	n, _ := goroutines()
	return leakCheck{base: n}
}

// done asserts that the case left nothing behind: no Call outstanding, no admission slot
// held, no connection open
// at any mock once the engine closed its idle connections, and, once the mocks are closed,
// no more goroutines than before the case. It waits up to settle for each to wind down.
func (lc leakCheck) done(t *testing.T, e *runtime.Engine, ups ...*upstream) {
	t.Helper()
	if n := e.OutstandingCalls(); n != 0 {
		t.Errorf("leak: %d Calls acquired and not released", n)
	}
	for _, l := range e.Load(nil) {
		if l.InFlight != 0 || l.Queued != 0 {
			t.Errorf("leak: provider %s holds %d admission slots and %d queue places", l.Name, l.InFlight, l.Queued)
		}
	}
	e.Close()
	for _, u := range ups {
		if !eventually(func() bool { return u.ln.open.Load() == 0 }) {
			t.Errorf("leak: %d connections still open at the mock on %s", u.ln.open.Load(), u.addr)
		}
		u.close()
	}
	var stacks []string
	if !eventually(func() bool {
		var n int
		n, stacks = goroutines()
		return n <= lc.base
	}) {
		t.Errorf("leak: %d goroutines, %d before the case:\n%s", len(stacks), lc.base, strings.Join(stacks, "\n\n"))
	}
}

// eventually polls cond every 5 ms for up to settle. It waits for what has no event to wait
// on and no engine timer behind it: sockets closing at the mock, goroutines ending, requests
// reaching a mock over a real connection (the way goleak waits for goroutines too).
func eventually(cond func() bool) bool {
	for deadline := time.Now().Add(settle); ; time.Sleep(5 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// readStream reads a stream until it ends, fails or max chunks arrived (0: no limit) and
// returns the chunks read and the error.
func readStream(c *runtime.Call, max int) (chunks int, err *runtime.Error) {
	for max == 0 || chunks < max {
		done, err := c.Next()
		if err != nil || done {
			return chunks, err
		}
		chunks++
	}
	return chunks, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
