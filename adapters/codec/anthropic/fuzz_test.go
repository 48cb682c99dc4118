package anthropic_test

import (
	"encoding/json"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters/codec/anthropic"
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
		if err := anthropic.DecodeChat(body, &out); err != nil {
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
		step, err := anthropic.DecodeChatEvent(provider.Event{Name: name, Data: data}, &st, &out)
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
		if anthropic.EncodeChat(&w, &r) != nil {
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
		anthropic.DecodeError(status, body, &out)
		if out.Message == "" || out.Type == "" {
			t.Fatalf("DecodeError(%d, %q) = %+v: no message or type", status, body, out)
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
