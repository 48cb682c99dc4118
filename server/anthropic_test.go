package server

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime/config"
)

// anthropicError reads Anthropic's error body, failing the test when it is not one.
func anthropicError(t *testing.T, body []byte) (typ, msg string) {
	t.Helper()
	var e struct {
		Type  string `json:"type"`
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Type != "error" || e.Error.Type == "" {
		t.Fatalf("not an Anthropic error body (%v): %s", err, body)
	}
	return e.Error.Type, e.Error.Message
}

// TestAnthropicErrors checks the status and Anthropic-shaped body of every kind of refusal
// on /anthropic.
func TestAnthropicErrors(t *testing.T) {
	p := newInProcess(t, mocks.Config{}, "")
	cases := []struct {
		name, method, path, body string
		status                   int
		typ, msg                 string
	}{
		{"malformed JSON", "POST", "/anthropic/v1/messages", `{"model":"openai/x","messages":[}`, 400, "invalid_request_error", "at byte offset"},
		{"empty body", "POST", "/anthropic/v1/messages", ``, 400, "invalid_request_error", "empty"},
		{"no max_tokens", "POST", "/anthropic/v1/messages", `{"model":"openai/x","messages":[{"role":"user","content":"hi"}]}`, 400, "invalid_request_error", "max_tokens"},
		{"unknown provider", "POST", "/anthropic/v1/messages", `{"model":"nope/x","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`, 400, "invalid_request_error", `provider "nope" is not configured`},
		{"bare name without an anthropic provider", "POST", "/anthropic/v1/messages", `{"model":"claude-x","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`, 400, "invalid_request_error", "names no provider"},
		{"server tool", "POST", "/anthropic/v1/messages", `{"model":"openai/x","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"bash_20250124","name":"bash"}]}`, 400, "invalid_request_error", "server tool"},
		{"GET on messages", "GET", "/anthropic/v1/messages", ``, 405, "invalid_request_error", "use POST"},
		{"count_tokens without a model", "POST", "/anthropic/v1/messages/count_tokens", `{"messages":[{"role":"user","content":"hi"}]}`, 400, "invalid_request_error", "model: Field required"},
		{"count_tokens on a provider without a counter", "POST", "/anthropic/v1/messages/count_tokens", `{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`, 400, "invalid_request_error", "provider openai does not support token counting"},
		{"count_tokens GET", "GET", "/anthropic/v1/messages/count_tokens", ``, 405, "invalid_request_error", "use POST"},
		{"file-id source elsewhere", "POST", "/anthropic/v1/messages", `{"model":"openai/x","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"file","file_id":"file_1"}}]}]}`, 400, "invalid_request_error", `source type "file" is not supported`},
		{"unknown route", "POST", "/anthropic/v1/complete", `{}`, 404, "not_found_error", "no route"},
		{"unknown model", "GET", "/anthropic/v1/models/openai/nope", ``, 404, "not_found_error", "openai/nope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := newCtx(c.method, c.path, []byte(c.body))
			p.do(ctx)
			if got := ctx.Response.StatusCode(); got != c.status {
				t.Fatalf("status %d, want %d: %s", got, c.status, ctx.Response.Body())
			}
			typ, msg := anthropicError(t, ctx.Response.Body())
			if typ != c.typ || !strings.Contains(msg, c.msg) {
				t.Errorf("error %s, want type %s and a message containing %q", ctx.Response.Body(), c.typ, c.msg)
			}
		})
	}
}

// TestAnthropicAuth checks gateway keys on /anthropic: x-api-key (as the Anthropic SDKs
// send it) or a bearer token, and Anthropic's 401 without.
func TestAnthropicAuth(t *testing.T) {
	p := newInProcess(t, mocks.Config{}, "")
	p.srv.Configure(config.Client{APIKeys: []string{"gw-key-1"}})
	body := []byte(`{"model":"openai/gpt-4o-mini","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`)
	for _, c := range []struct {
		name, header, value string
		status              int
	}{
		{"x-api-key", "x-api-key", "gw-key-1", 200},
		{"bearer", "Authorization", "Bearer gw-key-1", 200},
		{"wrong key", "x-api-key", "gw-key-2", 401},
		{"no key", "", "", 401},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := newCtx("POST", "/anthropic/v1/messages", body)
			if c.header != "" {
				ctx.Request.Header.Set(c.header, c.value)
			}
			p.do(ctx)
			if ctx.Response.StatusCode() != c.status {
				t.Fatalf("status %d, want %d: %s", ctx.Response.StatusCode(), c.status, ctx.Response.Body())
			}
			if c.status == 401 {
				if typ, _ := anthropicError(t, ctx.Response.Body()); typ != "authentication_error" {
					t.Errorf("401 body %s", ctx.Response.Body())
				}
			}
		})
	}
}

