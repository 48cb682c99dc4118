package bedrock

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

func chatRequest(t testing.TB, body string) *schemas.ChatRequest {
	t.Helper()
	var r schemas.ChatRequest
	if err := schemas.Decode([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func encodeChat(t testing.TB, body string) (string, error) {
	t.Helper()
	var w jwriter.Writer
	err := Codec{}.EncodeChat(&w, chatRequest(t, body))
	out, _ := w.BuildBytes()
	return string(out), err
}

func TestEncodeChat(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"text", `{"model":"m","messages":[{"role":"user","content":"Hi"}]}`,
			`{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}`},
		{"system and inference config", `{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],"max_tokens":10,"max_completion_tokens":20,"temperature":0,"top_p":1,"stop":"END","seed":1,"user":"u"}`,
			`{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"system":[{"text":"Be brief."}],"inferenceConfig":{"maxTokens":20,"temperature":0,"topP":1,"stopSequences":["END"]}}`},
		{"consecutive users merged, empty text dropped", `{"model":"m","messages":[{"role":"user","content":"a"},{"role":"user","content":[{"type":"text","text":""},{"type":"text","text":"b"}]}]}`,
			`{"messages":[{"role":"user","content":[{"text":"a"},{"text":"b"}]}]}`},
		{"assistant tool calls and results", `{"model":"m","messages":[{"role":"user","content":"q"},{"role":"assistant","content":"","tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":"{\"a\":\"\\u00e9\\n\"}"}},{"id":"t2","type":"function","function":{"name":"g","arguments":""}}]},{"role":"tool","tool_call_id":"t1","content":"r1"},{"role":"tool","tool_call_id":"t2","content":""}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}},{"type":"function","function":{"name":"g"}}],"tool_choice":{"type":"function","function":{"name":"f"}}}`,
			`{"messages":[{"role":"user","content":[{"text":"q"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"f","input":{"a":"\u00e9\n"}}},{"toolUse":{"toolUseId":"t2","name":"g","input":{}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"text":"r1"}]}},{"toolResult":{"toolUseId":"t2","content":[{"text":""}]}}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object"}}}},{"toolSpec":{"name":"g","inputSchema":{"json":{"type":"object","properties":{}}}}}],"toolChoice":{"tool":{"name":"f"}}}}`},
		{"tool choice none sends no choice", `{"model":"m","messages":[{"role":"user","content":"q"}],"tools":[{"type":"function","function":{"name":"f","description":"d"}}],"tool_choice":"none"}`,
			`{"messages":[{"role":"user","content":[{"text":"q"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"f","description":"d","inputSchema":{"json":{"type":"object","properties":{}}}}}]}}`},
		{"image and document", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/4AAQ"}},{"type":"file","file":{"filename":"Q3 report (final).pdf","file_data":"data:application/pdf;base64,JVBERi0x"}}]}]}`,
			`{"messages":[{"role":"user","content":[{"image":{"format":"jpeg","source":{"bytes":"/9j/4AAQ"}}},{"document":{"format":"pdf","name":"Q3 report (final)","source":{"bytes":"JVBERi0x"}}}]}]}`},
		{"escaped slash in a data URL", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image\/png;base64,ab\/c"}}]}]}`,
			`{"messages":[{"role":"user","content":[{"image":{"format":"png","source":{"bytes":"ab/c"}}}]}]}`},
		{"converse members forwarded, others not", `{"model":"m","messages":[{"role":"user","content":"q"}],"guardrailConfig":{"guardrailIdentifier":"g","guardrailVersion":"1"},"additionalModelRequestFields":{"top_k":5},"safe_prompt":true}`,
			`{"messages":[{"role":"user","content":[{"text":"q"}]}],"guardrailConfig":{"guardrailIdentifier":"g","guardrailVersion":"1"},"additionalModelRequestFields":{"top_k":5}}`},
		{"error: n", `{"model":"m","messages":[],"n":2}`, "error: one choice"},
		{"error: json response format", `{"model":"m","messages":[],"response_format":{"type":"json_object"}}`, "error: response_format"},
		{"error: image URL", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]}]}`, "error: base64 data URLs"},
		{"error: audio", `{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"x","format":"wav"}}]}]}`, "error: input_audio"},
		{"error: bad arguments", `{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{not json"}}]}]}`, "error: arguments"},
		{"error: role", `{"model":"m","messages":[{"role":"function","content":"x"}]}`, "error: no role"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := encodeChat(t, c.in)
			if want, ok := strings.CutPrefix(c.want, "error: "); ok {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("error %v, want one containing %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("\n got %s\nwant %s", got, c.want)
			}
		})
	}
}

