package jsonscan

import (
	"encoding/json"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters/anthropic"
	"github.com/mailru/easyjson"
)

// TestScanMessages: which Messages bodies the scanner takes, and what AppendRequest makes
// of them.
func TestScanMessages(t *testing.T) {
	const msgs = `"messages":[{"role":"user","content":"hi"}]`
	const head = `{"model":"anthropic/claude-sonnet-4-5","max_tokens":64,`
	for _, c := range []struct {
		name, body, want string // want "" declines
	}{
		{"plain", head + msgs + `}`, `{"model":"claude-sonnet-4-5","max_tokens":64,` + msgs + `}`},
		{"gateway members removed", `{"provider":"anthropic","model":"m","max_tokens":1,` + msgs + `,"fallbacks":["anthropic/x"]}`,
			`{"model":"claude-sonnet-4-5","max_tokens":1,` + msgs + `}`},
		{"stream, system blocks, tools, unknown members kept", head + `"stream":true,"system":[{"type":"text","text":"S","cache_control":{"type":"ephemeral"}}],` +
			`"messages":[{"role":"user","content":[{"type":"container_upload","file_id":"f1"}]},{"role":"assistant","content":[{"type":"server_tool_use","id":"s","name":"web_search","input":{}}]}],` +
			`"tools":[{"type":"web_search_20250305","name":"web_search","max_uses":2}],"tool_choice":{"type":"any"},"thinking":{"type":"adaptive"},` +
			`"mcp_servers":[{"type":"url","url":"https://x"}],"service_tier":"auto","top_k":3,"temperature":0.5,"stop_sequences":["E"],"metadata":{"user_id":"u"}}`,
			`{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"system":[{"type":"text","text":"S","cache_control":{"type":"ephemeral"}}],` +
				`"messages":[{"role":"user","content":[{"type":"container_upload","file_id":"f1"}]},{"role":"assistant","content":[{"type":"server_tool_use","id":"s","name":"web_search","input":{}}]}],` +
				`"tools":[{"type":"web_search_20250305","name":"web_search","max_uses":2}],"tool_choice":{"type":"any"},"thinking":{"type":"adaptive"},` +
				`"mcp_servers":[{"type":"url","url":"https://x"}],"service_tier":"auto","top_k":3,"temperature":0.5,"stop_sequences":["E"],"metadata":{"user_id":"u"}}`},
		{"null content and system", head + `"system":null,"messages":[{"role":"user","content":null}]}`,
			`{"model":"claude-sonnet-4-5","max_tokens":64,"system":null,"messages":[{"role":"user","content":null}]}`},
		// declined: the decoding path answers these as before
		{"no model", `{"max_tokens":64,` + msgs + `}`, ""},
		{"no max_tokens", `{"model":"m",` + msgs + `}`, ""},
		{"max_tokens zero", `{"model":"m","max_tokens":0,` + msgs + `}`, ""},
		{"max_tokens null", `{"model":"m","max_tokens":null,` + msgs + `}`, ""},
		{"max_tokens fraction", `{"model":"m","max_tokens":1.5,` + msgs + `}`, ""},
		{"no messages", `{"model":"m","max_tokens":1}`, ""},
		{"empty messages", `{"model":"m","max_tokens":1,"messages":[]}`, ""},
		{"system role", head + `"messages":[{"role":"system","content":"x"}]}`, ""},
		{"no role", head + `"messages":[{"content":"x"}]}`, ""},
		{"escaped role", head + `"messages":[{"role":"us\u0065r","content":"x"}]}`, ""},
		{"content a number", head + `"messages":[{"role":"user","content":5}]}`, ""},
		{"block not an object", head + `"messages":[{"role":"user","content":["x"]}]}`, ""},
		{"block text a number", head + `"messages":[{"role":"user","content":[{"type":"text","text":5}]}]}`, ""},
		{"system a number", head + `"system":1,` + msgs + `}`, ""},
		{"tools not an array", head + msgs + `,"tools":{}}`, ""},
		{"tool_choice a string", head + msgs + `,"tool_choice":"auto"}`, ""},
		{"budget a string", head + msgs + `,"thinking":{"type":"enabled","budget_tokens":"2048"}}`, ""},
		{"stream a string", head + msgs + `,"stream":"yes"}`, ""},
		{"duplicate model", head + `"model":"x",` + msgs + `}`, ""},
		{"invalid json", head + msgs + `,}`, ""},
		// The decoder types a block's source as an object (image, document): a string fails it.
		{"source a string", head + `"messages":[{"role":"user","content":[{"type":"search_result","source":"https://x","title":"t","content":[]}]}]}`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var r Request
			ok := ScanRequest([]byte(c.body), Messages, &r)
			if ok != (c.want != "") {
				t.Fatalf("ScanRequest = %v, want %v", ok, c.want != "")
			}
			if !ok {
				return
			}
			got := string(AppendRequest(nil, []byte(c.body), &r, "claude-sonnet-4-5", false))
			if got != c.want {
				t.Errorf("AppendRequest:\n got %s\nwant %s", got, c.want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("AppendRequest made invalid JSON: %s", got)
			}
			if err := easyjson.Unmarshal([]byte(c.body), &anthropic.MessagesRequest{}); err != nil {
				t.Errorf("the gateway's decoder refuses a body the scanner took: %v", err)
			}
		})
	}
}

// TestScanAnthropicType: the top-level type of an answer or event, not a nested one.
func TestScanAnthropicType(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{`{"type":"message_start","message":{"type":"message","usage":{"input_tokens":1}}}`, `"message_start"`},
		{`{"error":{"type":"overloaded_error","message":"x"},"type":"error"}`, `"error"`},
		{`{"message":{"type":"message"}}`, ``},
		{`{"id":"m","type":"message","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn"}`, `"message"`},
	} {
		var a Answer
		if !ScanAnthropic([]byte(c.body), &a) {
			t.Fatalf("declined %s", c.body)
		}
		if got := string(a.Type.Of([]byte(c.body))); got != c.want {
			t.Errorf("%s: type %s, want %s", c.body, got, c.want)
		}
	}
}
