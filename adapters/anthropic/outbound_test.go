package anthropic_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters/anthropic"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/outbound")

func build(t testing.TB, w *jwriter.Writer) string {
	t.Helper()
	b, err := w.BuildBytes()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestEncodeMessage(t *testing.T) {
	cases := []struct{ name, resp, want string }{
		{"text, usage with cached tokens",
			`{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":30,"completion_tokens":5,"total_tokens":35,"prompt_tokens_details":{"cached_tokens":20}}}`,
			`{"id":"chatcmpl-1","type":"message","role":"assistant","model":"gpt-4o","content":[{"type":"text","text":"Hello!"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":10,"cache_creation_input_tokens":0,"cache_read_input_tokens":20,"output_tokens":5}}`},
		{"reasoning, text and tool calls; malformed arguments become {}",
			`{"id":"x","model":"deepseek-reasoner","choices":[{"index":0,"message":{"role":"assistant","reasoning_content":"think","content":"Calling.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":\"\\\"q\\\"\",\"n\":[1,2]}"}},{"id":"call_2","type":"function","function":{"name":"g","arguments":"{not json"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}`,
			`{"id":"x","type":"message","role":"assistant","model":"deepseek-reasoner","content":[{"type":"thinking","thinking":"think","signature":""},{"type":"text","text":"Calling."},{"type":"tool_use","id":"call_1","name":"f","input":{"a":"\"q\"","n":[1,2]}},{"type":"tool_use","id":"call_2","name":"g","input":{}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":3,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":4}}`},
		{"Anthropic's thinking blocks kept; length; the requested model when none is named",
			`{"id":"msg_1","choices":[{"index":0,"message":{"role":"assistant","content":"a","thinking_blocks":[{"type":"thinking","thinking":"t","signature":"s"}]},"finish_reason":"length"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`,
			`{"id":"msg_1","type":"message","role":"assistant","model":"requested","content":[{"type":"thinking","thinking":"t","signature":"s"},{"type":"text","text":"a"}],"stop_reason":"max_tokens","stop_sequence":null,"usage":{"input_tokens":1,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}`},
		{"a matched stop sequence (vLLM's stop_reason); cache writes",
			`{"id":"a","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"x"},"finish_reason":"stop","stop_reason":"END"}],"usage":{"prompt_tokens":10,"completion_tokens":1,"total_tokens":11,"cache_creation_input_tokens":4}}`,
			`{"id":"a","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"x"}],"stop_reason":"stop_sequence","stop_sequence":"END","usage":{"input_tokens":6,"cache_creation_input_tokens":4,"cache_read_input_tokens":0,"output_tokens":1}}`},
		{"content filter, empty content",
			`{"id":"a","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null},"finish_reason":"content_filter"}]}`,
			`{"id":"a","type":"message","role":"assistant","model":"m","content":[],"stop_reason":"refusal","stop_sequence":null,"usage":{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0}}`},
	}
	var o anthropic.Outbound
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r schemas.ChatResponse
			if err := schemas.Decode([]byte(c.resp), &r); err != nil {
				t.Fatal(err)
			}
			o.Reset()
			var w jwriter.Writer
			o.EncodeMessage(&w, &r, "requested")
			if got := build(t, &w); got != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

// TestStreamGolden writes unified chunk streams as Anthropic events and compares them with
// testdata/outbound/<name>.sse (go test -run TestStreamGolden -update rewrites them).
func TestStreamGolden(t *testing.T) {
	streams := map[string][]string{
		// An OpenAI-shaped stream: role chunk, reasoning, text, two tool calls, the finish,
		// then the usage chunk.
		"openai_tools": {
			`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
			`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"reasoning_content":"Let me think."},"finish_reason":null}]}`,
			`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"Checking "},"finish_reason":null}]}`,
			`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"two cities."},"finish_reason":null}]}`,
			`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"weather","arguments":""}}]},"finish_reason":null}]}`,
			`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]},"finish_reason":null}]}`,
			`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]},"finish_reason":null}]}`,
			`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Oslo\"}"}}]},"finish_reason":null}]}`,
			`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`,
			`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":50,"completion_tokens":20,"total_tokens":70,"prompt_tokens_details":{"cached_tokens":10}}}`,
		},
		// Chunks as DecodeChatEvent makes them from an Anthropic stream with thinking: the
		// signature arrives alone in thinking_blocks and becomes a signature_delta that ends
		// the thinking block; a redacted block is a block of its own; the stop sequence is
		// the choice's stop_reason, the cache writes usage.cache_creation_input_tokens.
		"anthropic_thinking_stop_sequence": {
			`{"id":"msg_1","object":"chat.completion.chunk","created":1,"model":"claude-sonnet-4-5","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
			`{"id":"msg_1","object":"chat.completion.chunk","created":1,"model":"claude-sonnet-4-5","choices":[{"index":0,"delta":{"reasoning_content":"Count to three."},"finish_reason":null}]}`,
			`{"id":"msg_1","object":"chat.completion.chunk","created":1,"model":"claude-sonnet-4-5","choices":[{"index":0,"delta":{"thinking_blocks":[{"type":"thinking","thinking":"","signature":"EqQBCgIYAh=="}]},"finish_reason":null}]}`,
			`{"id":"msg_1","object":"chat.completion.chunk","created":1,"model":"claude-sonnet-4-5","choices":[{"index":0,"delta":{"thinking_blocks":[{"type":"redacted_thinking","data":"EmwKAhgB"}]},"finish_reason":null}]}`,
			`{"id":"msg_1","object":"chat.completion.chunk","created":1,"model":"claude-sonnet-4-5","choices":[{"index":0,"delta":{"content":"1, 2, 3"},"finish_reason":null}]}`,
			`{"id":"msg_1","object":"chat.completion.chunk","created":1,"model":"claude-sonnet-4-5","choices":[{"index":0,"delta":{},"finish_reason":"stop","stop_reason":"\n4"}]}`,
			`{"id":"msg_1","object":"chat.completion.chunk","created":1,"model":"claude-sonnet-4-5","choices":[],"usage":{"prompt_tokens":40,"completion_tokens":7,"total_tokens":47,"prompt_tokens_details":{"cached_tokens":5},"cache_creation_input_tokens":30}}`,
		},
		// LiteLLM's shape: each delta carries the thinking twice (reasoning_content and
		// thinking_blocks), the last one the signature alone; the text is written once.
		"litellm_thinking_blocks": {
			`{"id":"c2","object":"chat.completion.chunk","created":1,"model":"claude","choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"Hm","thinking_blocks":[{"type":"thinking","thinking":"Hm","signature":null}]},"finish_reason":null}]}`,
			`{"id":"c2","object":"chat.completion.chunk","created":1,"model":"claude","choices":[{"index":0,"delta":{"thinking_blocks":[{"type":"thinking","thinking":"m.","signature":null}]},"finish_reason":null}]}`,
			`{"id":"c2","object":"chat.completion.chunk","created":1,"model":"claude","choices":[{"index":0,"delta":{"thinking_blocks":[{"type":"thinking","signature":"c2ln"}]},"finish_reason":null}]}`,
			`{"id":"c2","object":"chat.completion.chunk","created":1,"model":"claude","choices":[{"index":0,"delta":{"content":"Yes."},"finish_reason":"stop"}]}`,
		},
		// A stream that ends without any chunk.
		"empty": {},
	}
	for name, chunks := range streams {
		t.Run(name, func(t *testing.T) {
			var o anthropic.Outbound
			var sb strings.Builder
			for _, c := range chunks {
				var ch schemas.ChatStreamChunk
				if err := schemas.Decode([]byte(c), &ch); err != nil {
					t.Fatal(err)
				}
				var w jwriter.Writer
				o.StreamChunk(&w, &ch, "requested")
				sb.WriteString(build(t, &w))
			}
			var w jwriter.Writer
			o.StreamEnd(&w, "requested")
			sb.WriteString(build(t, &w))
			golden(t, filepath.Join("testdata", "outbound", name+".sse"), sb.String())
		})
	}
}

