package bedrock

import (
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

// The decoders must never panic, and what they accept must encode as valid JSON for the
// client. Seeds are in testdata/fuzz.

func FuzzDecodeChat(f *testing.F) {
	f.Add([]byte(`{"output":{"message":{"role":"assistant","content":[{"text":"Hi"},{"toolUse":{"toolUseId":"t","name":"f","input":{"a":[1,"\u00e9"]}}}]}},"stopReason":"tool_use","usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3,"cacheReadInputTokens":4}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var out schemas.ChatResponse
		if (Codec{}).DecodeChat(body, &out) != nil {
			return
		}
		var w jwriter.Writer
		out.MarshalEasyJSON(&w)
		b, err := w.BuildBytes()
		if err != nil || !validJSON(b) {
			t.Fatalf("decoded %q into invalid JSON %q", body, b)
		}
	})
}

func FuzzDecodeChatEvent(f *testing.F) {
	f.Add("contentBlockStart", []byte(`{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"t","name":"f"}}}`))
	f.Add("contentBlockDelta", []byte(`{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"a\":"}}}`))
	f.Add("metadata", []byte(`{"usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3}}`))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		var st provider.StreamState
		st.Reset(1, "m", 0)
		var out schemas.ChatStreamChunk
		// Twice, so that a tool call's start and its deltas meet.
		for i := 0; i < 2; i++ {
			out.Reset()
			step, err := Codec{}.DecodeChatEvent(provider.Event{Name: []byte(name), Data: data}, &st, &out)
			if err != nil || step != provider.StepChunk {
				continue
			}
			var w jwriter.Writer
			out.MarshalEasyJSON(&w)
			b, err := w.BuildBytes()
			if err != nil || !validJSON(b) {
				t.Fatalf("decoded %s %q into invalid JSON %q", name, data, b)
			}
		}
	})
}

func FuzzDecodeEmbedding(f *testing.F) {
	f.Add([]byte(`{"embedding":[0.1],"inputTextTokenCount":1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var out schemas.EmbeddingResponse
		if (Codec{}).DecodeEmbedding(body, &out) != nil {
			return
		}
		var w jwriter.Writer
		out.MarshalEasyJSON(&w)
		b, err := w.BuildBytes()
		if err != nil || !validJSON(b) {
			t.Fatalf("decoded %q into invalid JSON %q", body, b)
		}
	})
}

func FuzzDecodeError(f *testing.F) {
	f.Add(400, []byte(`{"message":"bad","__type":"x#ValidationException"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		var out schemas.ErrorBody
		Codec{}.DecodeError(status, body, &out)
		if out.Message == "" || out.Type == "" {
			t.Fatalf("no message or type for %d %q: %+v", status, body, out)
		}
	})
}
