package gemini

import (
	"encoding/json"
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

// The seeds are in testdata/fuzz/<target>/.

// FuzzDecodeChat checks that any body either fails to decode or gives a response that
// encodes as valid JSON.
func FuzzDecodeChat(f *testing.F) {
	f.Add([]byte(`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"a":1}},"thoughtSignature":"CiQB+/=="},{"functionCall":{"id":"x","name":"g"},"thoughtSignature":"\u0022"}]},"finishReason":"STOP"}],"responseId":"r"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var out schemas.ChatResponse
		if err := (Codec{}).DecodeChat(body, &out); err != nil {
			return
		}
		var w jwriter.Writer
		out.MarshalEasyJSON(&w)
		b, err := w.BuildBytes()
		if err != nil || !json.Valid(b) {
			t.Fatalf("decoded %q into invalid JSON %s (%v)", body, b, err)
		}
	})
}

// FuzzDecodeChatEvent runs two events through one stream state and checks every chunk
// encodes as valid JSON.
func FuzzDecodeChatEvent(f *testing.F) {
	f.Add([]byte(`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{}},"thoughtSignature":"Ep0B+q9Z"}]},"index":0}],"responseId":"r"}`),
		[]byte(`{"candidates":[{"content":{"parts":[{"text":""}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":1}}`))
	f.Fuzz(func(t *testing.T, first, second []byte) {
		var st provider.StreamState
		st.Reset(1, "m", 0)
		for _, data := range [][]byte{first, second} {
			var out schemas.ChatStreamChunk
			step, err := Codec{}.DecodeChatEvent(provider.Event{Data: data}, &st, &out)
			if err != nil || step != provider.StepChunk {
				continue
			}
			var w jwriter.Writer
			out.MarshalEasyJSON(&w)
			b, err := w.BuildBytes()
			if err != nil || !json.Valid(b) {
				t.Fatalf("decoded %q into invalid JSON %s (%v)", data, b, err)
			}
		}
	})
}

// FuzzDecodeError checks that any error body gives a message.
func FuzzDecodeError(f *testing.F) {
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		var out schemas.ErrorBody
		Codec{}.DecodeError(status, body, &out)
		if out.Message == "" || out.Type == "" {
			t.Fatalf("Codec{}.DecodeError(%d, %q) = %+v", status, body, out)
		}
	})
}

// FuzzEncodeChat checks that no unified request, tool-call ids with thought signatures
// included, makes EncodeChat write a body that is not valid JSON.
func FuzzEncodeChat(f *testing.F) {
	f.Add([]byte(`{"model":"gemini-3-pro-preview","messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"c__thought__ab-_c","type":"function","function":{"name":"f","arguments":"{}"},"extra_content":{"google":{"thought_signature":"c2ln"}}}]},{"role":"tool","tool_call_id":"c__thought__ab-_c","content":"ok"}],"reasoning_effort":"medium"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var r schemas.ChatRequest
		if schemas.Decode(body, &r) != nil {
			return
		}
		var w jwriter.Writer
		if (Codec{}).EncodeChat(&w, &r) != nil {
			return
		}
		if b, err := w.BuildBytes(); err != nil || !json.Valid(b) {
			t.Fatalf("request %q encoded as invalid JSON %q (%v)", body, b, err)
		}
	})
}
