package anthropic_test

import (
	"regexp"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters/anthropic"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

var createdRE = regexp.MustCompile(`"created":\d+`)

// marshal encodes v as the gateway sends it, with created zeroed.
func marshal(t testing.TB, v interface{ MarshalEasyJSON(*jwriter.Writer) }) string {
	t.Helper()
	var w jwriter.Writer
	v.MarshalEasyJSON(&w)
	b, err := w.BuildBytes()
	if err != nil {
		t.Fatal(err)
	}
	return createdRE.ReplaceAllString(string(b), `"created":0`)
}

func TestDecodeChat(t *testing.T) {
	cases := []struct {
		name, body, want string
	}{
		{"text with cache usage (docs example)",
			`{"id":"msg_013Zva2CMHLNnXjNJJKqJ2EF","type":"message","role":"assistant","model":"claude-3-5-sonnet-20241022","content":[{"type":"text","text":"Hi! My name is Claude."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":2095,"output_tokens":503,"cache_creation_input_tokens":2051,"cache_read_input_tokens":2049,"cache_creation":{"ephemeral_5m_input_tokens":2051,"ephemeral_1h_input_tokens":0},"service_tier":"standard"}}`,
			`{"id":"msg_013Zva2CMHLNnXjNJJKqJ2EF","object":"chat.completion","created":0,"model":"claude-3-5-sonnet-20241022","choices":[{"index":0,"message":{"role":"assistant","content":"Hi! My name is Claude."},"finish_reason":"stop"}],"usage":{"prompt_tokens":6195,"completion_tokens":503,"total_tokens":6698,"prompt_tokens_details":{"cached_tokens":2049,"audio_tokens":0},"cache_creation_input_tokens":2051}}`},
		{"tool use after text",
			`{"id":"msg_01Aq9w938a90dw8q","model":"claude-3-5-sonnet-20241022","stop_reason":"tool_use","role":"assistant","content":[{"type":"text","text":"I'll check the weather."},{"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"get_weather","input":{"location": "San Francisco, CA", "unit": "celsius"}}],"usage":{"input_tokens":10,"output_tokens":20}}`,
			`{"id":"msg_01Aq9w938a90dw8q","object":"chat.completion","created":0,"model":"claude-3-5-sonnet-20241022","choices":[{"index":0,"message":{"role":"assistant","content":"I'll check the weather.","tool_calls":[{"id":"toolu_01A09q90qw90lq917835lq9","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"San Francisco, CA\",\"unit\":\"celsius\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":10,"completion_tokens":20,"total_tokens":30}}`},
		{"tool use alone: content null; empty input",
			`{"id":"msg_1","model":"m","stop_reason":"tool_use","content":[{"type":"tool_use","id":"t1","name":"now","input":{}}],"usage":{"input_tokens":1,"output_tokens":2}}`,
			`{"id":"msg_1","object":"chat.completion","created":0,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"t1","type":"function","function":{"name":"now","arguments":"{}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`},
		{"thinking: reasoning_content, thinking_blocks, reasoning tokens",
			`{"id":"msg_2","model":"claude-sonnet-4-20250514","stop_reason":"max_tokens","content":[{"type":"thinking","thinking":"Let me analyze this step by step...","signature":"WaUjzkypQ2mUEVM36O2TxuC06KN8xyfbJwyem2dw3URve/op91XWHOEBLLqIOMfFG/UvLEczmEsUjavL...."},{"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP..."},{"type":"text","text":"Based on my analysis..."}],"usage":{"input_tokens":50,"output_tokens":400,"output_tokens_details":{"thinking_tokens":350}}}`,
			`{"id":"msg_2","object":"chat.completion","created":0,"model":"claude-sonnet-4-20250514","choices":[{"index":0,"message":{"role":"assistant","content":"Based on my analysis...","reasoning_content":"Let me analyze this step by step...","thinking_blocks":[{"type":"thinking","thinking":"Let me analyze this step by step...","signature":"WaUjzkypQ2mUEVM36O2TxuC06KN8xyfbJwyem2dw3URve/op91XWHOEBLLqIOMfFG/UvLEczmEsUjavL...."},{"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP..."}]},"finish_reason":"length"}],"usage":{"prompt_tokens":50,"completion_tokens":400,"total_tokens":450,"completion_tokens_details":{"reasoning_tokens":350,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}`},
		{"two text blocks are joined; a server tool block keeps the content as it came; refusal",
			`{"id":"msg_3","model":"m","stop_reason":"refusal","content":[{"type":"text","text":"a\n"},{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"q"}},{"type":"text","text":"\"b\""}],"usage":{"input_tokens":1,"output_tokens":1}}`,
			`{"id":"msg_3","object":"chat.completion","created":0,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"a\n\"b\"","anthropic_content":[{"type":"text","text":"a\n"},{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"q"}},{"type":"text","text":"\"b\""}]},"finish_reason":"content_filter"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`},
		{"stop_sequence: kept as the choice's stop_reason (vLLM's member)",
			`{"id":"msg_4","model":"m","stop_reason":"stop_sequence","stop_sequence":"END\n","content":[{"type":"text","text":"x"}],"usage":{"input_tokens":1,"output_tokens":1}}`,
			`{"id":"msg_4","object":"chat.completion","created":0,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"x"},"finish_reason":"stop","stop_reason":"END\n"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`},
		{"a stop_sequence member with another stop reason is not kept",
			`{"id":"msg_5","model":"m","stop_reason":"end_turn","stop_sequence":"END","content":[{"type":"text","text":"x"}],"usage":{"input_tokens":1,"output_tokens":1,"cache_creation_input_tokens":0}}`,
			`{"id":"msg_5","object":"chat.completion","created":0,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"x"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out schemas.ChatResponse
			if err := (anthropic.Codec{}).DecodeChat([]byte(c.body), &out); err != nil {
				t.Fatal(err)
			}
			if got := marshal(t, &out); got != c.want {
				t.Errorf("\n got %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestDecodeChatRejects(t *testing.T) {
	for _, body := range []string{``, `[]`, `{"content":[{"type":"text","text":1}]}`, `{"id":"x"`, `{"content":{}}`} {
		var out schemas.ChatResponse
		if err := (anthropic.Codec{}).DecodeChat([]byte(body), &out); err == nil {
			t.Errorf("Codec{}.DecodeChat(%s): no error", body)
		}
	}
}

func TestFinishReason(t *testing.T) {
	for in, want := range map[string]string{
		"end_turn": "stop", "stop_sequence": "stop", "pause_turn": "stop", "max_tokens": "length",
		"model_context_window_exceeded": "length", "tool_use": "tool_calls", "refusal": "content_filter",
		"something_new": "stop", "": "",
	} {
		if got := anthropic.FinishReason(in); got != want {
			t.Errorf("FinishReason(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDecodeError(t *testing.T) {
	cases := []struct {
		status         int
		body           string
		msg, typ, code string
	}{
		{529, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}`, "Overloaded", "server_error", "overloaded_error"},
		{400, `{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"}}`, "max_tokens: Field required", "invalid_request_error", "invalid_request_error"},
		{401, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`, "invalid x-api-key", "authentication_error", "authentication_error"},
		{413, `{"type":"error","error":{"type":"request_too_large","message":"Request exceeds the maximum allowed number of bytes."}}`, "Request exceeds the maximum allowed number of bytes.", "invalid_request_error", "request_too_large"},
		{500, `{"type":"error","error":{"type":"api_error","message":"Internal server error"}}`, "Internal server error", "server_error", "api_error"},
		{418, `{"type":"error","error":{"type":"teapot_error","message":"short and stout"}}`, "short and stout", "invalid_request_error", "teapot_error"},
		{502, `<html>Bad Gateway</html>`, "provider returned HTTP 502: <html>Bad Gateway</html>", "server_error", ""},
		{503, `{"error":{"message":"upstream connect error","type":"proxy"}}`, "upstream connect error", "server_error", "proxy"},
	}
	for _, c := range cases {
		var out schemas.ErrorBody
		anthropic.Codec{}.DecodeError(c.status, []byte(c.body), &out)
		if out.Message != c.msg || out.Type != c.typ || string(out.Code) != c.code {
			t.Errorf("Codec{}.DecodeError(%d, %s) = %+v, want message %q type %q code %q", c.status, c.body, out, c.msg, c.typ, c.code)
		}
	}
}

func TestDecodeModels(t *testing.T) {
	body := `{"data":[{"type":"model","id":"claude-3-7-sonnet-20250219","display_name":"Claude 3.7 Sonnet","created_at":"2025-02-19T00:00:00Z"},{"type":"model","id":"claude-3-5-haiku-20241022","display_name":"Claude 3.5 Haiku","created_at":"2024-10-22T00:00:00Z"}],"has_more":false,"first_id":"claude-3-7-sonnet-20250219","last_id":"claude-3-5-haiku-20241022"}`
	var out schemas.ModelList
	if err := (anthropic.Codec{}).DecodeModels([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	want := `{"object":"list","data":[{"id":"claude-3-7-sonnet-20250219","object":"model","created":1739923200,"owned_by":"anthropic"},{"id":"claude-3-5-haiku-20241022","object":"model","created":1729555200,"owned_by":"anthropic"}]}`
	var w jwriter.Writer
	out.MarshalEasyJSON(&w)
	if got, _ := w.BuildBytes(); string(got) != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	if err := (anthropic.Codec{}).DecodeModels([]byte(`{"type":"error"}`), &out); err == nil {
		t.Error("a body without data: no error")
	}
}
