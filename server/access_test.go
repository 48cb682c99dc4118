package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/plugins"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

// echoKey is a provider key that the test upstream refuses with a message that quotes it,
// in full and masked, as some providers do.
const echoKey = "sk-client-own-key-echoed-0123456789"

// gateway is a server over an engine whose one upstream is the mock provider, wrapped so
// that a request with echoKey gets a 401 quoting the key.
type gateway struct {
	srv  *Server
	mock *mocks.Server
	cfg  *config.Config
}

func newGateway(t testing.TB, cfgJSON string, mc mocks.Config, log *slog.Logger, plugins ...runtime.Plugin) *gateway {
	t.Helper()
	mc.RequireKey = inProcessKey
	m, err := mocks.New(mc)
	if err != nil {
		t.Fatal(err)
	}
	mh := m.Handler()
	ln := fasthttputil.NewInmemoryListener()
	upstream := &fasthttp.Server{Logger: quietLogger{}, Handler: func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Request.Header.Peek("Authorization")) == "Bearer "+echoKey {
			ctx.SetStatusCode(401)
			ctx.SetContentType("application/json")
			ctx.SetBodyString(`{"error":{"message":"Incorrect API key provided: ` + echoKey + ` (key ending ` + echoKey[len(echoKey)-4:] + `)","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`)
			return
		}
		mh(ctx)
	}}
	go upstream.Serve(ln) //nolint:errcheck // ends when the listener closes
	if cfgJSON == "" {
		cfgJSON = `{"providers":{"openai":{"keys":[{"name":"k","value":"` + inProcessKey + `","models":["*"],"weight":1}],
			"network_config":{"base_url":"http://mock.inmemory"}}}}`
	}
	cfg, err := config.Parse("gateway.json", []byte(cfgJSON), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	engine, err := runtime.NewWithOptions(cfg, runtime.Options{Adapters: adapters.All(), Plugins: plugins, Dial: func(string) (net.Conn, error) { return ln.Dial() }})
	if err != nil {
		t.Fatal(err)
	}
	srv := New(engine, log)
	srv.Configure(cfg.Client)
	t.Cleanup(func() {
		engine.Shutdown() //nolint:errcheck // test plugins clean up without error
		m.Close()         //nolint:errcheck
		ln.Close()
	})
	return &gateway{srv: srv, mock: m, cfg: cfg}
}

// do sends one request with headers ("Name: value") and returns the context.
func (g *gateway) do(method, uri, body string, headers ...string) *fasthttp.RequestCtx {
	ctx := newCtx(method, uri, []byte(body))
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ": ")
		ctx.Request.Header.Set(name, value)
	}
	g.srv.Handler()(ctx)
	ctx.Response.Body() // runs a stream's writer to its end
	return ctx
}

// quietLogger drops fasthttp's messages (a closed in-memory connection at the end of a test).
type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

const (
	simpleChat   = `{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"the secret prompt text"}]}`
	simpleStream = `{"model":"openai/gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"the secret prompt text"}]}`
)