func decodeChat(t testing.TB, body string) (string, error) {
	t.Helper()
	var out schemas.ChatResponse
	if err := (Codec{}).DecodeChat([]byte(body), &out); err != nil {
		return "", err
	}
	out.Created = 0
	var w jwriter.Writer
	out.MarshalEasyJSON(&w)
	b, _ := w.BuildBytes()
	return string(b), nil
}

func TestDecodeChat(t *testing.T) {
	const pre = `{"id":"","object":"chat.completion","created":0,"model":"","choices":[{"index":0,"message":{"role":"assistant",`
	cases := []struct{ name, in, want string }{
		{"text", `{"output":{"message":{"role":"assistant","content":[{"text":"Hi"}]}},"stopReason":"end_turn","usage":{"inputTokens":3,"outputTokens":1,"totalTokens":4},"metrics":{"latencyMs":1}}`,
			pre + `"content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`},
		{"two texts joined, reasoning", `{"output":{"message":{"role":"assistant","content":[{"reasoningContent":{"reasoningText":{"text":"think","signature":"s"}}},{"text":"a"},{"text":"b"}]}},"stopReason":"max_tokens","usage":{"inputTokens":1,"outputTokens":2}}`,
			pre + `"content":"ab","reasoning_content":"think"},"finish_reason":"length"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`},
		{"tool use only: content null", `{"output":{"message":{"role":"assistant","content":[{"toolUse":{"toolUseId":"tooluse_1","name":"f","input":{"q":"a\"b"}}}]}},"stopReason":"tool_use","usage":{"inputTokens":5,"outputTokens":6,"totalTokens":11,"cacheReadInputTokens":100,"cacheWriteInputTokens":7}}`,
			pre + `"content":null,"tool_calls":[{"id":"tooluse_1","type":"function","function":{"name":"f","arguments":"{\"q\":\"a\\\"b\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":112,"completion_tokens":6,"total_tokens":11,"prompt_tokens_details":{"cached_tokens":100,"audio_tokens":0}}}`},
		{"content filtered", `{"output":{"message":{"role":"assistant","content":[]}},"stopReason":"content_filtered"}`,
			pre + `"content":null},"finish_reason":"content_filter"}]}`},
		{"unknown stop reason passed on", `{"output":{"message":{"content":[{"text":"x"}]}},"stopReason":"something_new"}`,
			pre + `"content":"x"},"finish_reason":"something_new"}]}`},
		{"no output", `{"choices":[]}`, pre + `"content":null},"finish_reason":null}]}`},
		{"error: not JSON", `<html>`, "error: "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := decodeChat(t, c.in)
			if want, ok := strings.CutPrefix(c.want, "error: "); ok {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("error %v, want one containing %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("\n got %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestFinishReason(t *testing.T) {
	for in, want := range map[string]string{"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length",
		"tool_use": "tool_calls", "guardrail_intervened": "content_filter", "content_filtered": "content_filter",
		"model_context_window_exceeded": "length"} {
		if got := FinishReason(in); got != want {
			t.Errorf("FinishReason(%q) = %q, want %q", in, got, want)
		}
	}
}

// streamEvents decodes events and returns each chunk as JSON ("" for a skipped event).
func streamEvents(t testing.TB, events [][2]string) []string {
	t.Helper()
	var st provider.StreamState
	st.Reset(1, "m", 0)
	var out []string
	var chunk schemas.ChatStreamChunk
	for _, e := range events {
		chunk.Reset()
		step, err := Codec{}.DecodeChatEvent(provider.Event{Name: []byte(e[0]), Data: []byte(e[1])}, &st, &chunk)
		if err != nil {
			t.Fatalf("%s: %v", e[0], err)
		}
		switch step {
		case provider.StepChunk:
			var w jwriter.Writer
			chunk.MarshalEasyJSON(&w)
			b, _ := w.BuildBytes()
			out = append(out, strings.TrimPrefix(string(b), `{"id":"chatcmpl-0000000000000001","object":"chat.completion.chunk","created":0,"model":"m",`))
		case provider.StepError:
			out = append(out, "error")
		default:
			out = append(out, "")
		}
	}
	return out
}

func TestDecodeChatEvent(t *testing.T) {
	got := streamEvents(t, [][2]string{
		{"messageStart", `{"p":"abc","role":"assistant"}`},
		{"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hi"},"p":"ab"}`},
		{"contentBlockStop", `{"contentBlockIndex":0}`},
		{"contentBlockStart", `{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"tooluse_a","name":"f"}}}`},
		{"contentBlockDelta", `{"contentBlockIndex":1,"delta":{"toolUse":{"input":""}}}`},
		{"contentBlockDelta", `{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"x\":1}"}}}`},
		{"contentBlockStart", `{"contentBlockIndex":2,"start":{"toolUse":{"toolUseId":"tooluse_b","name":"g"}}}`},
		{"contentBlockDelta", `{"contentBlockIndex":2,"delta":{"toolUse":{"input":"{}"}}}`},
		{"contentBlockDelta", `{"contentBlockIndex":7,"delta":{"toolUse":{"input":"{}"}}}`},
		{"contentBlockDelta", `{"contentBlockIndex":3,"delta":{"reasoningContent":{"text":"hmm"}}}`},
		{"contentBlockDelta", `{"contentBlockIndex":3,"delta":{"reasoningContent":{"signature":"sig"}}}`},
		{"messageStop", `{"stopReason":"tool_use"}`},
		{"metadata", `{"usage":{"inputTokens":10,"outputTokens":5,"totalTokens":25,"cacheReadInputTokens":10},"metrics":{"latencyMs":3}}`},
		{"modelStreamErrorException", `{"message":"boom","originalStatusCode":500}`},
		{"somethingNew", `{}`},
	})
	want := []string{
		`"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
		`"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}`,
		``,
		`"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"tooluse_a","type":"function","function":{"name":"f","arguments":""}}]},"finish_reason":null}]}`,
		``,
		`"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"x\":1}"}}]},"finish_reason":null}]}`,
		`"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"tooluse_b","type":"function","function":{"name":"g","arguments":""}}]},"finish_reason":null}]}`,
		`"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{}"}}]},"finish_reason":null}]}`,
		``,
		`"choices":[{"index":0,"delta":{"reasoning_content":"hmm"},"finish_reason":null}]}`,
		``,
		`"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`,
		`"choices":[],"usage":{"prompt_tokens":20,"completion_tokens":5,"total_tokens":25,"prompt_tokens_details":{"cached_tokens":10,"audio_tokens":0}}}`,
		`error`,
		``,
	}
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d: %q", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

func TestDecodeChatEventBadJSON(t *testing.T) {
	var st provider.StreamState
	var chunk schemas.ChatStreamChunk
	if _, err := (Codec{}).DecodeChatEvent(provider.Event{Name: []byte("contentBlockDelta"), Data: []byte(`{"delta":`)}, &st, &chunk); err == nil {
		t.Error("no error for a cut event")
	}
}

func TestEmbedding(t *testing.T) {
	enc := []struct{ name, in, want string }{
		{"titan", `{"model":"amazon.titan-embed-text-v2:0","input":"hi","dimensions":512,"normalize":false}`, `{"inputText":"hi","dimensions":512,"normalize":false}`},
		{"titan one-element list", `{"model":"amazon.titan-embed-text-v1","input":["hi"]}`, `{"inputText":"hi"}`},
		{"titan list", `{"model":"amazon.titan-embed-text-v1","input":["a","b"]}`, "error: one input per request"},
		{"cohere string", `{"model":"cohere.embed-multilingual-v3","input":"hi"}`, `{"texts":["hi"],"input_type":"search_document"}`},
		{"cohere options", `{"model":"us.cohere.embed-v4:0","input":["a","b"],"input_type":"search_query","truncate":"END","dimensions":256}`, `{"texts":["a","b"],"input_type":"search_query","truncate":"END","output_dimension":256}`},
		{"tokens", `{"model":"amazon.titan-embed-text-v1","input":[1,2,3]}`, "error: take text"},
		{"base64 (re-encoded by the runtime)", `{"model":"amazon.titan-embed-text-v1","input":"x","encoding_format":"base64"}`, `{"inputText":"x"}`},
		{"other format", `{"model":"amazon.titan-embed-text-v1","input":"x","encoding_format":"int8"}`, "error: encoding_format"},
	}
	for _, c := range enc {
		t.Run(c.name, func(t *testing.T) {
			var r schemas.EmbeddingRequest
			if err := schemas.Decode([]byte(c.in), &r); err != nil {
				t.Fatal(err)
			}
			var w jwriter.Writer
			err := Codec{}.EncodeEmbedding(&w, &r)
			if want, ok := strings.CutPrefix(c.want, "error: "); ok {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("error %v, want one containing %q", err, want)
				}
				return
			}
			b, _ := w.BuildBytes()
			if err != nil || string(b) != c.want {
				t.Errorf("\n got %s %v\nwant %s", b, err, c.want)
			}
		})
	}
	dec := []struct{ name, in, want string }{
		{"titan", `{"embedding":[0.1,0.2],"inputTextTokenCount":3}`, `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,0.2]}],"model":"","usage":{"prompt_tokens":3,"total_tokens":3}}`},
		{"cohere floats", `{"embeddings":[[1],[2]],"id":"x","response_type":"embeddings_floats","texts":["a","b"]}`, `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[1]},{"object":"embedding","index":1,"embedding":[2]}],"model":""}`},
		{"cohere by type", `{"embeddings":{"int8":[[9]],"float":[[1.5]]},"response_type":"embeddings_by_type"}`, `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[1.5]}],"model":""}`},
		{"none", `{"id":"x"}`, "error: no embedding"},
	}
	for _, c := range dec {
		t.Run(c.name, func(t *testing.T) {
			var out schemas.EmbeddingResponse
			err := Codec{}.DecodeEmbedding([]byte(c.in), &out)
			if want, ok := strings.CutPrefix(c.want, "error: "); ok {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("error %v, want one containing %q", err, want)
				}
				return
			}
			var w jwriter.Writer
			out.MarshalEasyJSON(&w)
			b, _ := w.BuildBytes()
			if err != nil || string(b) != c.want {
				t.Errorf("\n got %s %v\nwant %s", b, err, c.want)
			}
		})
	}
}

