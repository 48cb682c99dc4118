package server

import (
	"net"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

// inProcess is the whole gateway path in one process: the server's handler, the runtime, the
// generated OpenAI adapter and the mock provider, connected by an in-memory listener.
type inProcess struct {
	handler fasthttp.RequestHandler
	srv     *Server
	mock    *mocks.Server
	engine  *runtime.Engine
	ln      *fasthttputil.InmemoryListener
}

const inProcessKey = "sk-inprocess-test-0123456789"

// newInProcess starts a mock and a gateway wired to it in memory. onDial, if given, is told
// every address the gateway dials.
func newInProcess(tb testing.TB, mockCfg mocks.Config, cfgJSON string, onDial ...func(addr string)) *inProcess {
	tb.Helper()
	mockCfg.RequireKey = inProcessKey
	m, err := mocks.New(mockCfg)
	if err != nil {
		tb.Fatal(err)
	}
	ln := fasthttputil.NewInmemoryListener()
	go m.Serve(ln) //nolint:errcheck // ends when the listener closes
	if cfgJSON == "" {
		cfgJSON = `{"providers":{"openai":{"keys":[{"name":"k","value":"` + inProcessKey + `","models":["*"],"weight":1}],
			"network_config":{"base_url":"http://mock.inmemory"}}}}`
	}
	cfg, err := config.Parse("inprocess.json", []byte(cfgJSON), func(string) string { return "" })
	if err != nil {
		tb.Fatal(err)
	}
	engine, err := runtime.NewWithOptions(cfg, runtime.Options{Adapters: adapters.All(), Dial: func(addr string) (net.Conn, error) {
		for _, f := range onDial {
			f(addr)
		}
		return ln.Dial()
	}})
	if err != nil {
		tb.Fatal(err)
	}
	srv := New(engine, nil)
	p := &inProcess{handler: srv.Handler(), srv: srv, mock: m, engine: engine, ln: ln}
	tb.Cleanup(func() {
		engine.Close()
		m.Close() //nolint:errcheck
		ln.Close()
	})
	return p
}

// chatBody is a ~1 KB chat completion request: a system prompt and a few turns.
var chatBody = []byte(`{"model":"openai/gpt-4o-mini","messages":[` +
	`{"role":"system","content":"You are a concise assistant for an engineering team. Answer in plain English, cite the relevant section when you can, and say so when you do not know.\nKeep answers under five sentences."},` +
	`{"role":"user","content":"We run an LLM gateway in front of several providers. What should we measure to know what the gateway itself adds to latency?"},` +
	`{"role":"assistant","content":"Measure the gateway's own time per request: total time minus the time spent waiting on the provider. Report p50, p90 and p99 of that overhead, and compare against calling the provider directly under the same load."},` +
	`{"role":"user","content":"And how do we keep the comparison \"fair\" on a small machine where the load generator, the mock provider and the gateway share two cores?"}],` +
	`"temperature":0.2,"max_tokens":256,"user":"bench"}`)

// do sends one request through the handler on a reused context.
func (p *inProcess) do(ctx *fasthttp.RequestCtx) {
	ctx.Response.Reset()
	p.handler(ctx)
}

func newCtx(method, uri string, body []byte) *fasthttp.RequestCtx {
	var req fasthttp.Request
	req.Header.SetMethod(method)
	req.SetRequestURI(uri)
	req.Header.SetContentType("application/json")
	req.SetBody(body)
	ctx := new(fasthttp.RequestCtx)
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 50000}, nil)
	// A fasthttp.Server keeps each connection's body buffers (unless ReduceMemoryUsage); a bare
	// RequestCtx does not, and would measure fasthttp's global buffer pool instead.
	ctx.Request.KeepBodyBuffer = true
	ctx.Response.KeepBodyBuffer = true
	return ctx
}
