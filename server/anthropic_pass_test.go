package server

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/governance"
	"github.com/bifrost-gw/bifrost/governance/memstore"
	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

// newRecordedAnthropic starts a gateway in front of a recorder that is both Anthropic and
// OpenAI; passthrough says which path /anthropic takes.
func newRecordedAnthropic(t *testing.T, passthrough bool, rec *recorder) *inProcess {
	t.Helper()
	ln := fasthttputil.NewInmemoryListener()
	go fasthttp.Serve(ln, rec.serve) //nolint:errcheck // ends when the listener closes
	cfg, err := config.Parse("rec.json", []byte(`{"providers":{
		"anthropic":{"keys":[{"name":"k","value":"sk-ant-rec","models":["*"],"weight":1}],"network_config":{"base_url":"http://rec.inmemory"}},
		"openai":{"keys":[{"name":"o","value":"sk-rec","models":["*"],"weight":1}],"network_config":{"base_url":"http://rec.inmemory"}}},
		"aliases":{"fast":"anthropic/claude-3-5-haiku-20241022"}}`), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	engine, err := runtime.NewWithOptions(cfg, runtime.Options{Adapters: adapters.All(), Dial: func(string) (net.Conn, error) { return ln.Dial() }})
	if err != nil {
		t.Fatal(err)
	}
	srv := New(engine, nil)
	srv.SetPassthrough(passthrough)
	t.Cleanup(func() {
		engine.Close()
		ln.Close()
	})
	return &inProcess{handler: srv.Handler(), srv: srv, engine: engine, ln: ln}
}

// anthropicRecorder answers /v1/messages with Anthropic's 1 KB message (or its stream) and
// /v1/chat/completions with OpenAI's 1 KB answer.
func anthropicRecorder(t *testing.T) *recorder {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return &recorder{answers: map[string][]byte{
		"/v1/messages":         read("../adapters/anthropic/testdata/message_1kb.json"),
		"/v1/chat/completions": read("../adapters/testdata/chat_response_1kb.json"),
	}, stream: read("../adapters/anthropic/testdata/stream_50.sse")}
}

// TestAnthropicPassthroughGolden sends the same Messages requests through both paths and
// compares what Anthropic received and what the client got: on the passthrough path
// Anthropic gets the client's bytes with only the gateway's edits (want, byte for byte) and
// the client gets Anthropic's answer byte for byte; the decoding path sends the same JSON
// value and answers with values the passthrough answer holds.
func TestAnthropicPassthroughGolden(t *testing.T) {
	rec := anthropicRecorder(t)
	pass, dec := newRecordedAnthropic(t, true, rec), newRecordedAnthropic(t, false, rec)
	const msgs = `"messages":[{"role":"user","content":"Say hi"}]`
	for _, c := range []struct {
		name, body, want string
	}{
		{"prefixed", `{"model":"anthropic/claude-3-5-sonnet-20241022","max_tokens":64,` + msgs + `}`,
			`{"model":"claude-3-5-sonnet-20241022","max_tokens":64,` + msgs + `}`},
		{"bare name", `{"model":"claude-3-5-sonnet-20241022","max_tokens":64,` + msgs + `,"temperature":0.2}`,
			`{"model":"claude-3-5-sonnet-20241022","max_tokens":64,` + msgs + `,"temperature":0.2}`},
		{"alias", `{"model":"fast", "max_tokens":64,` + msgs + `}`, `{"model":"claude-3-5-haiku-20241022", "max_tokens":64,` + msgs + `}`},
		{"provider member", `{"provider":"anthropic","model":"claude-3-5-sonnet-20241022","max_tokens":64,` + msgs + `}`,
			`{"model":"claude-3-5-sonnet-20241022","max_tokens":64,` + msgs + `}`},
		{"fallbacks to anthropic", `{"model":"anthropic/claude-3-5-sonnet-20241022","max_tokens":64,` + msgs + `,"fallbacks":["anthropic/claude-3-5-haiku-20241022"]}`,
			`{"model":"claude-3-5-sonnet-20241022","max_tokens":64,` + msgs + `}`},
		{"server tool", `{"model":"anthropic/claude-sonnet-4-5","max_tokens":1024,` + msgs + `,"tools":[{"type":"web_search_20250305","name":"web_search","max_uses":3}]}`,
			`{"model":"claude-sonnet-4-5","max_tokens":1024,` + msgs + `,"tools":[{"type":"web_search_20250305","name":"web_search","max_uses":3}]}`},
		{"system, tools, thinking, cache_control", `{"model":"anthropic/claude-sonnet-4-5","max_tokens":4096,` +
			`"system":[{"type":"text","text":"Be brief.","cache_control":{"type":"ephemeral"}}],` +
			`"messages":[{"role":"user","content":[{"type":"text","text":"Weather in Paris?"}]},` +
			`{"role":"assistant","content":[{"type":"thinking","thinking":"Call the tool.","signature":"sig"},{"type":"tool_use","id":"tu_1","name":"weather","input":{"city":"Paris"}}]},` +
			`{"role":"user","content":[{"type":"tool_result","tool_use_id":"tu_1","content":"18C"}]}],` +
			`"tools":[{"name":"weather","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],` +
			`"tool_choice":{"type":"auto"},"thinking":{"type":"enabled","budget_tokens":2048},"metadata":{"user_id":"u1"},"stop_sequences":["END"],"top_k":5}`,
			`{"model":"claude-sonnet-4-5","max_tokens":4096,` +
				`"system":[{"type":"text","text":"Be brief.","cache_control":{"type":"ephemeral"}}],` +
				`"messages":[{"role":"user","content":[{"type":"text","text":"Weather in Paris?"}]},` +
				`{"role":"assistant","content":[{"type":"thinking","thinking":"Call the tool.","signature":"sig"},{"type":"tool_use","id":"tu_1","name":"weather","input":{"city":"Paris"}}]},` +
				`{"role":"user","content":[{"type":"tool_result","tool_use_id":"tu_1","content":"18C"}]}],` +
				`"tools":[{"name":"weather","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],` +
				`"tool_choice":{"type":"auto"},"thinking":{"type":"enabled","budget_tokens":2048},"metadata":{"user_id":"u1"},"stop_sequences":["END"],"top_k":5}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := pass.srv.Passed()
			ctx := newCtx("POST", "/anthropic/v1/messages", []byte(c.body))
			ctx.Request.Header.Set("anthropic-beta", betaValue)
			pass.do(ctx)
			if ctx.Response.StatusCode() != 200 {
				t.Fatalf("passthrough: status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
			}
			if pass.srv.Passed() != before+1 {
				t.Fatal("the request did not take the passthrough path")
			}
			passSent, passGot := rec.last(), append([]byte(nil), ctx.Response.Body()...)
			if string(passSent) != c.want {
				t.Errorf("provider received:\n got %s\nwant %s", passSent, c.want)
			}
			if string(passGot) != string(rec.answers["/v1/messages"]) {
				t.Errorf("client got %s\nwant the provider's answer as sent", passGot)
			}
			rec.mu.Lock()
			if rec.beta != betaValue {
				t.Errorf("anthropic-beta: Anthropic got %q, want %q", rec.beta, betaValue)
			}
			rec.mu.Unlock()
			ctx = newCtx("POST", "/anthropic/v1/messages", []byte(c.body))
			dec.do(ctx)
			if ctx.Response.StatusCode() != 200 || dec.srv.Passed() != 0 {
				t.Fatalf("decoding path: status %d, passed %d: %s", ctx.Response.StatusCode(), dec.srv.Passed(), ctx.Response.Body())
			}
			sameJSON(t, "provider received", passSent, rec.last())
			var vp, vd any
			if json.Unmarshal(passGot, &vp) != nil || json.Unmarshal(ctx.Response.Body(), &vd) != nil {
				t.Fatalf("answers are not JSON: %s / %s", passGot, ctx.Response.Body())
			}
			// The decoding path drops usage.service_tier; the passthrough path keeps it.
			delete(vp.(map[string]any)["usage"].(map[string]any), "service_tier")
			if why := covers(vp, vd); why != "" {
				t.Errorf("client got: the passthrough answer does not hold the decoding path's: %s\npassthrough %s\ndecoding    %s", why, passGot, ctx.Response.Body())
			}
		})
	}
}

// TestAnthropicPassthroughStreamGolden: a stream on the passthrough path reaches the client
// as Anthropic sent it, byte for byte (pings and block ends included); the decoding path
// sends the same request and the same events' values.
func TestAnthropicPassthroughStreamGolden(t *testing.T) {
	rec := anthropicRecorder(t)
	pass, dec := newRecordedAnthropic(t, true, rec), newRecordedAnthropic(t, false, rec)
	body := `{"model":"anthropic/claude-3-5-sonnet-20241022","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Say hi"}]}`
	ctx := newCtx("POST", "/anthropic/v1/messages", []byte(body))
	pass.do(ctx)
	if ctx.Response.StatusCode() != 200 || pass.srv.Passed() != 1 {
		t.Fatalf("status %d, passed %d: %s", ctx.Response.StatusCode(), pass.srv.Passed(), ctx.Response.Body())
	}
	passSent := rec.last()
	if want := strings.Replace(body, "anthropic/", "", 1); string(passSent) != want {
		t.Errorf("provider received:\n got %s\nwant %s", passSent, want)
	}
	passGot := append([]byte(nil), ctx.Response.Body()...)
	if !bytes.Equal(passGot, rec.stream) {
		t.Errorf("client got:\n%s\nwant Anthropic's stream as sent", passGot)
	}
	ctx = newCtx("POST", "/anthropic/v1/messages", []byte(body))
	dec.do(ctx)
	if ctx.Response.StatusCode() != 200 || dec.srv.Passed() != 0 {
		t.Fatalf("decoding path: status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	sameJSON(t, "provider received", passSent, rec.last())
	compareAnthropicStreams(t, passGot, ctx.Response.Body())
}

// anthEvent is one server-sent event: its name and data.
type anthEvent struct{ name, data string }

// anthEvents splits a stream into its events, leaving out pings.
func anthEvents(b []byte) []anthEvent {
	var out []anthEvent
	for _, block := range strings.Split(strings.TrimSpace(string(b)), "\n\n") {
		var e anthEvent
		for _, line := range strings.Split(block, "\n") {
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				e.name = v
			} else if v, ok := strings.CutPrefix(line, "data: "); ok {
				e.data = v
			}
		}
		if e.name != "ping" {
			out = append(out, e)
		}
	}
	return out
}

// compareAnthropicStreams checks that the decoding path's events are the passthrough
// path's, in order, with the same values. Where they differ by design, the passthrough path
// keeps what Anthropic sent: pings, and deltas with an empty partial_json, which the decoding
// path drops; the usage objects of message_start and message_delta are not compared (the
// decoding path gathers the usage and reports all of it in message_delta).
func compareAnthropicStreams(t *testing.T, pass, dec []byte) {
	t.Helper()
	pe, de := anthEvents(pass), anthEvents(dec)
	j := 0
	for i := range de {
		for j < len(pe) && pe[j].data != de[i].data && strings.Contains(pe[j].data, `"partial_json":""`) {
			j++
		}
		if j == len(pe) {
			t.Fatalf("event %d of the decoding path has no counterpart on the passthrough path: %s", i, de[i].data)
		}
		p := pe[j]
		j++
		if p.name != de[i].name {
			t.Fatalf("event %d: %q on the passthrough path, %q on the decoding path", i, p.name, de[i].name)
		}
		if p.data == de[i].data {
			continue
		}
		var vp, vd map[string]any
		if json.Unmarshal([]byte(p.data), &vp) != nil || json.Unmarshal([]byte(de[i].data), &vd) != nil {
			t.Fatalf("event %d: %q / %q", i, p.data, de[i].data)
		}
		for _, v := range []map[string]any{vp, vd} {
			delete(v, "usage")
			if m, ok := v["message"].(map[string]any); ok {
				delete(m, "usage")
			}
		}
		if why := covers(any(vp), any(vd)); why != "" {
			t.Errorf("event %d: %s\npassthrough %s\ndecoding    %s", i, why, p.data, de[i].data)
		}
	}
	if j != len(pe) {
		t.Errorf("the passthrough path sent %d events more than the decoding path", len(pe)-j)
	}
}

// TestAnthropicPassthroughMixedTargets: a request with a target of another format (a
// fallback to OpenAI) is decoded and translated, as before.
func TestAnthropicPassthroughMixedTargets(t *testing.T) {
	rec := anthropicRecorder(t)
	pass := newRecordedAnthropic(t, true, rec)
	body := `{"model":"anthropic/claude-3-5-sonnet-20241022","max_tokens":64,"messages":[{"role":"user","content":"Say hi"}],"fallbacks":["openai/gpt-4o-mini"]}`
	ctx := newCtx("POST", "/anthropic/v1/messages", []byte(body))
	pass.do(ctx)
	if ctx.Response.StatusCode() != 200 || pass.srv.Passed() != 0 {
		t.Fatalf("status %d, passed %d: %s", ctx.Response.StatusCode(), pass.srv.Passed(), ctx.Response.Body())
	}
	if sent := rec.last(); bytes.Contains(sent, []byte("fallbacks")) || !bytes.Contains(sent, []byte(`"model":"claude-3-5-sonnet-20241022"`)) {
		t.Errorf("provider received %s", sent)
	}
}

// flaky is a provider that answers the first fails requests with status and body, then
// with ok.
type flaky struct {
	fails, n int
	status   int
	body, ok []byte
	mu       sync.Mutex
}

func (f *flaky) serve(ctx *fasthttp.RequestCtx) {
	f.mu.Lock()
	f.n++
	n := f.n
	f.mu.Unlock()
	ctx.SetContentType("application/json")
	if n <= f.fails {
		ctx.SetStatusCode(f.status)
		ctx.SetBody(f.body)
		return
	}
	ctx.SetBody(f.ok)
}

// TestAnthropicPassthroughErrors: Anthropic's errors on the passthrough path are classified,
// retried and scrubbed as on the decoding path: a 529 is retried and the answer then passes
// through; a 400 that echoes the key reaches the client redacted, with the same body on
// both paths.
func TestAnthropicPassthroughErrors(t *testing.T) {
	okBody, err := os.ReadFile("../adapters/anthropic/testdata/message_1kb.json")
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"model":"anthropic/claude-3-5-sonnet-20241022","max_tokens":64,"messages":[{"role":"user","content":"Say hi"}]}`)
	for _, c := range []struct {
		name         string
		fails        int
		status       int
		errBody      string
		wantStatus   int
		wantAttempts int
	}{
		{"overloaded then ok", 1, 529, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`, 200, 2},
		{"bad request echoing the key", 9, 400, `{"type":"error","error":{"type":"invalid_request_error","message":"bad key sk-ant-rec in request"}}`, 400, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got [2][]byte
			for i, on := range []bool{true, false} {
				f := &flaky{fails: c.fails, status: c.status, body: []byte(c.errBody), ok: okBody}
				ln := fasthttputil.NewInmemoryListener()
				go fasthttp.Serve(ln, f.serve) //nolint:errcheck // ends when the listener closes
				t.Cleanup(func() { ln.Close() })
				p := newFlakyGateway(t, on, ln)
				ctx := newCtx("POST", "/anthropic/v1/messages", body)
				p.do(ctx)
				if ctx.Response.StatusCode() != c.wantStatus || f.n != c.wantAttempts {
					t.Fatalf("passthrough %v: status %d after %d attempts: %s", on, ctx.Response.StatusCode(), f.n, ctx.Response.Body())
				}
				if bytes.Contains(ctx.Response.Body(), []byte("sk-ant-rec")) {
					t.Errorf("passthrough %v: the key reached the client: %s", on, ctx.Response.Body())
				}
				if on && c.wantStatus == 200 && (p.srv.Passed() != 1 || !bytes.Equal(ctx.Response.Body(), okBody)) {
					t.Errorf("passed %d: %s", p.srv.Passed(), ctx.Response.Body())
				}
				got[i] = append([]byte(nil), ctx.Response.Body()...)
			}
			if c.wantStatus != 200 && !bytes.Equal(got[0], got[1]) {
				t.Errorf("the error differs between the paths:\npassthrough %s\ndecoding    %s", got[0], got[1])
			}
		})
	}
}

// newFlakyGateway starts a gateway whose Anthropic provider is served on ln.
func newFlakyGateway(t *testing.T, passthrough bool, ln *fasthttputil.InmemoryListener) *inProcess {
	t.Helper()
	cfg, err := config.Parse("flaky.json", []byte(`{"providers":{
		"anthropic":{"keys":[{"name":"k","value":"sk-ant-rec","models":["*"],"weight":1}],"network_config":{"base_url":"http://flaky.inmemory","max_retries":2,"retry_backoff_initial":1,"retry_backoff_max":2}}}}`),
		func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	engine, err := runtime.NewWithOptions(cfg, runtime.Options{Adapters: adapters.All(), Dial: func(string) (net.Conn, error) { return ln.Dial() }})
	if err != nil {
		t.Fatal(err)
	}
	srv := New(engine, nil)
	srv.SetPassthrough(passthrough)
	t.Cleanup(engine.Close)
	return &inProcess{handler: srv.Handler(), srv: srv, engine: engine, ln: ln}
}

// TestAnthropicPassthroughGoverned: with governance on, the usage that jsonscan reads in
// Anthropic's answer and stream events prices the request as the decoding path does.
func TestAnthropicPassthroughGoverned(t *testing.T) {
	cfgJSON := `{"providers":{"anthropic":{"keys":[{"name":"k","value":"` + inProcessKey + `","models":["*"],"weight":1}],
		"network_config":{"base_url":"http://mock.inmemory"}}},"governance":{"virtual_keys":[{"name":"alice","value":"` + govAlice + `","budget":{"daily_usd":10}}],
		"prices":{"anthropic/claude-3-5-haiku-20241022":{"input":1,"output":2}}}}`
	plain := []byte(`{"model":"claude-3-5-haiku-20241022","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}`)
	stream := []byte(`{"model":"claude-3-5-haiku-20241022","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	var lines [2]string
	for i, on := range []bool{true, false} {
		p := newInProcess(t, mocks.Config{Format: mocks.FormatAnthropic}, cfgJSON)
		cfg, err := config.Parse("gov.json", []byte(cfgJSON), func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		g := governance.New(memstore.New(fixedClock()))
		if err := g.Configure(cfg); err != nil {
			t.Fatal(err)
		}
		p.srv.SetGovernor(g)
		p.srv.SetPassthrough(on)
		var log bytes.Buffer
		p.srv.SetAccessLog(NewAccessLog(&log, false))
		for _, body := range [][]byte{plain, stream} {
			ctx := govRequest(p, "POST", "/anthropic/v1/messages", "x-api-key", govAlice, body)
			var out bytes.Buffer
			if err := ctx.Response.BodyWriteTo(&out); err != nil || ctx.Response.StatusCode() != 200 {
				t.Fatalf("passthrough %v: status %d, %v: %s", on, ctx.Response.StatusCode(), err, out.String())
			}
		}
		if passed := p.srv.Passed(); on && passed != 2 || !on && passed != 0 {
			t.Errorf("passthrough %v: %d of 2 passed through", on, passed)
		}
		for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
			i0 := strings.Index(line, "cost_usd=")
			if i0 < 0 || strings.HasPrefix(line[i0:], "cost_usd=0.000000000") {
				t.Errorf("passthrough %v: access line without a cost: %s", on, line)
				continue
			}
			end := strings.IndexByte(line[i0:], ' ')
			if end < 0 {
				end = len(line) - i0
			}
			lines[i] += line[i0:i0+end] + " "
		}
	}
	if lines[0] != lines[1] {
		t.Errorf("costs differ between the paths: passthrough %s, decoding %s", lines[0], lines[1])
	}
}