func TestDecodeError(t *testing.T) {
	cases := []struct {
		status         int
		body           string
		msg, typ, code string
	}{
		{400, `{"message":"Malformed input request: extraneous key [foo] is not permitted, please reformat your input and try again."}`, "Malformed input request: extraneous key [foo] is not permitted, please reformat your input and try again.", "invalid_request_error", ""},
		{429, `{"message":"Too many requests, please wait before trying again."}`, "Too many requests, please wait before trying again.", "rate_limit_error", ""},
		{403, `{"Message":"User: arn:aws:iam::123:user/x is not authorized to perform: bedrock:InvokeModel","__type":"com.amazon.coral.service#AccessDeniedException"}`, "User: arn:aws:iam::123:user/x is not authorized to perform: bedrock:InvokeModel", "permission_error", "AccessDeniedException"},
		{404, `{"message":"Could not resolve the foundation model.","code":"ResourceNotFoundException:http://internal.amazon.com/coral/"}`, "Could not resolve the foundation model.", "not_found_error", "ResourceNotFoundException"},
		{503, `upstream connect error`, "provider returned HTTP 503", "server_error", ""},
		{500, ``, "provider returned HTTP 500 with an empty body", "server_error", ""},
	}
	for _, c := range cases {
		var out schemas.ErrorBody
		Codec{}.DecodeError(c.status, []byte(c.body), &out)
		if !strings.HasPrefix(out.Message, c.msg) || out.Type != c.typ || string(out.Code) != c.code {
			t.Errorf("%d %s: got %+v", c.status, c.body, out)
		}
	}
}

