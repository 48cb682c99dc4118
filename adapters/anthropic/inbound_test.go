package anthropic_test

import (
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters/anthropic"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

// toChat decodes a native Anthropic request and returns its unified form, encoded.
func toChat(t testing.TB, in *anthropic.Inbound, req string, native bool) (string, error) {
	t.Helper()
	in.Reset()
	if err := in.Decode([]byte(req)); err != nil {
		return "", err
	}
	var out schemas.ChatRequest
	if err := in.ToChat(&out, native); err != nil {
		return "", err
	}
	var w jwriter.Writer
	out.MarshalEasyJSON(&w)
	b, err := w.BuildBytes()
	if err != nil {
		t.Fatal(err)
	}
	return string(b), nil
}

func TestInboundToChat(t *testing.T) {
	cases := []struct {
		name   string
		native bool
		req    string
		want   string
	}{
		{"system string, sampling, stop, user, top_k as a member", false,
			`{"model":"openai/gpt-4o","max_tokens":100,"system":"Be brief.","messages":[{"role":"user","content":"Hi"}],"temperature":0.5,"top_p":0.9,"top_k":40,"stop_sequences":["END","\n\n"],"metadata":{"user_id":"u-1"}}`,
			`{"model":"openai/gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],"stop":["END","\n\n"],"temperature":0.5,"top_p":0.9,"max_tokens":100,"user":"u-1","top_k":40}`},
		{"system blocks, cache_control dropped for another provider", false,
			`{"model":"m","max_tokens":10,"system":[{"type":"text","text":"A","cache_control":{"type":"ephemeral"}},{"type":"text","text":"B"}],"messages":[{"role":"user","content":"Hi"}]}`,
			`{"model":"m","messages":[{"role":"system","content":[{"type":"text","text":"A"},{"type":"text","text":"B"}]},{"role":"user","content":"Hi"}],"max_tokens":10}`},
		{"cache_control kept for Anthropic", true,
			`{"model":"m","max_tokens":10,"system":[{"type":"text","text":"A","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"Hi"}],"tools":[{"name":"f","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"}}]}`,
			`{"model":"m","messages":[{"role":"system","content":[{"type":"text","text":"A","cache_control":{"type":"ephemeral"}}]},{"role":"user","content":"Hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}},"cache_control":{"type":"ephemeral"}}],"max_tokens":10}`},
		{"images and documents", false,
			`{"model":"m","max_tokens":10,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},{"type":"image","source":{"type":"url","url":"https://example.com/a.jpg"}},{"type":"document","title":"paper.pdf","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0="}},{"type":"document","source":{"type":"text","media_type":"text/plain","data":"plain doc"}},{"type":"text","text":"Describe."}]}]}`,
			`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},{"type":"image_url","image_url":{"url":"https://example.com/a.jpg"}},{"type":"file","file":{"file_data":"data:application/pdf;base64,JVBERi0=","filename":"paper.pdf"}},{"type":"text","text":"plain doc"},{"type":"text","text":"Describe."}]}],"max_tokens":10}`},
		{"tool_use and tool_result turns, tools, tool_choice tool without parallel use", false,
			`{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","content":[{"type":"text","text":"Let me look."},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris \"FR\""}},{"type":"tool_use","id":"toolu_2","name":"now","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"18C"},{"type":"tool_result","tool_use_id":"toolu_2","content":[{"type":"text","text":"noon"}],"is_error":false},{"type":"text","text":"And tomorrow?"}]}],"tools":[{"name":"get_weather","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}},{"type":"custom","name":"now","input_schema":{"type":"object"}}],"tool_choice":{"type":"tool","name":"get_weather","disable_parallel_tool_use":true}}`,
			`{"model":"m","messages":[{"role":"user","content":"Weather?"},{"role":"assistant","content":"Let me look.","tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris \\\"FR\\\"\"}"}},{"id":"toolu_2","type":"function","function":{"name":"now","arguments":"{}"}}]},{"role":"tool","content":"18C","tool_call_id":"toolu_1"},{"role":"tool","content":"noon","tool_call_id":"toolu_2"},{"role":"user","content":[{"type":"text","text":"And tomorrow?"}]}],"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}},{"type":"function","function":{"name":"now","parameters":{"type":"object"}}}],"tool_choice":{"type":"function","function":{"name":"get_weather"}},"parallel_tool_calls":false,"max_tokens":10}`},
		{"tool_choice any is required; stream asks for usage", false,
			`{"model":"m","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":{"type":"any"}}`,
			`{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"tool_choice":"required","max_tokens":10,"stream":true,"stream_options":{"include_usage":true}}`},
		{"thinking to reasoning_effort; thinking blocks dropped elsewhere", false,
			`{"model":"m","max_tokens":20000,"thinking":{"type":"enabled","budget_tokens":10000},"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"sig"},{"type":"text","text":"y"}]},{"role":"user","content":"z"}]}`,
			`{"model":"m","messages":[{"role":"user","content":"x"},{"role":"assistant","content":"y"},{"role":"user","content":"z"}],"max_tokens":20000,"reasoning_effort":"medium"}`},
		{"server tools, file-id sources, new thinking modes and unmodelled members kept for Anthropic", true,
			`{"model":"m","max_tokens":10,"mcp_servers":[{"type":"url","url":"https://x","name":"x"}],"thinking":{"type":"adaptive"},"messages":[{"role":"user","content":[{"type":"image","source":{"type":"file","file_id":"file_1"}},{"type":"text","text":"Hi"}]}],"tools":[{"type":"web_search_20250305","name":"web_search","max_uses":2}],"fallbacks":null}`,
			`{"model":"m","messages":[{"role":"user","content":[{"type":"anthropic","anthropic_block":{"type":"image","source":{"type":"file","file_id":"file_1"}}},{"type":"text","text":"Hi"}]}],"tools":[{"type":"anthropic","function":{"name":""},"anthropic_tool":{"type":"web_search_20250305","name":"web_search","max_uses":2}}],"max_tokens":10,"anthropic_members":{"mcp_servers":[{"type":"url","url":"https://x","name":"x"}]},"thinking":{"type":"adaptive"}}`},
		{"unmodelled members dropped elsewhere", false,
			`{"model":"m","max_tokens":10,"mcp_servers":[],"service_tier":"auto","messages":[{"role":"user","content":"Hi"}]}`,
			`{"model":"m","messages":[{"role":"user","content":"Hi"}],"max_tokens":10}`},
		{"thinking kept exactly for Anthropic, with earlier thinking blocks", true,
			`{"model":"m","max_tokens":20000,"thinking":{"type":"enabled","budget_tokens":1500},"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"sig"},{"type":"redacted_thinking","data":"abc"},{"type":"tool_use","id":"t","name":"f","input":{}}]}]}`,
			`{"model":"m","messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{}"}}],"thinking_blocks":[{"type":"thinking","thinking":"hmm","signature":"sig"},{"type":"redacted_thinking","data":"abc"}]}],"max_tokens":20000,"reasoning_effort":"minimal","thinking":{"type":"enabled","budget_tokens":1500}}`},
		{"gateway members provider and fallbacks", false,
			`{"model":"gpt-4o","provider":"openai","fallbacks":["groq/llama"],"max_tokens":5,"messages":[{"role":"user","content":"x"}]}`,
			`{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"max_tokens":5,"provider":"openai","fallbacks":["groq/llama"]}`},
	}
	var in anthropic.Inbound
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := toChat(t, &in, c.req, c.native)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

func TestInboundErrors(t *testing.T) {
	cases := []struct{ name, req, want string }{
		{"no max_tokens", `{"model":"m","messages":[{"role":"user","content":"x"}]}`, "max_tokens"},
		{"no model", `{"max_tokens":1,"messages":[{"role":"user","content":"x"}]}`, "model"},
		{"no messages", `{"model":"m","max_tokens":1,"messages":[]}`, "at least one message"},
		{"bad role", `{"model":"m","max_tokens":1,"messages":[{"role":"system","content":"x"}]}`, "messages.0: role"},
		{"server tool", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tools":[{"type":"web_search_20250305","name":"web_search"}]}`, "server tool"},
		{"file id source", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"file","file_id":"f"}}]}]}`, `source type "file"`},
		{"unknown block", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"search_result"}]}]}`, "messages.0: content.0"},
		{"small thinking budget", `{"model":"m","max_tokens":10,"thinking":{"type":"enabled","budget_tokens":100},"messages":[{"role":"user","content":"x"}]}`, "budget_tokens"},
		{"bad tool_choice", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"sometimes"}}`, "tool_choice.type"},
	}
	var in anthropic.Inbound
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := toChat(t, &in, c.req, false)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestEffortFor(t *testing.T) {
	for budget, want := range map[int]string{1024: "minimal", 2047: "minimal", 2048: "low", 8191: "low", 8192: "medium", 16384: "high", 64000: "high"} {
		if got := anthropic.EffortFor(budget); got != want {
			t.Errorf("EffortFor(%d) = %s, want %s", budget, got, want)
		}
		// Round trip: the effort's budget never exceeds the client's.
		if b, _ := anthropic.ThinkingBudget(anthropic.EffortFor(budget)); b > budget {
			t.Errorf("budget %d became %d", budget, b)
		}
	}
}
