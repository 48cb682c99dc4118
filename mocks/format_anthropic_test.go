package mocks

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// callAnthropic sends one request the way Anthropic's clients do: x-api-key and
// anthropic-version, unless they are empty.
func callAnthropic(t *testing.T, s *Server, method, path, body, key, version string) response {
	t.Helper()
	var req fasthttp.Request
	req.Header.SetMethod(method)
	req.SetRequestURI(path)
	req.Header.SetContentType("application/json")
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	if version != "" {
		req.Header.Set("anthropic-version", version)
	}
	req.SetBodyString(body)
	ctx := &fasthttp.RequestCtx{}
	ctx.Init(&req, nil, nil)
	s.Handler()(ctx)
	return response{
		status:      ctx.Response.StatusCode(),
		contentType: string(ctx.Response.Header.ContentType()),
		retryAfter:  string(ctx.Response.Header.Peek("Retry-After")),
		body:        append([]byte(nil), ctx.Response.Body()...),
	}
}

func TestAnthropicFormat(t *testing.T) {
	const key, version = "sk-ant-test", "2023-06-01"
	s := newServer(t, Config{Format: FormatAnthropic, RequireKey: key, StreamChunks: 4, FailFirst: []int{529, 429}})
	plain := `{"model":"claude-3-5-haiku-20241022","max_tokens":64,"messages":[{"role":"user","content":"Hi"}]}`

	// FailFirst, in Anthropic's error shape.
	r := callAnthropic(t, s, "POST", "/v1/messages", plain, key, version)
	if r.status != 529 || !strings.Contains(string(r.body), `"type":"overloaded_error"`) {
		t.Fatalf("first request: %d %s, want 529 overloaded_error", r.status, r.body)
	}
	r = callAnthropic(t, s, "POST", "/v1/messages", plain, key, version)
	if r.status != 429 || r.retryAfter != "1" || !strings.Contains(string(r.body), `"type":"rate_limit_error"`) {
		t.Fatalf("second request: %d %s, want 429 rate_limit_error with Retry-After", r.status, r.body)
	}

	cases := []struct {
		name, method, path, body, key, version string
		status                                 int
		want                                   []string
	}{
		{"plain", "POST", "/v1/messages", plain, key, version, 200,
			[]string{`"type":"message"`, `"model":"claude-3-5-haiku-20241022"`, `"content":[{"type":"text","text":"Bifrost mock`, `"stop_reason":"end_turn"`, `"usage":{"input_tokens":`}},
		{"tool call", "POST", "/v1/messages", `{"model":"m","max_tokens":64,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"search","input_schema":{"type":"object"}}]}`, key, version, 200,
			[]string{`"type":"tool_use","id":"toolu_`, `"name":"search","input":{"query":"bifrost"}`, `"stop_reason":"tool_use"`}},
		{"text after a tool result", "POST", "/v1/messages", `{"model":"m","max_tokens":64,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"ok"}]}],"tools":[{"name":"search","input_schema":{"type":"object"}}]}`, key, version, 200,
			[]string{`"type":"text"`, `"stop_reason":"end_turn"`}},
		{"stream", "POST", "/v1/messages", `{"model":"m","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"x"}]}`, key, version, 200,
			[]string{"event: message_start\ndata: {\"type\":\"message_start\"", "event: ping\n", "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\"", "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"", "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"}},
		{"tool stream", "POST", "/v1/messages", `{"model":"m","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"search"}]}`, key, version, 200,
			[]string{`"content_block":{"type":"tool_use","id":"toolu_`, `"delta":{"type":"input_json_delta","partial_json":"{\"query\""}`, `"stop_reason":"tool_use"`}},
		{"models", "GET", "/v1/models", "", key, version, 200,
			[]string{`{"data":[{"type":"model","id":"claude-3-7-sonnet-20250219","display_name":"Claude 3.7 Sonnet","created_at":"2025-02-19T00:00:00Z"}`, `"has_more":false`}},
		{"wrong key", "POST", "/v1/messages", plain, "sk-other", version, 401,
			[]string{`{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`}},
		{"bearer instead of x-api-key", "POST", "/v1/messages", plain, "", version, 401, []string{`"authentication_error"`}},
		{"no anthropic-version", "POST", "/v1/messages", plain, key, "", 400, []string{`"anthropic-version: header is required"`}},
		{"no max_tokens", "POST", "/v1/messages", `{"model":"m","messages":[{"role":"user","content":"x"}]}`, key, version, 400, []string{`"max_tokens: Field required"`}},
		{"unknown path", "POST", "/v1/chat/completions", plain, key, version, 404, []string{`"not_found_error"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := callAnthropic(t, s, c.method, c.path, c.body, c.key, c.version)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.body)
			}
			for _, w := range c.want {
				if !strings.Contains(string(r.body), w) {
					t.Errorf("body lacks %q:\n%s", w, r.body)
				}
			}
			if strings.HasPrefix(r.contentType, "application/json") && !json.Valid(r.body) {
				t.Errorf("invalid JSON: %s", r.body)
			}
		})
	}
}

func TestAnthropicFaults(t *testing.T) {
	body := `{"model":"m","max_tokens":64,"messages":[{"role":"user","content":"x"}]}`
	for _, c := range []struct {
		fault FaultMode
		check func(r response) bool
	}{
		{FaultMalformedJSON, func(r response) bool { return r.status == 200 && !json.Valid(r.body) }},
		{FaultTruncatedJSON, func(r response) bool {
			return r.status == 200 && !json.Valid(r.body) && strings.HasPrefix(string(r.body), `{"id":"msg_`)
		}},
		{FaultHugeBody, func(r response) bool { return r.status == 200 && json.Valid(r.body) && len(r.body) >= 1<<20 }},
	} {
		s := newServer(t, Config{Format: FormatAnthropic, Fault: c.fault, FaultCount: 1, FaultBodySize: 1 << 20})
		if r := callAnthropic(t, s, "POST", "/v1/messages", body, "", "2023-06-01"); !c.check(r) {
			t.Errorf("%s: status %d, %d bytes: %.200s", c.fault, r.status, len(r.body), r.body)
		}
		if r := callAnthropic(t, s, "POST", "/v1/messages", body, "", "2023-06-01"); r.status != 200 || !json.Valid(r.body) {
			t.Errorf("%s: the request after FaultCount: %d %.200s", c.fault, r.status, r.body)
		}
	}
}