func load(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// chatRound encodes the 1 KB unified request and decodes a 1 KB Converse response, as the
// runtime does, reusing the values.
type chatRound struct {
	reqBody, respBody []byte
	req               schemas.ChatRequest
	resp              schemas.ChatResponse
	w                 jwriter.Writer
	buf               []byte
}

func newChatRound(tb testing.TB) *chatRound {
	return &chatRound{reqBody: load(tb, "../testdata/chat_request_1kb.json"), respBody: load(tb, "testdata/converse_response_1kb.json"), buf: make([]byte, 0, 8<<10)}
}

func (c *chatRound) encode(tb testing.TB) {
	c.req.Reset()
	l := jlexer.Lexer{Data: c.reqBody}
	c.req.UnmarshalEasyJSON(&l)
	if err := l.Error(); err != nil {
		tb.Fatal(err)
	}
	c.w.Buffer.Buf = c.buf[:0]
	if err := (Codec{}).EncodeChat(&c.w, &c.req); err != nil {
		tb.Fatal(err)
	}
	c.buf = c.w.Buffer.Buf
}

func (c *chatRound) decode(tb testing.TB) {
	c.resp.Reset()
	if err := (Codec{}).DecodeChat(c.respBody, &c.resp); err != nil {
		tb.Fatal(err)
	}
	c.w.Buffer.Buf = c.buf[:0]
	c.resp.MarshalEasyJSON(&c.w)
	c.buf = c.w.Buffer.Buf
}

func BenchmarkChat(b *testing.B) {
	c := newChatRound(b)
	b.Run("decode-request+encode", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(c.reqBody)))
		for i := 0; i < b.N; i++ {
			c.encode(b)
		}
	})
	b.Run("decode+encode-response", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(c.respBody)))
		for i := 0; i < b.N; i++ {
			c.decode(b)
		}
	})
}

