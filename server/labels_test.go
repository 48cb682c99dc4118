package server

import (
	"bytes"
	"net"
	"regexp"
	"strconv"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

// TestJunkModelsTakeNoMetricLabel is issue 10's defect 11 through the gateway: 300 made-up
// models that the provider answers with 404, then a real model that succeeds. The real
// model gets its own model label; the made-up ones never appear in /metrics.
func TestJunkModelsTakeNoMetricLabel(t *testing.T) {
	m, err := mocks.New(mocks.Config{RequireKey: inProcessKey})
	if err != nil {
		t.Fatal(err)
	}
	mh := m.Handler()
	ln := fasthttputil.NewInmemoryListener()
	upstream := &fasthttp.Server{Logger: quietLogger{}, Handler: func(ctx *fasthttp.RequestCtx) {
		if bytes.Contains(ctx.PostBody(), []byte(`"model":"junk-`)) {
			ctx.SetStatusCode(404)
			ctx.SetContentType("application/json")
			ctx.SetBodyString(`{"error":{"message":"The model does not exist","type":"invalid_request_error","param":null,"code":"model_not_found"}}`)
			return
		}
		mh(ctx)
	}}
	go upstream.Serve(ln) //nolint:errcheck // ends when the listener closes
	cfg, err := config.Parse("labels.json", []byte(`{"providers":{"openai":{"keys":[{"name":"k","value":"`+inProcessKey+`","models":["*"],"weight":1}],
		"network_config":{"base_url":"http://mock.inmemory"}}}}`), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	engine, err := runtime.NewWithOptions(cfg, runtime.Options{Adapters: adapters.All(), Dial: func(string) (net.Conn, error) { return ln.Dial() }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		engine.Close()
		m.Close() //nolint:errcheck
		ln.Close()
	})
	srv := New(engine, nil)
	h := srv.Handler()
	send := func(model string) int {
		ctx := newCtx("POST", "/v1/chat/completions", []byte(`{"model":"openai/`+model+`","messages":[{"role":"user","content":"hi"}]}`))
		h(ctx)
		return ctx.Response.StatusCode()
	}
	for i := 0; i < 300; i++ {
		if code := send("junk-" + strconv.Itoa(i)); code != 404 {
			t.Fatalf("junk model: status %d, want 404", code)
		}
	}
	if code := send("gpt-4o-mini"); code != 200 {
		t.Fatalf("real model: status %d, want 200", code)
	}
	ctx := newCtx("GET", "/metrics", nil)
	h(ctx)
	labels := map[string]bool{}
	for _, l := range regexp.MustCompile(`model="([^"]*)"`).FindAllSubmatch(ctx.Response.Body(), -1) {
		labels[string(l[1])] = true
	}
	if !labels["gpt-4o-mini"] {
		t.Errorf("the real model has no label of its own; model labels: %v", labels)
	}
	for l := range labels {
		if l != "gpt-4o-mini" && l != "other" {
			t.Errorf("model label %q: want only gpt-4o-mini and other", l)
		}
	}
	if !bytes.Contains(ctx.Response.Body(), []byte(`bifrost_requests_total{endpoint="chat",model="other",provider="openai",status="4xx",transport="http"} 300`)) {
		t.Error(`/metrics does not count the 300 refused requests under model="other"`)
	}
}