// openAIError decodes an OpenAI error body; it fails the test when the body has another shape.
func openAIError(t *testing.T, body []byte) (typ, code, msg string) {
	t.Helper()
	var e struct {
		Error *struct {
			Message string  `json:"message"`
			Type    string  `json:"type"`
			Code    *string `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error == nil || e.Error.Code == nil {
		t.Fatalf("not an OpenAI error body: %s", body)
	}
	return e.Error.Type, *e.Error.Code, e.Error.Message
}

func TestGatewayAPIKeys(t *testing.T) {
	g := newGateway(t, `{"client":{"api_keys":["gw-key-one","gw-key-two-is-longer"]},
		"providers":{"openai":{"keys":[{"name":"k","value":"`+inProcessKey+`","models":["*"],"weight":1}],"network_config":{"base_url":"http://mock.inmemory"}}}}`,
		mocks.Config{}, nil)
	cases := []struct {
		name, method, path, body string
		headers                  []string
		status                   int
	}{
		{"no key", "POST", "/v1/chat/completions", simpleChat, nil, 401},
		{"bearer", "POST", "/v1/chat/completions", simpleChat, []string{"Authorization: Bearer gw-key-one"}, 200},
		{"bearer, any case", "POST", "/v1/chat/completions", simpleChat, []string{"Authorization: bearer gw-key-two-is-longer"}, 200},
		{"x-api-key", "POST", "/v1/chat/completions", simpleChat, []string{"x-api-key: gw-key-two-is-longer"}, 200},
		{"api-key (Azure SDKs)", "POST", "/openai/deployments/openai%2Fgpt-4o-mini/chat/completions?api-version=2024-10-21", simpleChat, []string{"api-key: gw-key-one"}, 200},
		{"wrong key", "POST", "/v1/chat/completions", simpleChat, []string{"Authorization: Bearer gw-key-three"}, 401},
		{"prefix of a key", "POST", "/v1/chat/completions", simpleChat, []string{"Authorization: Bearer gw-key"}, 401},
		{"key with a suffix", "POST", "/v1/chat/completions", simpleChat, []string{"x-api-key: gw-key-onex"}, 401},
		{"empty bearer", "POST", "/v1/chat/completions", simpleChat, []string{"Authorization: Bearer "}, 401},
		{"basic auth is not a key", "POST", "/v1/chat/completions", simpleChat, []string{"Authorization: Basic Z3cta2V5LW9uZQ=="}, 401},
		{"openai prefix", "POST", "/openai/v1/chat/completions", simpleChat, nil, 401},
		{"models", "GET", "/v1/models", "", nil, 401},
		{"metrics need a key", "GET", "/metrics", "", nil, 401},
		{"metrics with a key", "GET", "/metrics", "", []string{"x-api-key: gw-key-one"}, 200},
		{"unknown route does not show", "GET", "/v2/nothing", "", nil, 401},
		{"health stays open", "GET", "/health", "", nil, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := g.do(tc.method, tc.path, tc.body, tc.headers...)
			if got := ctx.Response.StatusCode(); got != tc.status {
				t.Fatalf("status %d, want %d: %s", got, tc.status, ctx.Response.Body())
			}
			if tc.status == 401 {
				typ, code, msg := openAIError(t, ctx.Response.Body())
				if typ != "invalid_request_error" || code != "invalid_api_key" || !strings.Contains(msg, "client.api_keys") {
					t.Errorf("401 body %s", ctx.Response.Body())
				}
				if len(ctx.Response.Header.Peek("WWW-Authenticate")) == 0 {
					t.Error("401 without WWW-Authenticate")
				}
			}
		})
	}

	// A reload replaces the keys.
	g.srv.Configure(config.Client{APIKeys: []string{"gw-key-new"}})
	if got := g.do("POST", "/v1/chat/completions", simpleChat, "Authorization: Bearer gw-key-one").Response.StatusCode(); got != 401 {
		t.Errorf("old key after reload: %d", got)
	}
	if got := g.do("POST", "/v1/chat/completions", simpleChat, "Authorization: Bearer gw-key-new").Response.StatusCode(); got != 200 {
		t.Errorf("new key after reload: %d", got)
	}
	g.srv.Configure(config.Client{})
	if got := g.do("POST", "/v1/chat/completions", simpleChat).Response.StatusCode(); got != 200 {
		t.Errorf("no keys configured: %d", got)
	}
}

func TestDirectKeys(t *testing.T) {
	// The configured key is wrong: only a direct key gets through to the mock.
	const wrongCfg = `{"client":{"allow_direct_keys":%s},"providers":{"openai":{"keys":[{"name":"k","value":"sk-configured-but-wrong-000","models":["*"],"weight":1}],"network_config":{"base_url":"http://mock.inmemory"}}}}`
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	off := newGateway(t, strings.Replace(wrongCfg, "%s", "false", 1), mocks.Config{Record: true}, log)
	ctx := off.do("POST", "/v1/chat/completions", simpleChat, DirectKeyHeader+": "+inProcessKey)
	if ctx.Response.StatusCode() != 403 {
		t.Fatalf("direct key while off: %d %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	if typ, code, _ := openAIError(t, ctx.Response.Body()); typ != "permission_error" || code != "direct_keys_not_allowed" {
		t.Errorf("403 body %s", ctx.Response.Body())
	}
	if n := len(off.mock.Requests()); n != 0 {
		t.Errorf("%d requests reached the provider", n)
	}

	on := newGateway(t, strings.Replace(wrongCfg, "%s", "true", 1), mocks.Config{StreamChunks: 3, Record: true}, log)
	for _, body := range []string{simpleChat, simpleStream} {
		ctx := on.do("POST", "/v1/chat/completions", body, DirectKeyHeader+": "+inProcessKey)
		if ctx.Response.StatusCode() != 200 || bytes.Contains(ctx.Response.Body(), []byte(`"error"`)) {
			t.Fatalf("with a direct key: %d %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
	if got := on.do("POST", "/v1/chat/completions", simpleChat).Response.StatusCode(); got != 401 {
		t.Errorf("without a direct key the configured (wrong) key is used: got %d, want the provider's 401", got)
	}
	for _, r := range on.mock.Requests() {
		if r.Header["Authorization"] != "Bearer "+inProcessKey && r.Header["Authorization"] != "Bearer sk-configured-but-wrong-000" {
			t.Errorf("the provider got Authorization %q", r.Header["Authorization"])
		}
	}

	// A provider that quotes the client's key: the key is in no answer, log line or metric.
	ctx = on.do("POST", "/v1/chat/completions", simpleChat, DirectKeyHeader+": "+echoKey)
	if ctx.Response.StatusCode() != 401 {
		t.Fatalf("echoing provider: %d %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	_, _, msg := openAIError(t, ctx.Response.Body())
	if !strings.Contains(msg, "[REDACTED]") || !strings.Contains(msg, "****") {
		t.Errorf("message not redacted as expected: %s", msg)
	}
	metrics := on.do("GET", "/metrics", "")
	// The masked tail is looked for where the provider wrote it ("key ending 6789"): four
	// digits alone also turn up in timings of the debug log ("1.26789ms").
	for _, leak := range []string{echoKey, "ending " + echoKey[len(echoKey)-4:], inProcessKey, "secret prompt"} {
		if bytes.Contains(ctx.Response.Body(), []byte(leak)) {
			t.Errorf("the answer holds %q: %s", leak, ctx.Response.Body())
		}
		if strings.Contains(logs.String(), leak) {
			t.Errorf("the logs hold %q", leak)
		}
		if bytes.Contains(metrics.Response.Body(), []byte(leak)) {
			t.Errorf("the metrics hold %q", leak)
		}
	}
}

func TestOpenAIPrefixAndAzurePaths(t *testing.T) {
	g := newGateway(t, `{"aliases":{"fast":"openai/gpt-4o-mini","emb":"openai/text-embedding-3-small","instruct":"openai/gpt-3.5-turbo-instruct"},
		"providers":{"openai":{"keys":[{"name":"k","value":"`+inProcessKey+`","models":["*"],"weight":1}],"network_config":{"base_url":"http://mock.inmemory"}}}}`,
		mocks.Config{Record: true}, nil)
	const (
		chat = `{"messages":[{"role":"user","content":"hi"}]}`
		text = `{"prompt":"hi"}`
		emb  = `{"input":"hi"}`
	)
	cases := []struct {
		name, method, path, body string
		status                   int
		upstreamPath, model      string // what the provider got
	}{
		{"openai prefix chat", "POST", "/openai/v1/chat/completions", `{"model":"fast","messages":[{"role":"user","content":"hi"}]}`, 200, "/v1/chat/completions", "gpt-4o-mini"},
		{"openai prefix embeddings", "POST", "/openai/v1/embeddings", `{"model":"emb","input":"hi"}`, 200, "/v1/embeddings", "text-embedding-3-small"},
		{"openai prefix models", "GET", "/openai/v1/models", "", 200, "/v1/models", ""},
		{"azure chat", "POST", "/openai/deployments/fast/chat/completions?api-version=2024-10-21", chat, 200, "/v1/chat/completions", "gpt-4o-mini"},
		{"azure deployment wins over the body", "POST", "/openai/deployments/fast/chat/completions", `{"model":"openai/other","messages":[{"role":"user","content":"hi"}]}`, 200, "/v1/chat/completions", "gpt-4o-mini"},
		{"azure escaped provider/model", "POST", "/openai/deployments/openai%2Fgpt-4o/chat/completions?api-version=2024-10-21", chat, 200, "/v1/chat/completions", "gpt-4o"},
		{"azure completions", "POST", "/openai/deployments/instruct/completions?api-version=2024-10-21", text, 200, "/v1/completions", "gpt-3.5-turbo-instruct"},
		{"azure embeddings", "POST", "/openai/deployments/emb/embeddings?api-version=2024-10-21", emb, 200, "/v1/embeddings", "text-embedding-3-small"},
		{"azure unknown deployment", "POST", "/openai/deployments/nosuch/chat/completions", chat, 400, "", ""},
		{"azure bad escape", "POST", "/openai/deployments/a%zz/chat/completions", chat, 400, "", ""},
		{"azure models is no route", "GET", "/openai/deployments/fast/models", "", 404, "", ""},
		{"azure without operation", "POST", "/openai/deployments/fast", chat, 404, "", ""},
		{"azure without deployment", "POST", "/openai/deployments//chat/completions", chat, 404, "", ""},
		{"azure GET", "GET", "/openai/deployments/fast/chat/completions", "", 405, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(g.mock.Requests())
			ctx := g.do(tc.method, tc.path, tc.body)
			if got := ctx.Response.StatusCode(); got != tc.status {
				t.Fatalf("status %d, want %d: %s", got, tc.status, ctx.Response.Body())
			}
			if tc.status != 200 {
				openAIError(t, ctx.Response.Body())
				return
			}
			reqs := g.mock.Requests()
			if len(reqs) != before+1 {
				t.Fatalf("%d requests reached the provider, want 1", len(reqs)-before)
			}
			r := reqs[len(reqs)-1]
			if r.Path != tc.upstreamPath || tc.model != "" && !bytes.Contains(r.Body, []byte(`"model":"`+tc.model+`"`)) {
				t.Errorf("the provider got %s %s", r.Path, r.Body)
			}
		})
	}
}

// logLines decodes JSON log lines.
func logLines(t *testing.T, b *syncBuffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for the stream writer's goroutine and the test's.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestAccessLog(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	g := newGateway(t, "", mocks.Config{StreamChunks: 3, FailFirst: []int{500}}, log)
	g.do("POST", "/v1/chat/completions", simpleChat)   // the injected 500
	g.do("POST", "/v1/chat/completions", simpleChat)   // 200
	g.do("POST", "/v1/chat/completions", simpleStream) // 200 stream
	g.do("GET", "/nothing", "")
	g.do("GET", "/health", "")
	lines := logLines(t, &buf)
	if len(lines) != 5 {
		t.Fatalf("%d log lines, want 5:\n%s", len(lines), buf.String())
	}
	want := []map[string]any{
		{"msg": "request", "level": "INFO", "method": "POST", "path": "/v1/chat/completions", "status": 500.0, "provider": "openai", "model": "gpt-4o-mini", "stream": false, "retries": 0.0, "error": "server_error"},
		{"msg": "request", "method": "POST", "path": "/v1/chat/completions", "status": 200.0, "provider": "openai", "model": "gpt-4o-mini", "stream": false},
		{"msg": "request", "path": "/v1/chat/completions", "status": 200.0, "provider": "openai", "stream": true},
		{"msg": "request", "method": "GET", "path": "/nothing", "status": 404.0},
		{"msg": "request", "method": "GET", "path": "/health", "status": 200.0},
	}
	for i, w := range want {
		for k, v := range w {
			if lines[i][k] != v {
				t.Errorf("line %d: %s = %v, want %v (%v)", i, k, lines[i][k], v, lines[i])
			}
		}
		if _, ok := lines[i]["duration"]; !ok {
			t.Errorf("line %d has no duration", i)
		}
	}
	for _, k := range []string{"overhead", "upstream", "fallbacks"} {
		if _, ok := lines[1][k]; !ok {
			t.Errorf("the chat line has no %s", k)
		}
	}
	if strings.Contains(buf.String(), "secret prompt") || strings.Contains(buf.String(), inProcessKey) {
		t.Errorf("the log holds the prompt or the key:\n%s", buf.String())
	}

	// Above info there is no access log.
	var quiet syncBuffer
	g = newGateway(t, "", mocks.Config{}, slog.New(slog.NewJSONHandler(&quiet, &slog.HandlerOptions{Level: slog.LevelWarn})))
	g.do("POST", "/v1/chat/completions", simpleChat)
	g.do("GET", "/health", "")
	if quiet.String() != "" {
		t.Errorf("logs at warn level:\n%s", quiet.String())
	}
}

func TestStreamTimingMetrics(t *testing.T) {
	g := newGateway(t, "", mocks.Config{StreamChunks: 4}, nil)
	ctx := g.do("POST", "/v1/chat/completions", simpleStream)
	events := bytes.Count(ctx.Response.Body(), []byte("data: ")) - 1 // without [DONE]
	if ctx.Response.StatusCode() != 200 || events < 5 {
		t.Fatalf("%d, %d events", ctx.Response.StatusCode(), events)
	}
	m := g.do("GET", "/metrics", "").Response.Body()
	for _, want := range []string{
		`bifrost_time_to_first_token_seconds_count{endpoint="chat",provider="openai"} 1`,
		`bifrost_stream_chunk_gap_seconds_count{endpoint="chat",provider="openai"} ` + strconv.Itoa(events-1),
	} {
		if !bytes.Contains(m, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestCachePluginThroughServer checks that a plugin's answer reaches the client, marked with
// X-Bifrost-Short-Circuit, without a provider call, and that plugins built from config.json's
// "plugins" list are the ones that run.
func TestCachePluginThroughServer(t *testing.T) {
	cfgJSON := `{"plugins":[{"name":"cache","config":{"ttl_seconds":60}}],
		"providers":{"openai":{"keys":[{"name":"k","value":"` + inProcessKey + `","models":["*"],"weight":1}],"network_config":{"base_url":"http://mock.inmemory"}}}}`
	cfg, err := config.Parse("cache.json", []byte(cfgJSON), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	ps, err := plugins.Build(cfg.Plugins, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := newGateway(t, cfgJSON, mocks.Config{Record: true}, nil, ps...)
	first := g.do("POST", "/v1/chat/completions", simpleChat)
	second := g.do("POST", "/openai/v1/chat/completions", simpleChat)
	if first.Response.StatusCode() != 200 || second.Response.StatusCode() != 200 {
		t.Fatalf("statuses %d %d: %s", first.Response.StatusCode(), second.Response.StatusCode(), first.Response.Body())
	}
	if h := first.Response.Header.Peek(ShortCircuitHeader); len(h) != 0 {
		t.Errorf("first answer marked %q", h)
	}
	if h := string(second.Response.Header.Peek(ShortCircuitHeader)); h != "cache" {
		t.Errorf("second answer marked %q, want cache", h)
	}
	if !bytes.Equal(first.Response.Body(), second.Response.Body()) {
		t.Errorf("cached answer differs:\n%s\n%s", first.Response.Body(), second.Response.Body())
	}
	if n := len(g.mock.Requests()); n != 1 {
		t.Errorf("%d requests reached the provider, want 1", n)
	}
}
