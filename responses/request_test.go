package responses

import (
	"errors"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson"
)

// TestRefusals checks that what has no translation is refused with the member named.
func TestRefusals(t *testing.T) {
	for _, c := range []struct {
		name, body, param, code string
	}{
		{"no model", `{"input":"hi"}`, "model", CodeMissing},
		{"no input", `{"model":"a/b"}`, "input", CodeMissing},
		{"web_search", `{"model":"a/b","input":"hi","tools":[{"type":"function","name":"f"},{"type":"web_search"}]}`, "tools[1].type", CodeUnsupported},
		{"file_search", `{"model":"a/b","input":"hi","tools":[{"type":"file_search","vector_store_ids":["vs_1"]}]}`, "tools[0].type", CodeUnsupported},
		{"function without name", `{"model":"a/b","input":"hi","tools":[{"type":"function"}]}`, "tools[0].name", CodeMissing},
		{"hosted tool choice", `{"model":"a/b","input":"hi","tool_choice":{"type":"web_search_preview"}}`, "tool_choice.type", CodeUnsupported},
		{"bad tool choice", `{"model":"a/b","input":"hi","tool_choice":"sometimes"}`, "tool_choice", CodeInvalid},
		{"image by file id", `{"model":"a/b","input":[{"role":"user","content":[{"type":"input_text","text":"x"},{"type":"input_image","file_id":"file-1"}]}]}`, "input[0].content[1].file_id", CodeUnsupported},
		{"file_url", `{"model":"a/b","input":[{"role":"user","content":[{"type":"input_file","file_url":"https://x/y.pdf"}]}]}`, "input[0].content[0].file_url", CodeUnsupported},
		{"item reference", `{"model":"a/b","input":[{"type":"item_reference","id":"msg_1"}]}`, "input[0].type", CodeUnsupported},
		{"bad role", `{"model":"a/b","input":[{"role":"robot","content":"x"}]}`, "input[0].role", CodeInvalid},
		{"audio part", `{"model":"a/b","input":[{"role":"user","content":[{"type":"input_audio"},{"type":"input_text","text":"x"}]}]}`, "input[0].content[0].type", CodeUnsupported},
		{"call without id", `{"model":"a/b","input":[{"type":"function_call","name":"f","arguments":"{}"}]}`, "input[0].call_id", CodeMissing},
		{"output without id", `{"model":"a/b","input":[{"type":"function_call_output","output":"x"}]}`, "input[0].call_id", CodeMissing},
		{"zero max_output_tokens", `{"model":"a/b","input":"hi","max_output_tokens":0}`, "max_output_tokens", CodeInvalid},
		{"background", `{"model":"a/b","input":"hi","background":true}`, "background", CodeUnsupported},
		{"conversation", `{"model":"a/b","input":"hi","conversation":"conv_1"}`, "conversation", CodeUnsupported},
		{"prompt template", `{"model":"a/b","input":"hi","prompt":{"id":"pmpt_1"}}`, "prompt", CodeUnsupported},
		{"json schema without schema", `{"model":"a/b","input":"hi","text":{"format":{"type":"json_schema","name":"x"}}}`, "text.format.schema", CodeMissing},
		{"bad format", `{"model":"a/b","input":"hi","text":{"format":{"type":"yaml"}}}`, "text.format.type", CodeInvalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := decodeOK(t, c.body)
			var chat schemas.ChatRequest
			err := r.ToChat(&chat, nil)
			var pe *ParamError
			if !errors.As(err, &pe) || pe.Param != c.param || pe.Code != c.code || !strings.Contains(pe.Message, c.param) {
				t.Fatalf("got %#v, want param %q code %q", err, c.param, c.code)
			}
		})
	}
}

