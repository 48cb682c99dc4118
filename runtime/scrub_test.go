package runtime_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/valyala/fasthttp"
)

// echoedKey has bytes that URL-escaping changes and a base64 encoding that differs between
// the standard and URL alphabets.
const echoedKey = "sk-echo/Key+odd=chars:0123456789~?>"

// cannedProvider is a provider on 127.0.0.1 that answers every request with the status and
// body last set.
type cannedProvider struct {
	addr   string
	mu     sync.Mutex
	status int
	ctype  string
	body   string
	hits   int
}

func newCannedProvider(t *testing.T) *cannedProvider {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cp := &cannedProvider{addr: ln.Addr().String()}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		cp.mu.Lock()
		defer cp.mu.Unlock()
		cp.hits++
		ctx.SetStatusCode(cp.status)
		ctx.SetContentType(cp.ctype)
		ctx.SetBodyString(cp.body)
	}}
	go srv.Serve(ln)                     //nolint:errcheck // ends at Shutdown
	t.Cleanup(func() { srv.Shutdown() }) //nolint:errcheck // the test is over
	return cp
}

func (cp *cannedProvider) set(status int, ctype, body string) {
	cp.mu.Lock()
	cp.status, cp.ctype, cp.body = status, ctype, body
	cp.mu.Unlock()
}

// echoForms are the forms of key a provider may echo, by name: those the mock echoes, and
// the key with every byte escaped in JSON and in percent form.
func echoForms(key string) map[string]string {
	forms := map[string]string{}
	for i, f := range mocks.EchoForms(key) {
		forms[fmt.Sprintf("mock form %d (%.12s...)", i, f)] = f
	}
	var u, pct strings.Builder
	for _, r := range key {
		fmt.Fprintf(&u, `\u%04x`, r)
		fmt.Fprintf(&pct, "%%%02X", r)
	}
	forms["JSON \\u escapes"] = u.String()
	forms["every byte percent-escaped"] = pct.String()
	return forms
}

// leak says where key, or form, shows in out, a text that went out of the engine: as it is,
// or once out's JSON and percent escapes are decoded. "" when it does not.
func leak(out, key, form string) string {
	views := map[string]string{"as it is": out}
	if s, err := url.PathUnescape(out); err == nil {
		views["percent-decoded"] = s
	}
	var js string
	if json.Unmarshal([]byte(`"`+strings.ReplaceAll(out, `"`, `\"`)+`"`), &js) == nil {
		views["JSON-unescaped"] = js
	}
	for how, v := range views {
		for _, s := range []string{key, form} {
			if i := strings.Index(v, s); i >= 0 {
				return fmt.Sprintf("%s, %q shows: ...%s...", how, s, v[max(0, i-60):min(len(v), i+len(s)+20)])
			}
		}
	}
	return ""
}

// errorText is everything of err that leaves the engine: every member, and Error().
func errorText(err *runtime.Error) string {
	return strings.Join([]string{err.Error(), err.Body.Message, err.Body.Type, string(err.Body.Param), string(err.Body.Code)}, "\n")
}

