package server

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

// recorder is an in-memory provider that records the last request body and answers each
// path with a fixed body.
type recorder struct {
	mu      sync.Mutex
	body    []byte
	beta    string // the last request's anthropic-beta header
	answers map[string][]byte
	stream  []byte // the answer to a request with "stream":true
}

func (r *recorder) serve(ctx *fasthttp.RequestCtx) {
	r.mu.Lock()
	r.body = append(r.body[:0], ctx.PostBody()...)
	r.beta = string(ctx.Request.Header.Peek("anthropic-beta"))
	r.mu.Unlock()
	if bytes.Contains(ctx.PostBody(), []byte(`"stream":true`)) {
		ctx.SetContentType("text/event-stream")
		ctx.SetBody(r.stream)
		return
	}
	ctx.SetContentType("application/json")
	ctx.SetBody(r.answers[string(ctx.Path())])
}

func (r *recorder) last() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]byte(nil), r.body...)
}

// newRecorded starts a gateway in front of a recorder; passthrough says which path it takes.
func newRecorded(t *testing.T, passthrough bool, rec *recorder) *inProcess {
	t.Helper()
	ln := fasthttputil.NewInmemoryListener()
	go fasthttp.Serve(ln, rec.serve) //nolint:errcheck // ends when the listener closes
	cfg, err := config.Parse("rec.json", []byte(`{"providers":{"openai":{"keys":[{"name":"k","value":"sk-rec","models":["*"],"weight":1}],
		"network_config":{"base_url":"http://rec.inmemory"}}, "groq":{"keys":[{"name":"g","value":"sk-g","models":["*"],"weight":1}],
		"network_config":{"base_url":"http://rec.inmemory"}}}}`), func(string) string { return "" })
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

// TestPassthroughGolden sends the same requests through both paths and compares what the
// provider received and what the client got: on the passthrough path the provider gets the
// client's bytes with only the gateway's edits (want, byte for byte) and the client gets the
// provider's answer byte for byte; the decoding path sends and answers the same JSON values.
func TestPassthroughGolden(t *testing.T) {
	chatAnswer, err := os.ReadFile("../adapters/testdata/chat_response_1kb.json")
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{answers: map[string][]byte{
		"/v1/chat/completions": chatAnswer,
		"/v1/completions":      []byte(`{"id":"cmpl-1","object":"text_completion","created":1,"model":"gpt-3.5-turbo-instruct","choices":[{"text":" there","index":0,"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":2,"completion_tokens":1,"total_tokens":3}}`),
		"/v1/embeddings":       []byte(`{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,-0.2,0.3]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":2,"total_tokens":2}}`),
	}}
	pass, dec := newRecorded(t, true, rec), newRecorded(t, false, rec)
	const msgs = `"messages":[{"role":"user","content":"Say hi"}]`
	for _, c := range []struct {
		name, path, body, want string
	}{
		{"chat", "/v1/chat/completions", `{"model":"openai/gpt-4o-mini",` + msgs + `}`, `{"model":"gpt-4o-mini",` + msgs + `}`},
		{"chat provider member", "/v1/chat/completions", `{"provider":"openai", "model":"gpt-4o-mini",` + msgs + `,"temperature":0.2}`,
			`{"model":"gpt-4o-mini",` + msgs + `,"temperature":0.2}`},
		{"chat fallbacks", "/v1/chat/completions", `{"model":"openai/gpt-4o-mini",` + msgs + `,"fallbacks":["groq/llama-3.1-8b-instant"]}`,
			`{"model":"gpt-4o-mini",` + msgs + `}`},
		{"chat tools and unknown members", "/v1/chat/completions",
			`{"model":"openai/gpt-4o","messages":[{"role":"user","content":[{"type":"text","text":"weather?"}]}],` +
				`"tools":[{"type":"function","function":{"name":"w","parameters":{"type":"object"}}}],"tool_choice":"auto","metadata":{"k":"v"},"store":true}`,
			`{"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"text","text":"weather?"}]}],` +
				`"tools":[{"type":"function","function":{"name":"w","parameters":{"type":"object"}}}],"tool_choice":"auto","metadata":{"k":"v"},"store":true}`},
		{"text", "/v1/completions", `{"model":"openai/gpt-3.5-turbo-instruct","prompt":"Say hi","max_tokens":5}`,
			`{"model":"gpt-3.5-turbo-instruct","prompt":"Say hi","max_tokens":5}`},
		{"embeddings", "/v1/embeddings", `{"model":"openai/text-embedding-3-small","input":["a","b"]}`,
			`{"model":"text-embedding-3-small","input":["a","b"]}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := pass.srv.Passed()
			ctx := newCtx("POST", c.path, []byte(c.body))
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
			if string(passGot) != string(rec.answers[c.path]) {
				t.Errorf("client got %s\nwant the provider's answer as sent", passGot)
			}
			ctx = newCtx("POST", c.path, []byte(c.body))
			dec.do(ctx)
			if ctx.Response.StatusCode() != 200 || dec.srv.Passed() != 0 {
				t.Fatalf("decoding path: status %d, passed %d: %s", ctx.Response.StatusCode(), dec.srv.Passed(), ctx.Response.Body())
			}
			sameJSON(t, "provider received", passSent, rec.last())
			// The decoding path re-encodes the answer and leaves out null and zero members
			// ("refusal":null, zero token details); the passthrough path loses nothing.
			var vp, vd any
			if json.Unmarshal(passGot, &vp) != nil || json.Unmarshal(ctx.Response.Body(), &vd) != nil {
				t.Fatalf("answers are not JSON: %s / %s", passGot, ctx.Response.Body())
			}
			if why := covers(vp, vd); why != "" {
				t.Errorf("client got: the passthrough answer does not hold the decoding path's: %s\npassthrough %s\ndecoding    %s", why, passGot, ctx.Response.Body())
			}
		})
	}
}

// sameJSON fails unless a and b are the same JSON value.
func sameJSON(t *testing.T, what string, a, b []byte) {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("%s: %v: %s", what, err, a)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("%s: %v: %s", what, err, b)
	}
	if !reflect.DeepEqual(va, vb) {
		t.Errorf("%s differs between the paths:\npassthrough %s\ndecoding    %s", what, a, b)
	}
}

// covers returns "" when full holds every member of part with the same value, and what full
// has beyond it is null or zero ("" otherwise: where they differ).
func covers(full, part any) string {
	switch p := part.(type) {
	case map[string]any:
		f, ok := full.(map[string]any)
		if !ok {
			return "not an object"
		}
		for k, v := range p {
			if why := covers(f[k], v); why != "" {
				return k + ": " + why
			}
		}
		for k, v := range f {
			if _, ok := p[k]; !ok && !zeroJSON(v) {
				return k + ": only in the passthrough answer, and not empty"
			}
		}
		return ""
	case []any:
		f, ok := full.([]any)
		if !ok || len(f) != len(p) {
			return "arrays differ"
		}
		for i := range p {
			if why := covers(f[i], p[i]); why != "" {
				return why
			}
		}
		return ""
	}
	if !reflect.DeepEqual(full, part) {
		return "values differ"
	}
	return ""
}

// zeroJSON reports whether v is null, 0, false, "" or an object of such.
func zeroJSON(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case float64:
		return x == 0
	case bool:
		return !x
	case string:
		return x == ""
	case map[string]any:
		for _, e := range x {
			if !zeroJSON(e) {
				return false
			}
		}
		return true
	}
	return false
}

// streamEvents is a provider's chat stream: role, content, finish, usage, [DONE].
var streamEvents = []string{
	`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`,
	`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":null}]}`,
	`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}`,
	`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}`,
}

func sse(events []string) []byte {
	var b bytes.Buffer
	for _, e := range events {
		b.WriteString("data: " + e + "\n\n")
	}
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes()
}

// TestPassthroughStreamGolden: a stream on the passthrough path reaches the client event by
// event as the provider sent it (the usage-only chunk held back when the client did not
// ask for it, as on the decoding path), and the decoding path sends the same values.
func TestPassthroughStreamGolden(t *testing.T) {
	rec := &recorder{stream: sse(streamEvents)}
	pass, dec := newRecorded(t, true, rec), newRecorded(t, false, rec)
	const msgs = `"messages":[{"role":"user","content":"Say hi"}]`
	for _, c := range []struct {
		name, body, want string
		events           []string
	}{
		{"usage asked", `{"model":"openai/gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},` + msgs + `}`,
			`{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},` + msgs + `}`, streamEvents},
		{"usage not asked", `{"model":"gpt-4o-mini","stream":true,` + msgs + `,"provider":"openai"}`,
			`{"model":"gpt-4o-mini","stream":true,` + msgs + `}`, streamEvents[:3]},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := pass.srv.Passed()
			ctx := newCtx("POST", "/v1/chat/completions", []byte(c.body))
			pass.do(ctx)
			if ctx.Response.StatusCode() != 200 || pass.srv.Passed() != before+1 {
				t.Fatalf("status %d, passed %d: %s", ctx.Response.StatusCode(), pass.srv.Passed()-before, ctx.Response.Body())
			}
			if got := rec.last(); string(got) != c.want {
				t.Errorf("provider received:\n got %s\nwant %s", got, c.want)
			}
			passGot := append([]byte(nil), ctx.Response.Body()...)
			if string(passGot) != string(sse(c.events)) {
				t.Errorf("client got:\n%s\nwant:\n%s", passGot, sse(c.events))
			}
			ctx = newCtx("POST", "/v1/chat/completions", []byte(c.body))
			dec.do(ctx)
			decGot := ctx.Response.Body()
			pe, de := strings.Split(string(passGot), "\n\n"), strings.Split(string(decGot), "\n\n")
			if len(pe) != len(de) {
				t.Fatalf("%d events on the passthrough path, %d on the decoding path:\n%s", len(pe), len(de), decGot)
			}
			for i := range pe {
				if pe[i] == de[i] {
					continue
				}
				var vp, vd any
				if json.Unmarshal([]byte(strings.TrimPrefix(pe[i], "data: ")), &vp) != nil ||
					json.Unmarshal([]byte(strings.TrimPrefix(de[i], "data: ")), &vd) != nil {
					t.Fatalf("event %d: %q / %q", i, pe[i], de[i])
				}
				if why := covers(vp, vd); why != "" {
					t.Errorf("event %d: %s\npassthrough %s\ndecoding    %s", i, why, pe[i], de[i])
				}
			}
		})
	}
}

// TestPassthroughGovernedStream: with governance on, a stream whose client did not ask for
// usage still passes through: the gateway adds stream_options.include_usage to the
// client's bytes, prices the usage chunk and holds it back from the client.
func TestPassthroughGovernedStream(t *testing.T) {
	p, _ := newGovInProcess(t, `{"virtual_keys":[{"name":"alice","value":"`+govAlice+`","budget":{"daily_usd":10}}],
		"prices":{"openai/gpt-4o-mini":{"input":1,"output":1}}}`, fixedClock())
	var log bytes.Buffer
	p.srv.SetAccessLog(NewAccessLog(&log, false))
	body := []byte(`{"model":"openai/gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	ctx := govRequest(p, "POST", "/v1/chat/completions", "x-api-key", govAlice, body)
	if ctx.Response.StatusCode() != 200 || p.srv.Passed() != 1 {
		t.Fatalf("status %d, passed %d: %s", ctx.Response.StatusCode(), p.srv.Passed(), ctx.Response.Body())
	}
	var out bytes.Buffer
	if err := ctx.Response.BodyWriteTo(&out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), `"usage":{"prompt_tokens"`) {
		t.Errorf("the usage chunk reached a client that did not ask for it:\n%s", out.String())
	}
	if !strings.Contains(log.String(), "cost_usd=0.000") || strings.Contains(log.String(), "cost_usd=0.000000000") {
		t.Errorf("access line without a cost (the provider was not asked for usage?): %s", log.String())
	}
}