// TestAccepted checks members that translate or are harmless to drop.
func TestAccepted(t *testing.T) {
	for _, body := range []string{
		`{"model":"a/b","input":"hi","background":false,"truncation":"auto","service_tier":"auto","prompt_cache_key":"k","stream_options":{"include_obfuscation":false}}`,
		`{"model":"a/b","input":"hi","text":{"format":{"type":"json_object"},"verbosity":"low"}}`,
		`{"model":"a/b","input":[{"type":"reasoning","summary":[],"encrypted_content":"x"},{"role":"assistant","content":"a"}]}`,
		`{"model":"a/b","input":"hi","include":["reasoning.encrypted_content"],"store":false,"safety_identifier":"s"}`,
	} {
		r := decodeOK(t, body)
		var chat schemas.ChatRequest
		if err := r.ToChat(&chat, nil); err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
}

// TestDecodeErrors checks that malformed JSON is a decode error, not a panic.
func TestDecodeErrors(t *testing.T) {
	for _, body := range []string{``, `{`, `{"model":1}`, `{"input":[{"role":"user","content":[}]}`, `[]`, `{"tools":{}}`, `{"input":"x"} trailing`} {
		var r Request
		if err := r.Decode([]byte(body)); err == nil {
			t.Errorf("%q decoded without error", body)
		}
	}
}

// TestHistory checks that a stored record carries the conversation: a continuation's
// history is the previous history, its input and its output, which decode back to items.
func TestHistory(t *testing.T) {
	r1 := decodeOK(t, `{"model":"a/b","input":"Weather?","tools":[{"type":"function","name":"w"}]}`)
	var e Encoder
	var resp schemas.ChatResponse
	if err := easyjson.Unmarshal([]byte(`{"choices":[{"message":{"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"w","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}`), &resp); err != nil {
		t.Fatal(err)
	}
	e.FromChat(testMeta(r1), &resp)
	rec1 := NewRecord(r1, &e, []byte(`{}`), nil)
	if string(rec1.Input) != `[{"type":"message","role":"user","content":"Weather?"}]` {
		t.Errorf("input %s", rec1.Input)
	}
	r2 := decodeOK(t, `{"model":"a/b","previous_response_id":"resp_x","input":[{"type":"function_call_output","call_id":"call_1","output":"sunny"}]}`)
	hist, err := DecodeItems(rec1.History, nil)
	if err != nil {
		t.Fatal(err)
	}
	var chat schemas.ChatRequest
	if err := r2.ToChat(&chat, hist); err != nil {
		t.Fatal(err)
	}
	if len(chat.Messages) != 3 || chat.Messages[0].Role != "user" || chat.Messages[1].ToolCalls[0].ID != "call_1" ||
		chat.Messages[2].Role != "tool" || chat.Messages[2].Content.Text.String() != "sunny" {
		out, _ := easyjson.Marshal(&chat)
		t.Fatalf("chat %s", out)
	}
	e.Reset()
	rec2 := NewRecord(r2, &e, []byte(`{}`), rec1.History)
	items, err := SplitItems(rec2.History)
	if err != nil || len(items) != 3 {
		t.Fatalf("history %s: %v", rec2.History, err)
	}
}

// TestThinkingRoundTrip checks that a provider's thinking blocks go out as a reasoning item's
// encrypted_content and come back, from the stored history, on the next assistant message.
func TestThinkingRoundTrip(t *testing.T) {
	r1 := decodeOK(t, `{"model":"anthropic/claude-sonnet-4-5","input":"Weather?","reasoning":{"effort":"low"}}`)
	var resp schemas.ChatResponse
	if err := easyjson.Unmarshal([]byte(`{"choices":[{"message":{"role":"assistant","reasoning_content":"Use the tool.",`+
		`"thinking_blocks":[{"type":"thinking","thinking":"Use the tool.","signature":"c2ln"}],`+
		`"tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"w","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}`), &resp); err != nil {
		t.Fatal(err)
	}
	var e Encoder
	e.FromChat(testMeta(r1), &resp)
	if !strings.Contains(string(e.Output()), `"encrypted_content":"[{\"type\":\"thinking\",\"thinking\":\"Use the tool.\",\"signature\":\"c2ln\"}]"`) {
		t.Fatalf("output %s", e.Output())
	}
	rec := NewRecord(r1, &e, nil, nil)
	hist, err := DecodeItems(rec.History, nil)
	if err != nil {
		t.Fatal(err)
	}
	r2 := decodeOK(t, `{"model":"anthropic/claude-sonnet-4-5","input":[{"type":"function_call_output","call_id":"toolu_1","output":"sunny"}]}`)
	var chat schemas.ChatRequest
	if err := r2.ToChat(&chat, hist); err != nil {
		t.Fatal(err)
	}
	m := &chat.Messages[1]
	if m.Role != "assistant" || string(ThinkingBlocks(&m.Extras)) != `[{"type":"thinking","thinking":"Use the tool.","signature":"c2ln"}]` ||
		m.ReasoningContent.String() != "Use the tool." || len(m.ToolCalls) != 1 {
		out, _ := easyjson.Marshal(&chat)
		t.Fatalf("chat %s", out)
	}
	// OpenAI's own encrypted reasoning is not ours: it is dropped.
	r3 := decodeOK(t, `{"model":"a/b","input":[{"type":"reasoning","summary":[],"encrypted_content":"gAAAAB"},{"role":"assistant","content":"x"}]}`)
	chat = schemas.ChatRequest{}
	if err := r3.ToChat(&chat, nil); err != nil || ThinkingBlocks(&chat.Messages[0].Extras) != nil {
		t.Errorf("%v %+v", err, chat.Messages)
	}
}