// TestProviderErrorScrubbedEverywhere puts the key, in each form a provider may echo, into
// each member of a provider's error (message, type, param, code, as a string and nested in
// an object), in OpenAI's and Anthropic's error shapes, plain and as a stream's error event,
// for a configured key and for a client's own key; no member of the engine's error may show
// the key.
func TestProviderErrorScrubbedEverywhere(t *testing.T) {
	cp := newCannedProvider(t)
	keyed := func(name string) string {
		return `"` + name + `":{"keys":[{"name":"k","value":"` + jsonEsc(echoedKey) + `","models":["*"],"weight":1}],
			"network_config":{"base_url":"http://` + cp.addr + `","max_retries":0}}`
	}
	e := newEngine(t, `{"client":{"allow_direct_keys":true},"providers":{`+keyed("openai")+`,`+keyed("anthropic")+`}}`, timeouts{}, runtime.Options{})

	type shape struct {
		provider string
		// body returns an error body with member set to value, a JSON value text.
		body   func(member, value string) string
		stream func(value string) string
	}
	shapes := []shape{
		{"openai", func(member, value string) string {
			m := map[string]string{"message": `"bad request"`, "type": `"invalid_request_error"`, "param": "null", "code": `"bad"`}
			m[member] = value
			return `{"error":{"message":` + m["message"] + `,"type":` + m["type"] + `,"param":` + m["param"] + `,"code":` + m["code"] + `}}`
		}, func(value string) string {
			return "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n" +
				`data: {"error":{"message":` + value + `,"type":` + value + `,"param":` + value + `,"code":` + value + "}}\n\n"
		}},
		{"anthropic", func(member, value string) string {
			m := map[string]string{"message": `"bad request"`, "type": `"invalid_request_error"`}
			switch member {
			case "message", "type":
				m[member] = value
			default: // Anthropic's errors have no param or code: nest the value in "details"
				return `{"type":"error","error":{"type":"invalid_request_error","message":"bad request","details":{"` + member + `":` + value + `}}}`
			}
			return `{"type":"error","error":{"type":` + m["type"] + `,"message":` + m["message"] + `}}`
		}, func(value string) string {
			return "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\",\"content\":[],\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}}\n\n" +
				"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":" + value + ",\"message\":" + value + "}}\n\n"
		}},
	}
	values := func(form string) map[string]string {
		s, _ := json.Marshal(form) // escapes <, > and & as \u003c...: a raw member keeps that
		return map[string]string{
			"string": string(s),
			"nested": `{"auth":{"header":` + string(s) + `,"list":[` + string(s) + `]}}`,
		}
	}
	for _, direct := range []bool{false, true} {
		key := echoedKey
		if direct {
			key = "sk-client-own/Key+x=y:0123456789~?>"
		}
		for _, sh := range shapes {
			for formName, form := range echoForms(key) {
				for _, member := range []string{"message", "type", "param", "code"} {
					for kind, value := range values(form) {
						name := fmt.Sprintf("direct=%v/%s/%s/%s %s", direct, sh.provider, formName, kind, member)
						cp.set(400, "application/json", sh.body(member, value))
						c := e.AcquireCall()
						if direct {
							c.DirectKey = key
						}
						if err := decodeChat(c, chatBody(sh.provider+"/m", false)); err != nil {
							t.Fatal(err)
						}
						err := e.ChatCompletion(c)
						if err == nil || err.Status != 400 {
							t.Fatalf("%s: %v, want the provider's 400", name, err)
						}
						if where := leak(errorText(err), key, form); where != "" {
							t.Errorf("%s: the key leaks: %s", name, where)
						}
						e.ReleaseCall(c)
					}
				}
				// A stream whose error event has the form in every member.
				for kind, value := range values(form) {
					name := fmt.Sprintf("direct=%v/%s/%s/stream %s", direct, sh.provider, formName, kind)
					cp.set(200, "text/event-stream", sh.stream(value))
					c := e.AcquireCall()
					if direct {
						c.DirectKey = key
					}
					if err := decodeChat(c, chatBody(sh.provider+"/m", true)); err != nil {
						t.Fatal(err)
					}
					if err := e.ChatCompletionStream(c); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					_, err := readStream(c, 0)
					if err == nil {
						t.Fatalf("%s: the stream ended without its error", name)
					}
					if where := leak(errorText(err), key, form); where != "" {
						t.Errorf("%s: the key leaks: %s", name, where)
					}
					e.ReleaseCall(c)
				}
			}
		}
	}
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if cp.hits < 2*len(shapes)*len(echoForms(echoedKey))*10 {
		t.Errorf("only %d requests reached the provider", cp.hits)
	}
	t.Logf("%d provider errors, every one scrubbed", cp.hits)
}

func jsonEsc(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// TestNetworkErrorsInPlainWords checks that a network failure with a provider is said in
// plain words, without the addresses and ports of the connection, and that the debug log
// (Options.Logger) keeps the full error.
func TestNetworkErrorsInPlainWords(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	reset := serveMock(t, mocks.Config{Fault: mocks.FaultResetMidBody})
	cut := serveMock(t, mocks.Config{Fault: mocks.FaultStreamCut, StreamChunks: 10})
	refused := refusedAddr(t)
	e := newEngine(t, `{"providers":{"openai":`+rigProvider(reset.addr, 0, "")+`,"groq":`+rigProvider(refused, 0, "")+
		`,"mistral":`+rigProvider(cut.addr, 0, "")+`}}`, timeouts{}, runtime.Options{Logger: log})
	for _, tc := range []struct {
		name, model, words string
		stream             bool
	}{
		{"reset mid-body", "openai/gpt-4o-mini", "connection reset by provider", false},
		{"connection refused", "groq/llama", "connection refused by provider", false},
		{"stream cut", "mistral/m", "connection reset by provider", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.AcquireCall()
			defer e.ReleaseCall(c)
			if err := decodeChat(c, chatBody(tc.model, tc.stream)); err != nil {
				t.Fatal(err)
			}
			var err *runtime.Error
			if tc.stream {
				if err = e.ChatCompletionStream(c); err == nil {
					_, err = readStream(c, 0)
				}
			} else {
				err = e.ChatCompletion(c)
			}
			if err == nil {
				t.Fatal("no error")
			}
			msg := errorText(err)
			for _, bad := range []string{"127.0.0.1", "tcp", "->", portOf(reset.addr), portOf(refused), portOf(cut.addr)} {
				if strings.Contains(msg, bad) {
					t.Errorf("the error shows %q: %s", bad, msg)
				}
			}
			if !strings.Contains(err.Body.Message, tc.words) {
				t.Errorf("message %q does not say %q", err.Body.Message, tc.words)
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "level=DEBUG") || !strings.Contains(logs.String(), "127.0.0.1") {
		t.Errorf("the debug log does not keep the full errors:\n%s", logs.String())
	}
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return ":" + port
}
