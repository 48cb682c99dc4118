package cohere

import (
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

// The fuzz targets check that the decoders never panic and that whatever they accept
// re-encodes as valid JSON. Seeds are in testdata/fuzz/<target>/ (make fuzz runs them).

func FuzzDecodeChat(f *testing.F) {
	f.Add(load(f, "chat_response_1kb.json"))
	f.Fuzz(func(t *testing.T, body []byte) {
		var out schemas.ChatResponse
		if (Codec{}).DecodeChat(body, &out) != nil {
			return
		}
		checkJSON(t, &out)
	})
}

func FuzzDecodeChatEvent(f *testing.F) {
	for _, ev := range sseEvents(load(f, "stream_tool.sse")) {
		f.Add(ev.Data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var st provider.StreamState
		st.Reset(1, "m", 1)
		var out schemas.ChatStreamChunk
		step, err := Codec{}.DecodeChatEvent(provider.Event{Data: data}, &st, &out)
		if err != nil || step != provider.StepChunk {
			return
		}
		checkJSON(t, &out)
	})
}

func FuzzDecodeEmbedding(f *testing.F) {
	f.Add([]byte(`{"id":"x","embeddings":{"float":[[0.1,0.2]]},"meta":{"billed_units":{"input_tokens":1}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var out schemas.EmbeddingResponse
		if (Codec{}).DecodeEmbedding(body, &out) != nil {
			return
		}
		checkJSON(t, &out)
	})
}

func FuzzDecodeError(f *testing.F) {
	f.Add(400, []byte(`{"id":"a","message":"invalid request"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		var out schemas.ErrorBody
		Codec{}.DecodeError(status, body, &out)
		if out.Message == "" {
			t.Errorf("no message for %q", body)
		}
	})
}

// checkJSON fails t when v does not encode as valid JSON that decodes back.
func checkJSON(t *testing.T, v interface {
	MarshalEasyJSON(*jwriter.Writer)
}) {
	t.Helper()
	var w jwriter.Writer
	v.MarshalEasyJSON(&w)
	b, err := w.BuildBytes()
	if err != nil {
		t.Fatal(err)
	}
	var back schemas.Raw
	if err := schemas.Decode(b, &back); err != nil {
		t.Fatalf("output is not valid JSON: %v\n%s", err, b)
	}
}
