package vertex_test

import (
	"strings"
	"testing"

	vertexadapter "github.com/bifrost-gw/bifrost/adapters/vertex"

	"github.com/bifrost-gw/bifrost/adapters/vertex"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

// TestAnthropicPrefixMatchesSpec checks that specs/vertex.yaml routes the models of
// AnthropicPrefix to rawPredict with ClaudeCodec, and no others.
func TestAnthropicPrefixMatchesSpec(t *testing.T) {
	mp := vertexadapter.Adapter{}.Info().ModelPaths
	if len(mp) != 1 || mp[0].Prefix != vertex.AnthropicPrefix {
		t.Fatalf("specs/vertex.yaml model_paths = %+v, want one route with prefix %q", mp, vertex.AnthropicPrefix)
	}
	if _, ok := mp[0].Codec.(vertex.ClaudeCodec); !ok {
		t.Errorf("the claude- route's codec is %T, want vertex.ClaudeCodec", mp[0].Codec)
	}
	for _, op := range []provider.Op{provider.OpChat, provider.OpChatStream} {
		if p := mp[0].Paths[op]; !strings.Contains(p, "/publishers/anthropic/models/{model}:") {
			t.Errorf("%s path %q is not an Anthropic publisher path", op, p)
		}
	}
}

func encode(t *testing.T, c provider.ChatCodec, req string) string {
	t.Helper()
	var r schemas.ChatRequest
	if err := schemas.Decode([]byte(req), &r); err != nil {
		t.Fatal(err)
	}
	var w jwriter.Writer
	if err := c.EncodeChat(&w, &r); err != nil {
		t.Fatal(err)
	}
	b, err := w.BuildBytes()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestEncodeChat(t *testing.T) {
	for _, c := range []struct {
		codec     provider.ChatCodec
		req, want string
	}{
		{vertex.ClaudeCodec{}, `{"model":"claude-sonnet-4@20250514","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],"max_tokens":100,"stream":true}`,
			`{"anthropic_version":"vertex-2023-10-16","max_tokens":100,"system":"Be brief.","messages":[{"role":"user","content":"Hi"}],"stream":true}`},
		{vertex.Codec{}, `{"model":"gemini-2.0-flash","messages":[{"role":"user","content":"Hi"}]}`,
			`{"contents":[{"role":"user","parts":[{"text":"Hi"}]}]}`},
	} {
		if got := encode(t, c.codec, c.req); got != c.want {
			t.Errorf("%T.EncodeChat(%s)\n got: %s\nwant: %s", c.codec, c.req, got, c.want)
		}
	}
}

func TestDecodeChat(t *testing.T) {
	var out schemas.ChatResponse
	claude := `{"id":"msg_vrtx_01","type":"message","role":"assistant","model":"claude-3-5-haiku-20241022","content":[{"type":"text","text":"Hello!"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":3}}`
	if err := (vertex.ClaudeCodec{}).DecodeChat([]byte(claude), &out); err != nil {
		t.Fatal(err)
	}
	if out.ID != "msg_vrtx_01" || out.Choices[0].Message.Content.Text.String() != "Hello!" || out.Usage.TotalTokens != 13 || out.Choices[0].FinishReason != "stop" {
		t.Errorf("Claude message decoded as %+v", out)
	}
	out = schemas.ChatResponse{}
	gemini := `{"candidates":[{"content":{"role":"model","parts":[{"text":"Hi there"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":2,"candidatesTokenCount":2,"totalTokenCount":4},"modelVersion":"gemini-2.0-flash","responseId":"r1"}`
	if err := (vertex.Codec{}).DecodeChat([]byte(gemini), &out); err != nil {
		t.Fatal(err)
	}
	if out.Choices[0].Message.Content.Text.String() != "Hi there" || out.Usage.TotalTokens != 4 {
		t.Errorf("Gemini response decoded as %+v", out)
	}
}

func TestDecodeChatEvent(t *testing.T) {
	var st provider.StreamState
	st.Reset(1, "m", 1)
	var out schemas.ChatStreamChunk
	for _, ev := range []provider.Event{
		{Name: []byte("message_start"), Data: []byte(`{"type":"message_start","message":{"id":"msg_vrtx_1","type":"message","role":"assistant","model":"claude-3-5-haiku-20241022","content":[],"usage":{"input_tokens":5,"output_tokens":1}}}`)},
		// Without the event: line, the data's type tells.
		{Data: []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}`)},
	} {
		step, err := vertex.ClaudeCodec{}.DecodeChatEvent(ev, &st, &out)
		if err != nil || step != provider.StepChunk {
			t.Fatalf("Anthropic event %s: %v %v", ev.Data, step, err)
		}
	}
	if out.ID != "msg_vrtx_1" || out.Choices[0].Delta.Content.Text.String() != "Hi" {
		t.Errorf("Anthropic chunk %+v", out)
	}
	step, err := vertex.ClaudeCodec{}.DecodeChatEvent(provider.Event{Name: []byte("error"), Data: []byte(`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`)}, &st, &out)
	if step != provider.StepError || err != nil {
		t.Errorf("Anthropic error event: %v %v, want StepError", step, err)
	}

	st.Reset(2, "gemini-2.0-flash", 1)
	out = schemas.ChatStreamChunk{}
	step, err = vertex.Codec{}.DecodeChatEvent(provider.Event{Data: []byte(`{"candidates":[{"content":{"role":"model","parts":[{"text":"Yo"}]}}],"responseId":"g1"}`)}, &st, &out)
	if err != nil || step != provider.StepChunk || len(out.Choices) != 1 || out.Choices[0].Delta.Content.Text.String() != "Yo" {
		t.Errorf("Gemini event: %v %v %+v", step, err, out)
	}
}

// TestClaudeDecodeErrorByShape: a Claude request's error is Anthropic's from the model, or
// Google's from the platform; ClaudeCodec reads both.
func TestClaudeDecodeErrorByShape(t *testing.T) {
	var out schemas.ErrorBody
	vertex.ClaudeCodec{}.DecodeError(529, []byte(`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`), &out)
	if out.Message != "Overloaded" || out.Type != schemas.ErrServer || out.Code != "overloaded_error" {
		t.Errorf("Anthropic error: %+v", out)
	}
	out = schemas.ErrorBody{}
	vertex.ClaudeCodec{}.DecodeError(429, []byte(`{"error":{"code":429,"message":"Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model.","status":"RESOURCE_EXHAUSTED"}}`), &out)
	if out.Type != schemas.ErrRateLimit || out.Code != "RESOURCE_EXHAUSTED" || !strings.HasPrefix(out.Message, "Quota exceeded") {
		t.Errorf("Google error: %+v", out)
	}
}
