package schemas

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/mailru/easyjson/jwriter"
)

// fuzzRoundTrip checks what a decoder accepts: it must never panic, and whatever it accepts
// must encode to valid JSON that decodes again.
func fuzzRoundTrip(t *testing.T, data []byte, v, again codec) {
	if Decode(data, v) != nil {
		return
	}
	var w jwriter.Writer
	v.MarshalEasyJSON(&w)
	out, err := w.BuildBytes()
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	if !json.Valid(out) {
		t.Fatalf("accepted %q but encoded invalid JSON %q", data, out)
	}
	if err := Decode(out, again); err != nil {
		t.Fatalf("accepted %q, encoded %q, which does not decode: %v", data, out, err)
	}
}

func seeds(f *testing.F, files ...string) {
	for _, name := range files {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{`{}`, `null`, `{"model":"a","messages":[{"role":"user","content":[{"type":"text","text":"\u00e9\n"}]}]}`,
		`{"model":"a","input":[[1,2],[3]]}`, `{"stop":"x","tool_choice":"auto","x":{"y":[1,{"z":null}]}}`} {
		f.Add([]byte(s))
	}
}

func FuzzChatRequest(f *testing.F) {
	seeds(f, "chat_request.json")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRoundTrip(t, data, &ChatRequest{}, &ChatRequest{}) })
}

func FuzzChatResponse(f *testing.F) {
	seeds(f, "chat_response.json")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRoundTrip(t, data, &ChatResponse{}, &ChatResponse{}) })
}

func FuzzChatStreamChunk(f *testing.F) {
	seeds(f, "chat_response.json")
	f.Add([]byte(`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a"}}]},"finish_reason":null}],"usage":null}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRoundTrip(t, data, &ChatStreamChunk{}, &ChatStreamChunk{}) })
}

func FuzzEmbeddingRequest(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRoundTrip(t, data, &EmbeddingRequest{}, &EmbeddingRequest{}) })
}

func FuzzTextRequest(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRoundTrip(t, data, &TextRequest{}, &TextRequest{}) })
}
