package anthropic_test

import (
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters/anthropic"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

// encode decodes a unified request and encodes it for Anthropic.
func encode(t testing.TB, req string) (string, error) {
	t.Helper()
	var r schemas.ChatRequest
	if err := schemas.Decode([]byte(req), &r); err != nil {
		t.Fatalf("unified request %s: %v", req, err)
	}
	var w jwriter.Writer
	if err := (anthropic.Codec{}).EncodeChat(&w, &r); err != nil {
		return "", err
	}
	b, err := w.BuildBytes()
	if err != nil {
		t.Fatal(err)
	}
	return string(b), nil
}

func TestEncodeChat(t *testing.T) {
	cases := []struct {
		name, req, want string
	}{
		{"text with the default max_tokens",
			`{"model":"claude-3-5-sonnet-20241022","messages":[{"role":"user","content":"Hello, Claude"}]}`,
			`{"model":"claude-3-5-sonnet-20241022","max_tokens":4096,"messages":[{"role":"user","content":"Hello, Claude"}]}`},
		{"system message to the top level, sampling, user, stop, stream",
			`{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],"max_tokens":100,"temperature":0.5,"top_p":0.9,"user":"u-1","stop":"END","stream":true,"stream_options":{"include_usage":true}}`,
			`{"model":"m","max_tokens":100,"system":"Be brief.","messages":[{"role":"user","content":"Hi"}],"metadata":{"user_id":"u-1"},"stop_sequences":["END"],"stream":true,"temperature":0.5,"top_p":0.9}`},
		{"max_completion_tokens; several system and developer messages become text blocks",
			`{"model":"m","messages":[{"role":"system","content":"A"},{"role":"user","content":"Hi"},{"role":"developer","content":[{"type":"text","text":"B"}]}],"max_completion_tokens":50,"stop":["x","y"]}`,
			`{"model":"m","max_tokens":50,"system":[{"type":"text","text":"A"},{"type":"text","text":"B"}],"messages":[{"role":"user","content":"Hi"}],"stop_sequences":["x","y"]}`},
		{"images by data URL and by URL, cache_control kept",
			`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"What is this?","cache_control":{"type":"ephemeral"}},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},{"type":"image_url","image_url":{"url":"https:\/\/example.com\/a.jpg","detail":"high"}}]}]}`,
			`{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"What is this?","cache_control":{"type":"ephemeral"}},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},{"type":"image","source":{"type":"url","url":"https:\/\/example.com\/a.jpg"}}]}]}`},
		{"a PDF file part becomes a document",
			`{"model":"m","messages":[{"role":"user","content":[{"type":"file","file":{"filename":"paper.pdf","file_data":"data:application/pdf;base64,JVBERi0xLjQ="}},{"type":"text","text":"Summarise."}]}]}`,
			`{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0xLjQ="},"title":"paper.pdf"},{"type":"text","text":"Summarise."}]}]}`},
		{"tools, a named tool_choice, parallel_tool_calls false",
			`{"model":"m","messages":[{"role":"user","content":"Weather?"}],"tools":[{"type":"function","function":{"name":"get_weather","description":"Get the weather","parameters":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]},"strict":true}},{"type":"function","function":{"name":"now"}}],"tool_choice":{"type":"function","function":{"name":"get_weather"}},"parallel_tool_calls":false}`,
			`{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":"Weather?"}],"tools":[{"name":"get_weather","description":"Get the weather","input_schema":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}},{"name":"now","input_schema":{"type":"object","properties":{}}}],"tool_choice":{"type":"tool","name":"get_weather","disable_parallel_tool_use":true}}`},
		{"tool_choice required is any; none is none",
			`{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"tool_choice":"required"}`,
			`{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":{"type":"any"}}`},
		{"tool_choice none",
			`{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"none","parallel_tool_calls":false}`,
			`{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"f","input_schema":{"type":"object","properties":{}}}],"tool_choice":{"type":"none"}}`},
		{"parallel_tool_calls false alone is auto without parallel use",
			`{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"parallel_tool_calls":false}`,
			`{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"f","input_schema":{"type":"object","properties":{}}}],"tool_choice":{"type":"auto","disable_parallel_tool_use":true}}`},
		{"multi-turn tool use: tool_use blocks, consecutive tool results merged into one user turn",
			`{"model":"m","messages":[{"role":"user","content":"Weather in Paris and Rome?"},{"role":"assistant","content":"Checking.","tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"get_weather","arguments":"{\"location\": \"Paris\"}"}},{"id":"toolu_2","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Rome \u00e9\ud83d\ude00 \\u00e9\"}"}}]},{"role":"tool","tool_call_id":"toolu_1","content":"15 C"},{"role":"tool","tool_call_id":"toolu_2","content":[{"type":"text","text":"18 C"}]},{"role":"user","content":"Thanks"}]}`,
			`{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":"Weather in Paris and Rome?"},{"role":"assistant","content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"location": "Paris"}},{"type":"tool_use","id":"toolu_2","name":"get_weather","input":{"location":"Rome é😀 \u00e9"}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"15 C"},{"type":"tool_result","tool_use_id":"toolu_2","content":[{"type":"text","text":"18 C"}]}]},{"role":"user","content":"Thanks"}]}`},
		{"assistant tool call without content or arguments",
			`{"model":"m","messages":[{"role":"user","content":"x"},{"role":"assistant","content":null,"tool_calls":[{"id":"t","type":"function","function":{"name":"now","arguments":""}}]},{"role":"tool","tool_call_id":"t","content":"12:00"}]}`,
			`{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"now","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"12:00"}]}]}`},
		{"reasoning_effort without max_tokens: budget plus the default",
			`{"model":"m","messages":[{"role":"user","content":"x"}],"reasoning_effort":"medium"}`,
			`{"model":"m","max_tokens":12288,"messages":[{"role":"user","content":"x"}],"thinking":{"type":"enabled","budget_tokens":8192}}`},
		{"reasoning_effort above max_tokens: half of max_tokens",
			`{"model":"m","messages":[{"role":"user","content":"x"}],"reasoning_effort":"high","max_tokens":6000}`,
			`{"model":"m","max_tokens":6000,"messages":[{"role":"user","content":"x"}],"thinking":{"type":"enabled","budget_tokens":3000}}`},
		{"reasoning_effort none; native top_k and thinking forwarded, other unknown members not",
			`{"model":"m","messages":[{"role":"user","content":"x"}],"reasoning_effort":"low","top_k":5,"thinking":{"type":"enabled","budget_tokens":2000},"store":true,"seed":3,"presence_penalty":1,"logprobs":true}`,
			`{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":"x"}],"top_k":5,"thinking":{"type":"enabled","budget_tokens":2000}}`},
		{"thinking blocks sent back before the tool calls",
			`{"model":"m","messages":[{"role":"user","content":"x"},{"role":"assistant","content":null,"reasoning_content":"hmm","thinking_blocks":[{"type":"thinking","thinking":"hmm","signature":"sig=="}],"tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"t","content":"ok"}],"reasoning_effort":"minimal"}`,
			`{"model":"m","max_tokens":5120,"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"sig=="},{"type":"tool_use","id":"t","name":"f","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"ok"}]}],"thinking":{"type":"enabled","budget_tokens":1024}}`},
		{"a streamed answer sent back: reasoning_content joined with the signature-only block, redacted block kept",
			`{"model":"m","messages":[{"role":"user","content":"x"},{"role":"assistant","content":null,"reasoning_content":"Two \"cities\".","thinking_blocks":[{"type":"thinking","thinking":"","signature":"EqQB=="},{"type":"redacted_thinking","data":"EmwK"},{"type":"thinking","signature":"second"}],"tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"t","content":"ok"}]}`,
			`{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"thinking","thinking":"Two \"cities\".","signature":"EqQB=="},{"type":"redacted_thinking","data":"EmwK"},{"type":"thinking","signature":"second"},{"type":"tool_use","id":"t","name":"f","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"ok"}]}]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := encode(t, c.req)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("\n got %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestEncodeChatErrors(t *testing.T) {
	cases := []struct {
		name, req, want string
	}{
		{"n", `{"model":"m","messages":[{"role":"user","content":"x"}],"n":2}`, "n must be 1"},
		{"reasoning_effort", `{"model":"m","messages":[{"role":"user","content":"x"}],"reasoning_effort":"max"}`, `reasoning_effort "max"`},
		{"max_tokens too small for thinking", `{"model":"m","messages":[{"role":"user","content":"x"}],"reasoning_effort":"low","max_tokens":1500}`, "too small"},
		{"role", `{"model":"m","messages":[{"role":"function","content":"x"}]}`, `role "function"`},
		{"audio", `{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AA==","format":"wav"}}]}]}`, `"input_audio"`},
		{"file id", `{"model":"m","messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"file-1"}}]}]}`, "file ids"},
		{"data URL not base64", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,abc"}}]}]}`, "base64"},
		{"arguments not an object", `{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"[1]"}}]}]}`, "JSON object"},
		{"arguments that would inject members", `{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{}},{\"x\":{"}}]}]}`, "JSON object"},
		{"bad escape in arguments", `{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{\"a\":\"\\ud800\"}"}}]}]}`, ""},
		{"tool type", `{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"custom","function":{"name":"f"}}]}`, `tool type "custom"`},
		{"tool_choice mode", `{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"always"}`, `tool_choice "always"`},
		{"system parts", `{"model":"m","messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"https://x"}}]}]}`, "only text parts"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := encode(t, c.req)
			if c.want == "" { // accepted: a lone surrogate becomes U+FFFD, still valid JSON
				if err != nil {
					t.Fatalf("error %v, want none", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v (body %s), want one containing %q", err, got, c.want)
			}
		})
	}
}

func TestThinkingBudget(t *testing.T) {
	for effort, want := range map[string]int{"": 0, "none": 0, "minimal": 1024, "low": 2048, "medium": 8192, "high": 16384} {
		if got, err := anthropic.ThinkingBudget(effort); err != nil || got != want {
			t.Errorf("ThinkingBudget(%q) = %d, %v; want %d", effort, got, err, want)
		}
	}
}
