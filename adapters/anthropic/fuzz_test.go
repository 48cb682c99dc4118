package anthropic_test

import (
	"encoding/json"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters/anthropic"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

// The fuzz targets check that no provider body makes a decoder panic or write JSON that is
// not valid, and that no client request makes the encoder write an invalid body. Seeds are
// in testdata/fuzz/<target>/ and the f.Add calls.

func FuzzDecodeChat(f *testing.F) {
	f.Add([]byte(`{"id":"msg_1","model":"m","stop_reason":"tool_use","content":[{"type":"text","text":"a"},{"type":"thinking","thinking":"t","signature":"s"},{"type":"tool_use","id":"t","name":"f","input":{"a":"\u00e9\n"}}],"usage":{"input_tokens":1,"output_tokens":2}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var out schemas.ChatResponse
		if err := (anthropic.Codec{}).DecodeChat(body, &out); err != nil {
			return
		}
		checkJSON(t, &out, body)
	})
}

func FuzzDecodeChatEvent(f *testing.F) {
	f.Add([]byte("content_block_delta"), []byte(`{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\""}}`))
	f.Add([]byte("message_delta"), []byte(`{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":3,"input_tokens":2}}`))
	f.Add([]byte(""), []byte(`{"type":"message_start","message":{"id":"msg_1","model":"m","content":[],"usage":{"input_tokens":1,"output_tokens":1}}}`))
	f.Fuzz(func(t *testing.T, name, data []byte) {
		var st provider.StreamState
		st.Reset(1, "m", 1)
		st.BeginTool(1)
		var out schemas.ChatStreamChunk
		step, err := anthropic.Codec{}.DecodeChatEvent(provider.Event{Name: name, Data: data}, &st, &out)
		if err != nil || step != provider.StepChunk {
			return
		}
		checkJSON(t, &out, data)
	})
}

func FuzzEncodeChat(f *testing.F) {
	f.Add([]byte(`{"model":"m","messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AA=="}}]},{"role":"assistant","tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{\"a\":\"\\u00e9\"}"}}]},{"role":"tool","tool_call_id":"t","content":"r"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"required"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var r schemas.ChatRequest
		if schemas.Decode(body, &r) != nil {
			return
		}
		var w jwriter.Writer
		if (anthropic.Codec{}).EncodeChat(&w, &r) != nil {
			return
		}
		out, err := w.BuildBytes()
		if err != nil || !json.Valid(out) {
			t.Fatalf("request %s encoded as invalid JSON: %s", body, out)
		}
	})
}

func FuzzDecodeError(f *testing.F) {
	f.Add(529, []byte(`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		var out schemas.ErrorBody
		anthropic.Codec{}.DecodeError(status, body, &out)
		if out.Message == "" || out.Type == "" {
			t.Fatalf("Codec{}.DecodeError(%d, %q) = %+v: no message or type", status, body, out)
		}
	})
}

func checkJSON(t *testing.T, v interface{ MarshalEasyJSON(*jwriter.Writer) }, in []byte) {
	t.Helper()
	var w jwriter.Writer
	v.MarshalEasyJSON(&w)
	b, err := w.BuildBytes()
	if err != nil || !json.Valid(b) {
		t.Fatalf("input %q gave invalid JSON %q (%v)", in, b, err)
	}
}

// FuzzInbound feeds native Messages requests, as the drop-in endpoint gets them, through
// Inbound.Decode and ToChat (for Anthropic and for another provider): no body may make them
// panic, and a request they accept must marshal as a unified request that is valid JSON and
// decodes again. For Anthropic, the unified request must also encode (or be refused) cleanly.
func FuzzInbound(f *testing.F) {
	seeds := []string{
		`{"model":"claude-sonnet-4-5","max_tokens":100,"system":"Be brief.","messages":[{"role":"user","content":"Hi"}],"temperature":0.5,"top_p":0.9,"top_k":40,"stop_sequences":["END","\n\n"],"metadata":{"user_id":"u-1"}}`,
		`{"model":"m","max_tokens":10,"system":[{"type":"text","text":"A","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},{"type":"image","source":{"type":"url","url":"https://example.com/a.jpg"}},{"type":"document","title":"paper.pdf","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0="}},{"type":"document","source":{"type":"text","media_type":"text/plain","data":"plain doc"}},{"type":"text","text":"Describe \u00e9."}]}]}`,
		`{"model":"openai/gpt-4o","max_tokens":10,"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","content":[{"type":"text","text":"Let me look."},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris \"FR\""}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"18C"}],"is_error":false},{"type":"text","text":"And tomorrow?"}]}],"tools":[{"name":"get_weather","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}},"cache_control":{"type":"ephemeral"}}],"tool_choice":{"type":"tool","name":"get_weather","disable_parallel_tool_use":true}}`,
		`{"model":"m","max_tokens":20000,"stream":true,"thinking":{"type":"enabled","budget_tokens":10000},"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"sig"},{"type":"redacted_thinking","data":"EmwK"},{"type":"text","text":"y"}]},{"role":"user","content":"z"}],"provider":"anthropic","fallbacks":["openai/gpt-4o"]}`,
		`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"file","file_id":"file_1"}}]}],"tools":[{"type":"web_search_20250305","name":"web_search"}],"tool_choice":{"type":"none"}}`,
		`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":null},{"role":"assistant","content":[]}]}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, body []byte, native bool) {
		var in anthropic.Inbound
		if in.Decode(body) != nil {
			return
		}
		in.Route()
		var out schemas.ChatRequest
		if in.ToChat(&out, native) != nil {
			return
		}
		var w jwriter.Writer
		out.MarshalEasyJSON(&w)
		b, err := w.BuildBytes()
		if err != nil || !json.Valid(b) {
			t.Fatalf("request %q became invalid unified JSON %q (%v)", body, b, err)
		}
		var again schemas.ChatRequest
		if err := schemas.Decode(b, &again); err != nil {
			t.Fatalf("request %q became unified JSON %s that does not decode: %v", body, b, err)
		}
		if !native {
			return
		}
		var pw jwriter.Writer
		if (anthropic.Codec{}).EncodeChat(&pw, &out) != nil {
			return
		}
		if p, err := pw.BuildBytes(); err != nil || !json.Valid(p) {
			t.Fatalf("request %q was encoded for Anthropic as invalid JSON %q (%v)", body, p, err)
		}
	})
}
