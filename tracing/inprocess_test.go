package tracing_test

import (
	"net"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/bifrost-gw/bifrost/server"
	"github.com/bifrost-gw/bifrost/tracing"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

// inProcess is the gateway's handler, wrapped by tr as bifrost-http wraps it, in front of
// the engine (with tr as its observer, or none) and a mock provider in memory.
func inProcess(tb testing.TB, tr *tracing.Tracer, observe bool, tracingBlock string) fasthttp.RequestHandler {
	tb.Helper()
	m, err := mocks.New(mocks.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	ln := fasthttputil.NewInmemoryListener()
	go m.Serve(ln) //nolint:errcheck // ends when the listener closes
	cfgJSON := `{"providers":{"openai":{"keys":[{"name":"k","value":"sk-inprocess","models":["*"],"weight":1}],
		"network_config":{"base_url":"http://mock.inmemory"}}}` + tracingBlock + `}`
	cfg, err := config.Parse("inprocess.json", []byte(cfgJSON), func(string) string { return "" })
	if err != nil {
		tb.Fatal(err)
	}
	opts := runtime.Options{Adapters: adapters.All(), Dial: func(string) (net.Conn, error) { return ln.Dial() }}
	if observe {
		opts.Observer = tr
	}
	engine, err := runtime.NewWithOptions(cfg, opts)
	if err != nil {
		tb.Fatal(err)
	}
	if err := tr.Apply(cfg.Tracing); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		engine.Close()
		m.Close() //nolint:errcheck
		ln.Close()
	})
	return tr.Handler(server.New(engine, nil).Handler())
}

var chatBody = []byte(`{"model":"openai/gpt-4o-mini","messages":[` +
	`{"role":"system","content":"You are a concise assistant for an engineering team."},` +
	`{"role":"user","content":"What should we measure to know what the gateway itself adds to latency?"}],` +
	`"temperature":0.2,"max_tokens":256}`)

func newCtx(body []byte) *fasthttp.RequestCtx {
	var req fasthttp.Request
	req.Header.SetMethod("POST")
	req.SetRequestURI("/v1/chat/completions")
	req.Header.SetContentType("application/json")
	req.SetBody(body)
	ctx := new(fasthttp.RequestCtx)
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 50000}, nil)
	ctx.Request.KeepBodyBuffer = true
	ctx.Response.KeepBodyBuffer = true
	return ctx
}

// chat sends one chat request through h on a reused ctx.
func chat(tb testing.TB, h fasthttp.RequestHandler, ctx *fasthttp.RequestCtx) {
	ctx.Response.Reset()
	h(ctx)
	if ctx.Response.StatusCode() != 200 {
		tb.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
}
