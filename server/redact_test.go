package server

import (
	"log/slog"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/valyala/fasthttp/fasthttputil"
)

// The keys of TestProviderEchoesKey: bytes that URL-escaping changes, and a base64 encoding
// that differs between the standard and URL alphabets.
const (
	echoConfiguredKey = "sk-echo/Key+odd=chars:0123456789~?>"
	echoDirectKey     = "sk-client-own/Key+x=y:0123456789~?>"
)

// echoGateway is a server over an engine with two providers, both mocks with
// mocks.FaultEchoKey: "openai" in OpenAI's format, "anthropic" in Anthropic's. Its logs,
// the engine's debug log included, go to logs; access lines go to access, or through the
// slog logger when access is nil.
type echoGateway struct {
	srv          *Server
	logs, access *syncBuffer
}

func newEchoGateway(t *testing.T, viaSlog bool) *echoGateway {
	t.Helper()
	listeners := map[string]*fasthttputil.InmemoryListener{}
	for host, format := range map[string]string{"openai.mock:80": mocks.FormatOpenAI, "anthropic.mock:80": mocks.FormatAnthropic} {
		// EchoStatus 400: a 401 would put the configured key into cooldown, and the next
		// case would not reach the provider.
		m, err := mocks.New(mocks.Config{Format: format, Fault: mocks.FaultEchoKey, EchoStatus: 400, RequireKey: echoConfiguredKey})
		if err != nil {
			t.Fatal(err)
		}
		ln := fasthttputil.NewInmemoryListener()
		go m.Serve(ln) //nolint:errcheck // ends when the listener closes
		listeners[host] = ln
		t.Cleanup(func() {
			m.Close() //nolint:errcheck // the test is over
			ln.Close()
		})
	}
	provider := func(name string) string {
		return `"` + name + `":{"keys":[{"name":"k","value":` + jsonString(echoConfiguredKey) + `,"models":["*"],"weight":1}],
			"network_config":{"base_url":"http://` + name + `.mock","max_retries":0}}`
	}
	cfg, err := config.Parse("echo.json", []byte(`{"client":{"allow_direct_keys":true},"providers":{`+provider("openai")+`,`+provider("anthropic")+`}}`),
		func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	g := &echoGateway{logs: &syncBuffer{}}
	log := slog.New(slog.NewJSONHandler(g.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	engine, err := runtime.NewWithOptions(cfg, runtime.Options{Adapters: adapters.All(), Logger: log, Dial: func(addr string) (net.Conn, error) {
		return listeners[addr].Dial()
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(engine.Close)
	g.srv = New(engine, log)
	g.srv.Configure(cfg.Client)
	if !viaSlog {
		g.access = &syncBuffer{}
		g.srv.SetAccessLog(NewAccessLog(g.access, false))
	}
	return g
}

// TestProviderEchoesKey runs requests on every route, plain and streamed, to providers in
// OpenAI's and Anthropic's formats that echo the request's key (mocks.FaultEchoKey) in every
// form and every member of their errors, with the configured key and with a client's own
// key (x-bf-provider-key). No form of the key may show in the response's body or headers,
// in the access line (written by the access log or through slog), or in any log line.
func TestProviderEchoesKey(t *testing.T) {
	routes := []struct{ name, path, body string }{
		{"v1 plain", "/v1/chat/completions", `{"model":"PROVIDER/MODEL","messages":[{"role":"user","content":"hi"}]}`},
		{"v1 stream", "/v1/chat/completions", `{"model":"PROVIDER/MODEL","stream":true,"messages":[{"role":"user","content":"hi"}]}`},
		{"anthropic plain", "/anthropic/v1/messages", `{"model":"PROVIDER/MODEL","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}`},
		{"anthropic stream", "/anthropic/v1/messages", `{"model":"PROVIDER/MODEL","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}`},
	}
	models := map[string]string{"openai": "gpt-4o-mini", "anthropic": "claude-3-5-haiku-20241022"}
	for _, viaSlog := range []bool{false, true} {
		g := newEchoGateway(t, viaSlog)
		for _, direct := range []bool{false, true} {
			key := echoConfiguredKey
			if direct {
				key = echoDirectKey
			}
			for _, r := range routes {
				for provider, model := range models {
					name := r.name + "/" + provider
					if direct {
						name += "/direct key"
					}
					if viaSlog {
						name += "/access line via slog"
					}
					t.Run(name, func(t *testing.T) {
						before, accessBefore := len(g.logs.String()), 0
						if g.access != nil {
							accessBefore = len(g.access.String())
						}
						ctx := newCtx("POST", "http://gateway.local"+r.path, []byte(strings.NewReplacer("PROVIDER", provider, "MODEL", model).Replace(r.body)))
						if direct {
							ctx.Request.Header.Set(DirectKeyHeader, key)
						}
						g.srv.Handler()(ctx)
						body := string(ctx.Response.Body()) // runs a stream's writer to its end
						status := ctx.Response.StatusCode()
						stream := strings.Contains(r.name, "stream")
						if stream && (status != 200 || !strings.Contains(body, "error")) || !stream && status != 400 {
							t.Fatalf("status %d, want the provider's error: %s", status, body)
						}
						logs := g.logs.String()[before:]
						if g.access != nil {
							logs += g.access.String()[accessBefore:]
						}
						if !strings.Contains(logs, `request`) || !strings.Contains(logs, r.path) {
							t.Fatalf("no access line was written:\n%s", logs)
						}
						outputs := map[string]string{"body": body, "headers": string(ctx.Response.Header.Header()), "logs": logs}
						forms := append(mocks.EchoForms(key), key[len(key)-4:])
						for where, out := range outputs {
							for _, f := range forms {
								if i := strings.Index(out, f); i >= 0 {
									t.Errorf("the %s show %q: ...%s...", where, f, out[max(0, i-80):min(len(out), i+len(f)+20)])
								}
							}
							if d, err := url.PathUnescape(out); err == nil && d != out && strings.Contains(d, key) {
								t.Errorf("the %s show the key once percent-decoded", where)
							}
						}
					})
				}
			}
		}
	}
	// The mock did echo: its error reaches the client, scrubbed.
	g := newEchoGateway(t, false)
	ctx := newCtx("POST", "http://gateway.local/v1/chat/completions", []byte(`{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`))
	g.srv.Handler()(ctx)
	if !strings.Contains(string(ctx.Response.Body()), "[REDACTED]") {
		t.Errorf("the provider's error did not come through: %s", ctx.Response.Body())
	}
}
