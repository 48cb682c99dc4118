package gemini

import (
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

func TestDecodeChat(t *testing.T) {
	const usage = `"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}`
	for _, tc := range []struct {
		name, body, want, err string
	}{
		{
			name: "text with cached and thought tokens",
			body: `{"candidates":[{"content":{"parts":[{"text":"Hello"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":100,"candidatesTokenCount":20,"totalTokenCount":150,"cachedContentTokenCount":60,"thoughtsTokenCount":30},"modelVersion":"gemini-2.5-flash","responseId":"r1"}`,
			want: `{"id":"r1","object":"chat.completion","created":0,"model":"gemini-2.5-flash","choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":100,"completion_tokens":50,"total_tokens":150,"prompt_tokens_details":{"cached_tokens":60,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":30,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}`,
		},
		{
			name: "parts joined, thoughts apart",
			body: `{"candidates":[{"content":{"parts":[{"text":"I think","thought":true},{"text":"Hello"},{"text":", \"world\"\n"}],"role":"model"},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":5,"totalTokenCount":15},"responseId":"r2"}`,
			want: `{"id":"r2","object":"chat.completion","created":0,"model":"","choices":[{"index":0,"message":{"role":"assistant","content":"Hello, \"world\"\n","reasoning_content":"I think"},"finish_reason":"stop"}],` + usage + `}`,
		},
		{
			name: "function calls",
			body: `{"candidates":[{"content":{"parts":[{"functionCall":{"name":"get_weather","args":{"city": "Paris"}}},{"functionCall":{"id":"fc-1","name":"get_time"}}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":5,"totalTokenCount":15},"responseId":"r3"}`,
			want: `{"id":"r3","object":"chat.completion","created":0,"model":"","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"` + toolCallID("r3", 0, 0, "get_weather") + `","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},{"id":"fc-1","type":"function","function":{"name":"get_time","arguments":"{}"}}]},"finish_reason":"tool_calls"}],` + usage + `}`,
		},
		{
			name: "max tokens",
			body: `{"candidates":[{"content":{"parts":[{"text":"Once"}],"role":"model"},"finishReason":"MAX_TOKENS"}]}`,
			want: `{"id":"","object":"chat.completion","created":0,"model":"","choices":[{"index":0,"message":{"role":"assistant","content":"Once"},"finish_reason":"length"}]}`,
		},
		{
			name: "safety with no content",
			body: `{"candidates":[{"finishReason":"SAFETY","index":0,"safetyRatings":[{"category":"HARM_CATEGORY_HARASSMENT","probability":"HIGH"}]}]}`,
			want: `{"id":"","object":"chat.completion","created":0,"model":"","choices":[{"index":0,"message":{"role":"assistant","content":null},"finish_reason":"content_filter"}]}`,
		},
		{
			name: "prompt blocked",
			body: `{"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[]},"usageMetadata":{"promptTokenCount":8,"totalTokenCount":8}}`,
			want: `{"id":"","object":"chat.completion","created":0,"model":"","choices":[{"index":0,"message":{"role":"assistant","content":null},"finish_reason":"content_filter"}],"usage":{"prompt_tokens":8,"completion_tokens":0,"total_tokens":8}}`,
		},
		{
			name: "two candidates",
			body: `{"candidates":[{"content":{"parts":[{"text":"A"}],"role":"model"},"finishReason":"STOP","index":0},{"content":{"parts":[{"text":"B"}],"role":"model"},"finishReason":"RECITATION","index":1}]}`,
			want: `{"id":"","object":"chat.completion","created":0,"model":"","choices":[{"index":0,"message":{"role":"assistant","content":"A"},"finish_reason":"stop"},{"index":1,"message":{"role":"assistant","content":"B"},"finish_reason":"content_filter"}]}`,
		},
		{
			name: "other reasons are stop",
			body: `{"candidates":[{"content":{"parts":[{"text":"A"}]},"finishReason":"MALFORMED_FUNCTION_CALL"}]}`,
			want: `{"id":"","object":"chat.completion","created":0,"model":"","choices":[{"index":0,"message":{"role":"assistant","content":"A"},"finish_reason":"stop"}]}`,
		},
		{name: "not JSON", body: `<html>`, err: "parse error"},
		{name: "truncated", body: `{"candidates":[{"content":`, err: "EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeChat(t, tc.body)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("response\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestToolCallIDStable(t *testing.T) {
	a, b := toolCallID("r", 0, 1, "f"), toolCallID("r", 0, 1, "f")
	if a != b || len(a) != 21 || !strings.HasPrefix(a, "call_") {
		t.Fatalf("ids %q, %q", a, b)
	}
	for _, other := range []string{toolCallID("r", 0, 2, "f"), toolCallID("r", 1, 1, "f"), toolCallID("s", 0, 1, "f"), toolCallID("r", 0, 1, "g")} {
		if other == a {
			t.Errorf("id %q repeats for a different call", a)
		}
	}
}

func TestDecodeChatEvent(t *testing.T) {
	const head = `{"id":"resp-1","object":"chat.completion.chunk","created":0,"model":"gemini-2.0-flash-001","choices":[`
	for _, tc := range []struct {
		name   string
		events []string
		want   []string
	}{
		{
			name: "text",
			events: []string{
				`{"candidates":[{"content":{"parts":[{"text":"Hel"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":4,"totalTokenCount":4},"modelVersion":"gemini-2.0-flash-001","responseId":"resp-1"}`,
				`{"candidates":[{"content":{"parts":[{"text":"lo"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":4,"totalTokenCount":4},"modelVersion":"gemini-2.0-flash-001","responseId":"resp-1"}`,
				`{"candidates":[{"content":{"parts":[{"text":"!"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":3,"totalTokenCount":9,"thoughtsTokenCount":2,"cachedContentTokenCount":1},"modelVersion":"gemini-2.0-flash-001","responseId":"resp-1"}`,
			},
			want: []string{
				head + `{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}`,
				head + `{"index":0,"delta":{"content":"lo"},"finish_reason":null}]}`,
				head + `{"index":0,"delta":{"content":"!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":4,"completion_tokens":5,"total_tokens":9,"prompt_tokens_details":{"cached_tokens":1,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":2,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}`,
			},
		},
		{
			name: "tool calls",
			events: []string{
				`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"a","args":{"x":1}}},{"functionCall":{"name":"b","args":{}}}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":3,"totalTokenCount":7},"modelVersion":"gemini-2.0-flash-001","responseId":"resp-1"}`,
			},
			want: []string{
				head + `{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"` + toolCallID("resp-1", 0, 0, "a") + `","type":"function","function":{"name":"a","arguments":"{\"x\":1}"}},{"index":1,"id":"` + toolCallID("resp-1", 0, 1, "b") + `","type":"function","function":{"name":"b","arguments":"{}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":4,"completion_tokens":3,"total_tokens":7}}`,
			},
		},
		{
			name: "usage only, empty and error events",
			events: []string{
				`{"candidates":[{"content":{"parts":[{"text":"x"}],"role":"model"}}],"modelVersion":"gemini-2.0-flash-001","responseId":"resp-1"}`,
				` `,
				`{"usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":1,"totalTokenCount":5},"responseId":"resp-1"}`,
				`{"modelVersion":"gemini-2.0-flash-001"}`,
				`{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}`,
				`{"candidates":[`,
			},
			want: []string{
				head + `{"index":0,"delta":{"role":"assistant","content":"x"},"finish_reason":null}]}`,
				"skip",
				head + `],"usage":{"prompt_tokens":4,"completion_tokens":1,"total_tokens":5}}`,
				"skip",
				"error",
				"err: ",
			},
		},
		{
			name:   "prompt blocked",
			events: []string{`{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"modelVersion":"gemini-2.0-flash-001","responseId":"resp-1"}`},
			want:   []string{head + `{"index":0,"delta":{"role":"assistant"},"finish_reason":"content_filter"}]}`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := decodeStream(t, tc.events...)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d results, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) || (!strings.HasPrefix(tc.want[i], "err") && got[i] != tc.want[i]) {
					t.Errorf("event %d\n got %s\nwant %s", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestDecodeError(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   schemas.ErrorBody
	}{
		{"invalid key", 400, `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}`,
			schemas.ErrorBody{Message: "API key not valid. Please pass a valid API key.", Type: schemas.ErrInvalidRequest, Code: "INVALID_ARGUMENT"}},
		{"quota", 429, `{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}`,
			schemas.ErrorBody{Message: "Resource has been exhausted (e.g. check quota).", Type: schemas.ErrRateLimit, Code: "RESOURCE_EXHAUSTED"}},
		{"in an array", 500, `[{"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}}]`,
			schemas.ErrorBody{Message: "An internal error has occurred.", Type: schemas.ErrServer, Code: "INTERNAL"}},
		{"stream event uses the body's code", 502, `{"error":{"code":404,"message":"models/x is not found","status":"NOT_FOUND"}}`,
			schemas.ErrorBody{Message: "models/x is not found", Type: schemas.ErrNotFound, Code: "NOT_FOUND"}},
		{"not JSON", 502, `Bad Gateway`, schemas.ErrorBody{Message: "provider returned HTTP 502: Bad Gateway", Type: schemas.ErrServer}},
		{"empty", 503, ``, schemas.ErrorBody{Message: "provider returned HTTP 503 with an empty body", Type: schemas.ErrServer}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got schemas.ErrorBody
			Codec{}.DecodeError(tc.status, []byte(tc.body), &got)
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestEmbeddings(t *testing.T) {
	for _, tc := range []struct{ name, req, want, err string }{
		{"one", `{"model":"text-embedding-004","input":"Hello"}`,
			`{"requests":[{"model":"models/text-embedding-004","content":{"parts":[{"text":"Hello"}]}}]}`, ""},
		{"list with dimensions", `{"model":"gemini-embedding-001","input":["a","b \"c\""],"dimensions":768}`,
			`{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"a"}]},"outputDimensionality":768},{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"b \"c\""}]},"outputDimensionality":768}]}`, ""},
		{"tokens", `{"model":"m","input":[1,2,3]}`, "", "gemini embeds text only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r schemas.EmbeddingRequest
			l := jlexer.Lexer{Data: []byte(tc.req)}
			r.UnmarshalEasyJSON(&l)
			if err := l.Error(); err != nil {
				t.Fatal(err)
			}
			var w jwriter.Writer
			err := Codec{}.EncodeEmbedding(&w, &r)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			b, _ := w.BuildBytes()
			if err != nil || string(b) != tc.want {
				t.Errorf("got %s, %v\nwant %s", b, err, tc.want)
			}
		})
	}
	for body, want := range map[string]string{
		`{"embeddings":[{"values":[0.1,-0.2]},{"values":[0.3]}]}`: `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,-0.2]},{"object":"embedding","index":1,"embedding":[0.3]}],"model":""}`,
		`{"embedding":{"values":[1e-3, 2]}}`:                      `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[1e-3, 2]}],"model":""}`,
	} {
		var out schemas.EmbeddingResponse
		if err := (Codec{}).DecodeEmbedding([]byte(body), &out); err != nil {
			t.Fatal(err)
		}
		if got := marshal(&out); got != want {
			t.Errorf("Codec{}.DecodeEmbedding(%s)\n got %s\nwant %s", body, got, want)
		}
	}
}

func TestDecodeModels(t *testing.T) {
	body := `{"models":[{"name":"models/gemini-2.0-flash","version":"2.0","displayName":"Gemini 2.0 Flash","supportedGenerationMethods":["generateContent","countTokens"]},{"name":"models/text-embedding-004"}],"nextPageToken":"abc"}`
	var out schemas.ModelList
	if err := (Codec{}).DecodeModels([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	got := marshal(&out)
	want := `{"object":"list","data":[{"id":"gemini-2.0-flash","object":"model","created":0,"owned_by":"google"},{"id":"text-embedding-004","object":"model","created":0,"owned_by":"google"}]}`
	if got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

func marshal(v easyjson.Marshaler) string {
	var w jwriter.Writer
	v.MarshalEasyJSON(&w)
	b, _ := w.BuildBytes()
	return string(b)
}