// stream50 is a realistic ConverseStream of 50 events: start, 46 text deltas, block stop,
// message stop and metadata.
func stream50() []provider.Event {
	ev := func(name, data string) provider.Event { return provider.Event{Name: []byte(name), Data: []byte(data)} }
	out := []provider.Event{ev("messageStart", `{"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0","role":"assistant"}`)}
	for i := 0; i < 46; i++ {
		out = append(out, ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":" gateway"},"p":"abcdefghijklmnopq"}`))
	}
	return append(out,
		ev("contentBlockStop", `{"contentBlockIndex":0,"p":"abcdefghijklmnopqrstuvwxyzABCDEF"}`),
		ev("messageStop", `{"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW","stopReason":"end_turn"}`),
		ev("metadata", `{"metrics":{"latencyMs":412},"p":"abcdefghijklmnopqrstuvwxyzABCD","usage":{"inputTokens":25,"outputTokens":46,"totalTokens":71}}`))
}

// runStream decodes a stream's events and encodes each chunk, as the runtime and server do.
func runStream(tb testing.TB, events []provider.Event, st *provider.StreamState, chunk *schemas.ChatStreamChunk, w *jwriter.Writer, buf []byte) []byte {
	st.Reset(7, "anthropic.claude-3-5-sonnet-20240620-v1:0", 1)
	for _, ev := range events {
		chunk.Reset()
		step, err := Codec{}.DecodeChatEvent(ev, st, chunk)
		if err != nil {
			tb.Fatal(err)
		}
		if step == provider.StepChunk {
			w.Buffer.Buf = buf[:0]
			chunk.MarshalEasyJSON(w)
			buf = w.Buffer.Buf
		}
	}
	return buf
}

func BenchmarkStream50(b *testing.B) {
	events := stream50()
	var st provider.StreamState
	var chunk schemas.ChatStreamChunk
	var w jwriter.Writer
	buf := make([]byte, 0, 4<<10)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = runStream(b, events, &st, &chunk, &w, buf)
	}
}

func validJSON(b []byte) bool { return json.Valid(b) }
