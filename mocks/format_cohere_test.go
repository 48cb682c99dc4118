package mocks

import (
	"bytes"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters/cohere"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
)

// The Cohere mock's answers are read back with the cohere codec's decoders, so the mock and
// the adapter agree on the format.

func cohereServer(t *testing.T, cfg Config) *Server {
	cfg.Format = FormatCohere
	if cfg.RequireKey == "" {
		cfg.RequireKey = "co-key"
	}
	return newServer(t, cfg)
}

func TestCohereChat(t *testing.T) {
	s := cohereServer(t, Config{ResponseSize: "1kb"})
	for _, tc := range []struct {
		name, body, finish string
		toolCalls          int
	}{
		{"text", `{"model":"command-a-03-2025","messages":[{"role":"user","content":"Hi"}]}`, "stop", 0},
		{"tool call", `{"model":"command-a-03-2025","messages":[{"role":"user","content":"Weather?"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{}}}]}`, "tool_calls", 1},
		{"after a tool result", `{"model":"m","messages":[{"role":"user","content":"Weather?"},{"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"name":"get_weather","arguments":"{}"}}]},{"role":"tool","tool_call_id":"a","content":"sunny"}],"tools":[{"type":"function","function":{"name":"get_weather"}}]}`, "stop", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, s, "POST", "/v2/chat", tc.body, "co-key")
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			var out schemas.ChatResponse
			if err := (cohere.Codec{}).DecodeChat(r.body, &out); err != nil {
				t.Fatalf("%v\n%s", err, r.body)
			}
			c := out.Choices[0]
			if string(c.FinishReason) != tc.finish || len(c.Message.ToolCalls) != tc.toolCalls || c.Message.Content.Text.String() == "" || out.Usage.TotalTokens == 0 {
				t.Errorf("decoded %+v from %s", out, r.body)
			}
		})
	}
}

func TestCohereStream(t *testing.T) {
	s := cohereServer(t, Config{StreamChunks: 5})
	for _, tc := range []struct {
		name, body, finish string
	}{
		{"text", `{"model":"m","stream":true,"messages":[{"role":"user","content":"Hi"}]}`, "stop"},
		{"tool call", `{"model":"m","stream":true,"messages":[{"role":"user","content":"Hi"}],"tools":[{"type":"function","function":{"name":"now"}}]}`, "tool_calls"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, s, "POST", "/v2/chat", tc.body, "co-key")
			if r.status != 200 || !strings.HasPrefix(r.contentType, "text/event-stream") {
				t.Fatalf("status %d, %s: %s", r.status, r.contentType, r.body)
			}
			var st provider.StreamState
			st.Reset(1, "m", 1)
			var text, finish string
			tools := 0
			for _, block := range bytes.Split(bytes.TrimSpace(r.body), []byte("\n\n")) {
				name, data, _ := bytes.Cut(block, []byte("\ndata: "))
				var out schemas.ChatStreamChunk
				step, err := cohere.Codec{}.DecodeChatEvent(provider.Event{Name: bytes.TrimPrefix(name, []byte("event: ")), Data: data}, &st, &out)
				if err != nil || step == provider.StepError {
					t.Fatalf("event %s: step %d, %v", block, step, err)
				}
				if step != provider.StepChunk {
					continue
				}
				text += out.Choices[0].Delta.Content.Text.String()
				tools += len(out.Choices[0].Delta.ToolCalls)
				finish = string(out.Choices[0].FinishReason)
			}
			if finish != tc.finish || text == "" || (tc.finish == "tool_calls") != (tools == 2) {
				t.Errorf("text %q, %d tool call chunks, finish %q from\n%s", text, tools, finish, r.body)
			}
		})
	}
}

func TestCohereEmbedAndModels(t *testing.T) {
	s := cohereServer(t, Config{})
	for _, typ := range []string{"float", "base64"} {
		r := call(t, s, "POST", "/v2/embed", `{"model":"embed-v4.0","texts":["a","b"],"input_type":"search_document","embedding_types":["`+typ+`"],"output_dimension":8}`, "co-key")
		var out schemas.EmbeddingResponse
		if err := (cohere.Codec{}).DecodeEmbedding(r.body, &out); err != nil || r.status != 200 || len(out.Data) != 2 || out.Usage.PromptTokens != 2 {
			t.Errorf("%s: status %d, err %v, %+v\n%s", typ, r.status, err, out, r.body)
		}
	}
	r := call(t, s, "GET", "/v1/models", "", "co-key")
	var list schemas.ModelList
	if err := (cohere.Codec{}).DecodeModels(r.body, &list); err != nil || len(list.Data) != 2 || list.Data[0].ID != "command-a-03-2025" {
		t.Errorf("models: %v %+v\n%s", err, list, r.body)
	}
}

func TestCohereErrors(t *testing.T) {
	s := cohereServer(t, Config{FailFirst: []int{429, 500}})
	for _, tc := range []struct {
		name, method, path, key string
		status                  int
		errType                 string
	}{
		{"no key", "POST", "/v2/chat", "", 401, schemas.ErrAuthentication},
		{"injected 429", "POST", "/v2/chat", "co-key", 429, schemas.ErrRateLimit},
		{"injected 500", "POST", "/v2/chat", "co-key", 500, schemas.ErrServer},
		{"unknown route", "POST", "/v1/chat/completions", "co-key", 404, schemas.ErrNotFound},
		{"bad body", "POST", "/v2/chat", "co-key", 400, schemas.ErrInvalidRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, s, tc.method, tc.path, `{"model":"m","messages":[]}`, tc.key)
			var e schemas.ErrorBody
			cohere.Codec{}.DecodeError(r.status, r.body, &e)
			if r.status != tc.status || e.Type != tc.errType || e.Message == "" || strings.Contains(e.Message, "provider returned HTTP") {
				t.Errorf("status %d, error %+v from %s", r.status, e, r.body)
			}
			if tc.status == 429 && r.retryAfter != "1" {
				t.Errorf("429 without Retry-After: 1")
			}
		})
	}
}
