//go:build unix

package footprint

import (
	"bytes"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/benchmarks/internal/rawproxy"
	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/bifrost-gw/bifrost/server"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

// key is the provider key the mock requires.
const key = "sk-footprint-0123456789abcdef"

// chatBody is a ~1 KB chat completion request: a system prompt and a few turns.
var chatBody = []byte(`{"model":"openai/gpt-4o-mini","messages":[` +
	`{"role":"system","content":"You are a concise assistant for an engineering team. Answer in plain English, cite the relevant section when you can, and say so when you do not know.\nKeep answers under five sentences."},` +
	`{"role":"user","content":"We run an LLM gateway in front of several providers. What should we measure to know what the gateway itself adds to latency?"},` +
	`{"role":"assistant","content":"Measure the gateway's own time per request: total time minus the time spent waiting on the provider. Report p50, p90 and p99 of that overhead, and compare against calling the provider directly under the same load."},` +
	`{"role":"user","content":"And how do we keep the comparison fair on a small machine where the load generator, the mock provider and the gateway share two cores?"}],` +
	`"temperature":0.2,"max_tokens":256,"user":"bench"}`)

// evictBytes is written between requests in the cold mode: more than the last-level
// cache of the machines we measure on (32 MiB at most).
const evictBytes = 64 << 20

// target is one way through to the mock: a handler and the request it takes, or, for a
// served target, an HTTP client of its server (the handler's own fasthttp.Server over an
// in-memory listener), which then sends req.
type target struct {
	handler fasthttp.RequestHandler
	uri     string
	body    []byte
	auth    string

	dial fasthttp.DialFunc // to the mock
	srv  *server.Server    // the gateway's server; nil for the raw proxy

	client *fasthttp.HostClient
	req    fasthttp.Request
	resp   fasthttp.Response
}

// BenchmarkFootprint runs one ~1 KB chat completion (~1 KB answer) per iteration through
// each target, hot (back to back) and cold (64 MiB written before each request; the
// request alone is timed, reported as req-ns/op). The mock's own work is in every figure.
// The -served targets go through the whole server: a client sends the request over an
// in-memory connection to the target's fasthttp.Server (the gateway's own settings, or the
// raw proxy's), whose connection loop reads it and writes the answer; the client's work is
// in both figures alike.
func BenchmarkFootprint(b *testing.B) {
	// Mapped from the kernel, zeroed already: a buffer from Go's heap is cleared, or not,
	// depending on where the heap finds it, which would add 64 MiB of stores to some runs
	// of scripts/footprint.sh and not to others.
	evict, err := syscall.Mmap(-1, 0, evictBytes, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		b.Fatalf("mmap: %v", err)
	}
	b.Cleanup(func() { syscall.Munmap(evict) }) //nolint:errcheck
	for _, name := range []string{"bifrost-passthrough", "bifrost-decoding", "rawproxy", "bifrost-passthrough-served", "rawproxy-served"} {
		for _, mode := range []string{"hot", "cold"} {
			b.Run(name+"/"+mode, func(b *testing.B) {
				t := newTarget(b, name)
				ctx := newCtx(t)
				for range 50 {
					do(b, t, ctx)
				}
				var spent time.Duration
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if mode == "hot" {
						do(b, t, ctx)
						continue
					}
					for i := 0; i < len(evict); i += 64 {
						evict[i]++
					}
					t0 := time.Now()
					do(b, t, ctx)
					spent += time.Since(t0)
				}
				if mode == "cold" {
					b.ReportMetric(float64(spent.Nanoseconds())/float64(b.N), "req-ns/op")
				}
			})
		}
	}
}

