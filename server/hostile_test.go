package server

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/mocks"
)

// TestHostileRequests sends malformed and adversarial bodies. Each gets a clear 4xx in
// OpenAI's error shape (or, where the body is valid, a normal answer), and the server keeps
// serving afterwards.
func TestHostileRequests(t *testing.T) {
	p := newInProcess(t, mocks.Config{Record: true}, "")
	msgs := `"messages":[{"role":"user","content":"hi"}]`
	deep := strings.Repeat("[", 200000) + strings.Repeat("]", 200000)
	var huge strings.Builder
	huge.WriteString(`{"model":"openai/gpt-4o-mini","messages":[`)
	for i := 0; i < 20000; i++ {
		if i > 0 {
			huge.WriteByte(',')
		}
		huge.WriteString(`{"role":"user","content":"x"}`)
	}
	huge.WriteString(`]}`)
	cases := []struct {
		name, body string
		status     int
	}{
		// A wrong type for every modelled field.
		{"model number", `{"model":1,` + msgs + `}`, 400},
		{"messages string", `{"model":"openai/x","messages":"hi"}`, 400},
		{"message number", `{"model":"openai/x","messages":[1]}`, 400},
		{"role number", `{"model":"openai/x","messages":[{"role":1,"content":"hi"}]}`, 400},
		{"content object", `{"model":"openai/x","messages":[{"role":"user","content":{"a":1}}]}`, 400},
		{"content part text number", `{"model":"openai/x","messages":[{"role":"user","content":[{"type":"text","text":5}]}]}`, 400},
		{"tool_calls object", `{"model":"openai/x","messages":[{"role":"assistant","tool_calls":{}}]}`, 400},
		{"temperature string", `{"model":"openai/x",` + msgs + `,"temperature":"hot"}`, 400},
		{"top_p bool", `{"model":"openai/x",` + msgs + `,"top_p":true}`, 400},
		{"max_tokens string", `{"model":"openai/x",` + msgs + `,"max_tokens":"10"}`, 400},
		{"max_tokens fraction", `{"model":"openai/x",` + msgs + `,"max_tokens":1.5}`, 400},
		{"n bool", `{"model":"openai/x",` + msgs + `,"n":true}`, 400},
		{"seed string", `{"model":"openai/x",` + msgs + `,"seed":"7"}`, 400},
		{"stream string", `{"model":"openai/x",` + msgs + `,"stream":"yes"}`, 400},
		{"stream_options array", `{"model":"openai/x",` + msgs + `,"stream_options":[]}`, 400},
		{"stop number", `{"model":"openai/x",` + msgs + `,"stop":5}`, 400},
		{"stop list of numbers", `{"model":"openai/x",` + msgs + `,"stop":[1,2]}`, 400},
		{"tools object", `{"model":"openai/x",` + msgs + `,"tools":{}}`, 400},
		{"tool_choice number", `{"model":"openai/x",` + msgs + `,"tool_choice":5}`, 400},
		{"response_format string", `{"model":"openai/x",` + msgs + `,"response_format":"json"}`, 400},
		{"parallel_tool_calls string", `{"model":"openai/x",` + msgs + `,"parallel_tool_calls":"no"}`, 400},
		{"user number", `{"model":"openai/x",` + msgs + `,"user":5}`, 400},
		{"provider number", `{"model":"x",` + msgs + `,"provider":5}`, 400},
		{"fallbacks string", `{"model":"openai/x",` + msgs + `,"fallbacks":"groq/x"}`, 400},
		{"fallbacks numbers", `{"model":"openai/x",` + msgs + `,"fallbacks":[1]}`, 400},
		// Structure.
		{"top level array", `[1,2]`, 400},
		{"top level string", `"hi"`, 400},
		{"trailing garbage", `{"model":"openai/x",` + msgs + `} {}`, 400},
		{"deeply nested unknown field", `{"model":"openai/x",` + msgs + `,"x":` + deep + `}`, 400},
		{"unterminated string", `{"model":"openai/x","messages":[{"role":"user","content":"hi`, 400},
		{"invalid escape", `{"model":"openai/x","messages":[{"role":"us\q"}]}`, 400},
		{"NUL byte", "{\"model\":\"openai/x\",\x00" + msgs + `}`, 400},
		{"invalid UTF-8 in a key", "{\"model\":\"openai/x\"," + msgs + ",\"\xff\xfe\":1}", 400},
		{"invalid UTF-8 in content", "{\"model\":\"openai/x\",\"messages\":[{\"role\":\"user\",\"content\":\"\xff\xfe\"}]}", 400},
		// Valid, if odd: answered normally.
		{"20,000 messages", huge.String(), 200},
		{"unknown fields are forwarded", `{"model":"openai/gpt-4o-mini",` + msgs + `,"metadata":{"a":[1,{"b":null}]},"store":true}`, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := newCtx("POST", "/v1/chat/completions", []byte(c.body))
			p.do(ctx)
			if got := ctx.Response.StatusCode(); got != c.status {
				t.Fatalf("status %d, want %d: %.300s", got, c.status, ctx.Response.Body())
			}
			if c.status >= 400 {
				var e struct {
					Error struct{ Message, Type string } `json:"error"`
				}
				if err := json.Unmarshal(ctx.Response.Body(), &e); err != nil || e.Error.Message == "" || e.Error.Type != "invalid_request_error" {
					t.Errorf("not an OpenAI error body: %.300s", ctx.Response.Body())
				}
			}
			// The server keeps serving.
			ok := newCtx("POST", "/v1/chat/completions", chatBody)
			p.do(ok)
			if ok.Response.StatusCode() != 200 {
				t.Fatalf("after %s the server answers %d", c.name, ok.Response.StatusCode())
			}
		})
	}
}

// TestDuplicateKeys checks that a body with a field given twice cannot make the gateway and
// the provider disagree: the gateway re-encodes the request, so the provider gets one value,
// the one the gateway routed by.
func TestDuplicateKeys(t *testing.T) {
	p := newInProcess(t, mocks.Config{Record: true}, "")
	ctx := newCtx("POST", "/v1/chat/completions", []byte(`{"model":"openai/first","model":"openai/second","messages":[{"role":"user","content":"hi"}],"max_tokens":1,"max_tokens":2}`))
	p.do(ctx)
	if ctx.Response.StatusCode() != 200 {
		t.Fatalf("%d %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	reqs := p.mock.Requests()
	body := reqs[len(reqs)-1].Body
	if bytes.Count(body, []byte(`"model"`)) != 1 || bytes.Count(body, []byte(`"max_tokens"`)) != 1 || !bytes.Contains(body, []byte(`"model":"second"`)) {
		t.Errorf("provider got %s", body)
	}
}
