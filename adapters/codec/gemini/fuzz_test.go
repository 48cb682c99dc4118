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
	f.Fuzz(func(t *testing.T, body []byte) {
		var out schemas.ChatResponse
		if err := DecodeChat(body, &out); err != nil {
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
	f.Fuzz(func(t *testing.T, first, second []byte) {
		var st provider.StreamState
		st.Reset(1, "m", 0)
		for _, data := range [][]byte{first, second} {
			var out schemas.ChatStreamChunk
			step, err := DecodeChatEvent(provider.Event{Data: data}, &st, &out)
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
		DecodeError(status, body, &out)
		if out.Message == "" || out.Type == "" {
			t.Fatalf("DecodeError(%d, %q) = %+v", status, body, out)
		}
	})
}