// newTarget starts an in-memory mock and the target called name in front of it.
func newTarget(b *testing.B, name string) *target {
	b.Helper()
	m, err := mocks.New(mocks.Config{ResponseSize: "1kb", RequireKey: key})
	if err != nil {
		b.Fatal(err)
	}
	ln := fasthttputil.NewInmemoryListener()
	go m.Serve(ln) //nolint:errcheck // ends when the listener closes
	b.Cleanup(func() {
		m.Close() //nolint:errcheck
		ln.Close()
	})
	dial := func(string) (net.Conn, error) { return ln.Dial() }
	if base, ok := strings.CutSuffix(name, "-served"); ok {
		return served(b, newTarget(b, base), base)
	}
	if name == "rawproxy" {
		p, err := rawproxy.NewWithDial("http://mock.inmemory", dial)
		if err != nil {
			b.Fatal(err)
		}
		return &target{handler: p.Handle, dial: dial, uri: "http://mock.inmemory/v1/chat/completions",
			body: bytes.Replace(chatBody, []byte("openai/"), nil, 1), auth: "Bearer " + key}
	}
	cfg, err := config.Parse("footprint.json", []byte(`{"providers":{"openai":{"keys":[{"name":"k","value":"`+key+`","models":["*"],"weight":1}],
		"network_config":{"base_url":"http://mock.inmemory"}}}}`), func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	engine, err := runtime.NewWithOptions(cfg, runtime.Options{Adapters: adapters.All(), Dial: dial})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(engine.Close)
	srv := server.New(engine, nil)
	srv.SetPassthrough(name == "bifrost-passthrough")
	return &target{handler: srv.Handler(), dial: dial, srv: srv, uri: "/v1/chat/completions", body: chatBody}
}

// served starts t's server on an in-memory listener and returns t with a client of it.
func served(b *testing.B, t *target, name string) *target {
	b.Helper()
	ln := fasthttputil.NewInmemoryListener()
	b.Cleanup(func() { ln.Close() })
	if name == "rawproxy" {
		p, err := rawproxy.NewWithDial("http://mock.inmemory", t.dial)
		if err != nil {
			b.Fatal(err)
		}
		go p.Serve(ln) //nolint:errcheck // ends when the listener closes
	} else {
		go t.srv.NewHTTPServer(0).Serve(ln) //nolint:errcheck // ends when the listener closes
	}
	t.client = &fasthttp.HostClient{Addr: "target.inmemory", Dial: func(string) (net.Conn, error) { return ln.Dial() }}
	t.req.Header.SetMethod(fasthttp.MethodPost)
	t.req.SetRequestURI("http://target.inmemory/v1/chat/completions")
	t.req.Header.SetContentType("application/json")
	if t.auth != "" {
		t.req.Header.Set("Authorization", t.auth)
	}
	t.req.SetBody(t.body)
	return t
}

// newCtx returns a request context for t, reused by every request.
func newCtx(t *target) *fasthttp.RequestCtx {
	var req fasthttp.Request
	req.Header.SetMethod(fasthttp.MethodPost)
	req.SetRequestURI(t.uri)
	req.Header.SetContentType("application/json")
	if t.auth != "" {
		req.Header.Set("Authorization", t.auth)
	}
	req.SetBody(t.body)
	ctx := new(fasthttp.RequestCtx)
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 50000}, nil)
	// A fasthttp.Server keeps each connection's body buffers; a bare RequestCtx does not.
	ctx.Request.KeepBodyBuffer = true
	ctx.Response.KeepBodyBuffer = true
	return ctx
}

// do sends one request through t and fails the benchmark unless it is answered 200.
func do(b *testing.B, t *target, ctx *fasthttp.RequestCtx) {
	if t.client != nil {
		if err := t.client.Do(&t.req, &t.resp); err != nil || t.resp.StatusCode() != fasthttp.StatusOK {
			b.Fatalf("status %d, %v: %s", t.resp.StatusCode(), err, t.resp.Body())
		}
		return
	}
	ctx.Response.Reset()
	t.handler(ctx)
	if ctx.Response.StatusCode() != fasthttp.StatusOK {
		b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
}