// TestAnthropicRouting checks where models go: a bare name to the anthropic provider, unless
// it is a config alias; provider/model anywhere. On the passthrough path every request here
// goes to Anthropic as sent (cache_control kept), the alias's too; on the decoding path a
// request named for Anthropic keeps cache_control and the alias's drops it (an alias may
// name other providers).
func TestAnthropicRouting(t *testing.T) {
	for _, pass := range []bool{true, false} {
		p := newInProcess(t, mocks.Config{Format: mocks.FormatAnthropic, Record: true}, `{"providers":{
		"anthropic":{"keys":[{"name":"k","value":"`+inProcessKey+`","models":["*"],"weight":1}],"network_config":{"base_url":"http://mock.inmemory"}}},
		"aliases":{"fast":"anthropic/claude-3-5-haiku-20241022"}}`)
		p.srv.SetPassthrough(pass)
		for _, c := range []struct{ model, sent string }{
			{"claude-sonnet-4-5", "claude-sonnet-4-5"},
			{"fast", "claude-3-5-haiku-20241022"},
			{"anthropic/claude-opus-4-1", "claude-opus-4-1"},
		} {
			ctx := newCtx("POST", "/anthropic/v1/messages", []byte(`{"model":"`+c.model+`","max_tokens":5,"system":[{"type":"text","text":"S","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"hi"}]}`))
			p.do(ctx)
			if ctx.Response.StatusCode() != 200 {
				t.Fatalf("%s: status %d: %s", c.model, ctx.Response.StatusCode(), ctx.Response.Body())
			}
			reqs := p.mock.Requests()
			last := string(reqs[len(reqs)-1].Body)
			if !strings.Contains(last, `"model":"`+c.sent+`"`) {
				t.Errorf("%s: the provider got %s", c.model, last)
			}
			if native := pass || c.model != "fast"; native != strings.Contains(last, "cache_control") {
				t.Errorf("passthrough %v, %s: cache_control forwarded = %v, want %v: %s", pass, c.model, !native, native, last)
			}
		}
		if passed := p.srv.Passed(); pass && passed != 3 || !pass && passed != 0 {
			t.Errorf("passthrough %v: %d requests passed through of 3", pass, passed)
		}
	}
}

// TestAnthropicStreamError checks that a stream cut by the provider ends with an error
// event after the events already sent.
func TestAnthropicStreamError(t *testing.T) {
	p := newInProcess(t, mocks.Config{Fault: mocks.FaultStreamCut, StreamChunks: 8}, "")
	ctx := newCtx("POST", "/anthropic/v1/messages", []byte(`{"model":"openai/gpt-4o-mini","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	p.do(ctx)
	body := string(ctx.Response.Body())
	if ctx.Response.StatusCode() != 200 || !strings.HasPrefix(body, "event: message_start\n") {
		t.Fatalf("status %d: %s", ctx.Response.StatusCode(), body)
	}
	i := strings.LastIndex(body, "event: ")
	if !strings.HasPrefix(body[i:], "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":") || strings.Contains(body, "message_stop") {
		t.Errorf("want the stream to end with an error event:\n%s", body)
	}
}

// TestAnthropicModels checks GET /anthropic/v1/models and /models/{id}.
func TestAnthropicModels(t *testing.T) {
	p := newInProcess(t, mocks.Config{}, "")
	ctx := newCtx("GET", "/anthropic/v1/models", nil)
	p.do(ctx)
	var list struct {
		Data []struct {
			Type, ID, DisplayName, CreatedAt string
		} `json:"data"`
		HasMore bool   `json:"has_more"`
		FirstID string `json:"first_id"`
	}
	if err := json.Unmarshal(ctx.Response.Body(), &list); err != nil || len(list.Data) == 0 || list.HasMore || list.FirstID != list.Data[0].ID ||
		list.Data[0].Type != "model" || !strings.HasPrefix(list.Data[0].ID, "openai/") {
		t.Fatalf("%v: %s", err, ctx.Response.Body())
	}
	ctx = newCtx("GET", "/anthropic/v1/models/"+list.Data[0].ID, nil)
	p.do(ctx)
	if ctx.Response.StatusCode() != 200 || !strings.Contains(string(ctx.Response.Body()), `"id":"`+list.Data[0].ID+`"`) {
		t.Errorf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
}
