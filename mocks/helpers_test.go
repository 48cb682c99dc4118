package mocks

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// chatBody is a typical small chat completion request.
const chatBody = `{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are terse.\nAnswer briefly."},{"role":"user","content":"Say hello to the benchmark."}],"temperature":0.2,"max_tokens":256}`

// newChatCtx returns a request context holding a chat completion request
// with body, and a bearer key unless key is empty.
func newChatCtx(body, key string) *fasthttp.RequestCtx {
	return newCtx(fasthttp.MethodPost, "/v1/chat/completions", body, key)
}

// newCtx returns a request context for one request.
func newCtx(method, path, body, key string) *fasthttp.RequestCtx {
	var req fasthttp.Request
	req.Header.SetMethod(method)
	req.SetRequestURI(path)
	req.Header.SetContentType("application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.SetBodyString(body)
	ctx := &fasthttp.RequestCtx{}
	ctx.Init(&req, nil, nil)
	return ctx
}

// response is an answer captured from the handler.
type response struct {
	status      int
	contentType string
	retryAfter  string
	body        []byte
}

// call runs one request through s's handler and returns the whole answer,
// reading a streamed body to its end.
func call(t *testing.T, s *Server, method, path, body, key string) response {
	t.Helper()
	ctx := newCtx(method, path, body, key)
	s.Handler()(ctx)
	return response{
		status:      ctx.Response.StatusCode(),
		contentType: string(ctx.Response.Header.ContentType()),
		retryAfter:  string(ctx.Response.Header.Peek("Retry-After")),
		body:        append([]byte(nil), ctx.Response.Body()...),
	}
}

// newServer returns a Server for cfg or fails the test.
func newServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// decode unmarshals b into v with encoding/json or fails the test.
func decode(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

// keysOf returns the sorted member names of the JSON object b.
func keysOf(t *testing.T, b []byte) string {
	t.Helper()
	var m map[string]json.RawMessage
	decode(t, b, &m)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return strings.Join(keys, ",")
}

// openAIError is OpenAI's error body.
type openAIError struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	} `json:"error"`
}

// checkError checks that r is an OpenAI-style error with the given status
// and, when not empty, code.
func checkError(t *testing.T, r response, status int, code string) openAIError {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if r.contentType != contentTypeJSON {
		t.Errorf("content type %q, want %q", r.contentType, contentTypeJSON)
	}
	if got := keysOf(t, r.body); got != "error" {
		t.Fatalf("error body members %q, want \"error\"", got)
	}
	var e openAIError
	decode(t, r.body, &e)
	var inner struct {
		Error map[string]json.RawMessage `json:"error"`
	}
	decode(t, r.body, &inner)
	for _, k := range []string{"message", "type", "param", "code"} {
		if _, ok := inner.Error[k]; !ok {
			t.Errorf("error lacks %q: %s", k, r.body)
		}
	}
	if e.Error.Message == "" || e.Error.Type == "" {
		t.Errorf("error without message or type: %s", r.body)
	}
	if code != "" && (e.Error.Code == nil || *e.Error.Code != code) {
		t.Errorf("error code in %s, want %q", r.body, code)
	}
	return e
}

// jsonString returns s as a JSON string literal.
func jsonString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}
