package cohere

import (
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

func TestEncodeEmbedding(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"one string",
			`{"model":"embed-v4.0","input":"hello"}`,
			`{"model":"embed-v4.0","texts":["hello"],"input_type":"search_document","embedding_types":["float"]}`},
		{"strings, base64, dimensions",
			`{"model":"embed-v4.0","input":["a","b"],"encoding_format":"base64","dimensions":256,"user":"u"}`,
			`{"model":"embed-v4.0","texts":["a","b"],"input_type":"search_document","embedding_types":["base64"],"output_dimension":256}`},
		{"input_type and truncate from the client",
			`{"model":"embed-english-v3.0","input":["q"],"input_type":"search_query","truncate":"END"}`,
			`{"model":"embed-english-v3.0","texts":["q"],"input_type":"search_query","embedding_types":["float"],"truncate":"END"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r schemas.EmbeddingRequest
			if err := schemas.Decode([]byte(tc.in), &r); err != nil {
				t.Fatal(err)
			}
			var w jwriter.Writer
			if err := (Codec{}).EncodeEmbedding(&w, &r); err != nil {
				t.Fatal(err)
			}
			if got := string(w.Buffer.BuildBytes()); got != tc.want {
				t.Errorf("body\n got %s\nwant %s", got, tc.want)
			}
		})
	}
	var r schemas.EmbeddingRequest
	if err := schemas.Decode([]byte(`{"model":"m","input":[1,2,3]}`), &r); err != nil {
		t.Fatal(err)
	}
	var w jwriter.Writer
	if err := (Codec{}).EncodeEmbedding(&w, &r); err == nil {
		t.Error("token input: want an error")
	}
}

func TestDecodeEmbedding(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"float",
			`{"id":"da6e531f-54c6-4a73-bf92-f60566d8d753","embeddings":{"float":[[0.016296387,-0.008354187],[-0.0115737915,0.02432251]]},"texts":["hello","goodbye"],"meta":{"api_version":{"version":"2"},"billed_units":{"input_tokens":2}},"response_type":"embeddings_by_type"}`,
			`{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.016296387,-0.008354187]},{"object":"embedding","index":1,"embedding":[-0.0115737915,0.02432251]}],"model":"","usage":{"prompt_tokens":2,"total_tokens":2}}`},
		{"base64 and tokens",
			`{"id":"x","embeddings":{"base64":["AACAPwAAAEA="]},"meta":{"billed_units":{"input_tokens":1},"tokens":{"input_tokens":3}}}`,
			`{"object":"list","data":[{"object":"embedding","index":0,"embedding":"AACAPwAAAEA="}],"model":"","usage":{"prompt_tokens":3,"total_tokens":3}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out schemas.EmbeddingResponse
			if err := (Codec{}).DecodeEmbedding([]byte(tc.in), &out); err != nil {
				t.Fatal(err)
			}
			var w jwriter.Writer
			out.MarshalEasyJSON(&w)
			if got := string(w.Buffer.BuildBytes()); got != tc.want {
				t.Errorf("response\n got %s\nwant %s", got, tc.want)
			}
		})
	}
	var out schemas.EmbeddingResponse
	if err := (Codec{}).DecodeEmbedding([]byte(`{"embeddings":{"float":[[1],`), &out); err == nil {
		t.Error("truncated: want an error")
	}
}
