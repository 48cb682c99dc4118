package server

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/mocks"
)

// TestHostileProviderAnswers checks, through the whole gateway, what a client sees when a
// provider answers with something it must not pass on (issue 10, defects 4 and 9): an
// error in the route's own format with status 502 and a clear code, or, once a stream has
// started, an error event.
func TestHostileProviderAnswers(t *testing.T) {
	const limits = `{"providers":{"openai":{"keys":[{"name":"k","value":"` + inProcessKey + `","models":["*"],"weight":1}],
		"network_config":{"base_url":"http://mock.inmemory","max_response_body_mb":1,"max_stream_event_kb":1024}}}}`
	const (
		v1       = "/v1/chat/completions"
		messages = "/anthropic/v1/messages"
	)
	cases := []struct {
		name, path, body, code string
		mock                   mocks.Config
		stream                 bool
	}{
		{"{} on /v1", v1, string(chatBody), "invalid_upstream_response", mocks.Config{Fault: mocks.FaultEmptyObject}, false},
		{"null on /v1", v1, string(chatBody), "invalid_upstream_response", mocks.Config{Fault: mocks.FaultNullBody}, false},
		{`{"choices":null} on /v1`, v1, string(chatBody), "invalid_upstream_response", mocks.Config{Fault: mocks.FaultNullChoices}, false},
		{"{} on /anthropic", messages, `{"model":"openai/gpt-4o-mini","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}`,
			"invalid_upstream_response", mocks.Config{Fault: mocks.FaultEmptyObject}, false},
		{"2 MiB body on /v1", v1, string(chatBody), "upstream_response_too_large", mocks.Config{Fault: mocks.FaultHugeBody, FaultBodySize: 2 << 20}, false},
		{"2 MiB body on /anthropic", messages, `{"model":"openai/gpt-4o-mini","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}`,
			"upstream_response_too_large", mocks.Config{Fault: mocks.FaultHugeBody, FaultBodySize: 2 << 20}, false},
		{"endless SSE line on /v1", v1, `{"model":"openai/gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}`,
			"upstream_response_too_large", mocks.Config{Fault: mocks.FaultEndlessLine}, true},
		{"endless SSE line on /anthropic", messages, `{"model":"openai/gpt-4o-mini","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"hi"}]}`,
			"upstream_response_too_large", mocks.Config{Fault: mocks.FaultEndlessLine}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newInProcess(t, tc.mock, limits)
			ctx := newCtx("POST", tc.path, []byte(tc.body))
			p.do(ctx)
			body := string(ctx.Response.Body())
			anthropic := tc.path == messages
			if tc.stream {
				if ctx.Response.StatusCode() != 200 {
					t.Fatalf("status %d: %s", ctx.Response.StatusCode(), body)
				}
				last := body[strings.LastIndex(strings.TrimSuffix(body, "\n\n"), "data: ")+len("data: "):]
				want := tc.code // Anthropic's error events have no code: the message names the limit
				if anthropic {
					want = "larger than the gateway's limit"
				}
				if anthropic && !strings.Contains(body, "event: error\ndata: ") || !strings.Contains(last, want) ||
					strings.Contains(body, "[DONE]") || strings.Contains(body, "message_stop") {
					t.Fatalf("want the stream to end with an error event naming %s:\n%.2000s", tc.code, body)
				}
				return
			}
			if ctx.Response.StatusCode() != 502 {
				t.Fatalf("status %d, want 502: %.500s", ctx.Response.StatusCode(), body)
			}
			if anthropic {
				var e struct {
					Type  string `json:"type"`
					Error struct{ Type, Message string }
				}
				if err := json.Unmarshal(ctx.Response.Body(), &e); err != nil || e.Type != "error" || e.Error.Type != "api_error" ||
					!strings.Contains(e.Error.Message, "provider openai") {
					t.Fatalf("%v: %s, want an Anthropic api_error", err, body)
				}
				return
			}
			var e struct {
				Error struct{ Code, Type, Message string } `json:"error"`
			}
			if err := json.Unmarshal(ctx.Response.Body(), &e); err != nil || e.Error.Code != tc.code || !strings.Contains(e.Error.Message, "provider openai") {
				t.Fatalf("%v: %s, want error code %s", err, body, tc.code)
			}
		})
	}
}