func TestStreamError(t *testing.T) {
	var o anthropic.Outbound
	var w jwriter.Writer
	o.StreamError(&w, 529, &schemas.ErrorBody{Message: "Overloaded", Type: schemas.ErrServer, Code: "overloaded_error"})
	want := "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"
	if got := build(t, &w); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestErrorType(t *testing.T) {
	cases := []struct {
		status int
		body   schemas.ErrorBody
		want   string
	}{
		{400, schemas.ErrorBody{Type: schemas.ErrInvalidRequest, Code: "unknown_model"}, "invalid_request_error"},
		{401, schemas.ErrorBody{Type: schemas.ErrInvalidRequest, Code: "invalid_api_key"}, "authentication_error"},
		{403, schemas.ErrorBody{}, "permission_error"},
		{404, schemas.ErrorBody{}, "not_found_error"},
		{413, schemas.ErrorBody{}, "request_too_large"},
		{429, schemas.ErrorBody{Type: schemas.ErrRateLimit}, "rate_limit_error"},
		{500, schemas.ErrorBody{Type: schemas.ErrServer}, "api_error"},
		{502, schemas.ErrorBody{Type: schemas.ErrUpstream}, "api_error"},
		{503, schemas.ErrorBody{Type: schemas.ErrServer, Code: "overloaded_error"}, "overloaded_error"},
		{504, schemas.ErrorBody{Type: schemas.ErrTimeout}, "timeout_error"},
		{529, schemas.ErrorBody{}, "overloaded_error"},
	}
	for _, c := range cases {
		if got := anthropic.ErrorType(c.status, &c.body); got != c.want {
			t.Errorf("ErrorType(%d, %+v) = %s, want %s", c.status, c.body, got, c.want)
		}
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\ngot\n%s\nwant\n%s", path, got, want)
	}
}
