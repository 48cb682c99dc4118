package mocks

import (
	"encoding/binary"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters/bedrock"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
)

// The Bedrock mock's answers are read back with the bedrock codec's decoders, so the mock and
// the adapter agree on the format; its event streams are checked message by message (lengths
// and both CRCs).

func bedrockServer(t *testing.T, cfg Config) *Server {
	cfg.Format = FormatBedrock
	if cfg.RequireKey == "" {
		cfg.RequireKey = "AKIDMOCK"
	}
	return newServer(t, cfg)
}

const bedrockChatPath = "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse"

// splitEventStream cuts an AWS event stream into (event type, payload) pairs, checking each
// message's lengths and CRCs.
func splitEventStream(t *testing.T, b []byte) [][2]string {
	t.Helper()
	var out [][2]string
	for len(b) > 0 {
		if len(b) < 16 {
			t.Fatalf("%d bytes left: not a message", len(b))
		}
		total, hlen := int(binary.BigEndian.Uint32(b)), int(binary.BigEndian.Uint32(b[4:]))
		if crc32.ChecksumIEEE(b[:8]) != binary.BigEndian.Uint32(b[8:]) || total > len(b) || hlen > total-16 {
			t.Fatalf("bad prelude % x", b[:12])
		}
		msg := b[:total]
		if crc32.ChecksumIEEE(msg[:total-4]) != binary.BigEndian.Uint32(msg[total-4:]) {
			t.Fatal("bad message CRC")
		}
		h, name := msg[12:12+hlen], ""
		for len(h) > 0 {
			n := int(h[0])
			k, typ := string(h[1:1+n]), h[1+n]
			if typ != 7 {
				t.Fatalf("header %s has type %d", k, typ)
			}
			vl := int(binary.BigEndian.Uint16(h[2+n:]))
			if k == ":event-type" {
				name = string(h[4+n : 4+n+vl])
			}
			h = h[4+n+vl:]
		}
		out = append(out, [2]string{name, string(msg[12+hlen : total-4])})
		b = b[total:]
	}
	return out
}

func TestBedrockConverse(t *testing.T) {
	s := bedrockServer(t, Config{ResponseSize: "1kb"})
	for _, tc := range []struct {
		name, body, finish string
		toolCalls          int
	}{
		{"text", `{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}`, "stop", 0},
		{"tool call", `{"messages":[{"role":"user","content":[{"text":"Weather?"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","inputSchema":{"json":{}}}}]}}`, "tool_calls", 1},
		{"after a tool result", `{"messages":[{"role":"user","content":[{"text":"Weather?"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"a","name":"get_weather","input":{}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"a","content":[{"text":"sunny"}]}}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","inputSchema":{"json":{}}}}]}}`, "stop", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, s, "POST", bedrockChatPath, tc.body, "AKIDMOCK")
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			var out schemas.ChatResponse
			if err := (bedrock.Codec{}).DecodeChat(r.body, &out); err != nil {
				t.Fatalf("%v: %s", err, r.body)
			}
			ch := out.Choices[0]
			if string(ch.FinishReason) != tc.finish || len(ch.Message.ToolCalls) != tc.toolCalls || out.Usage.TotalTokens == 0 {
				t.Errorf("finish %q, %d tool calls, usage %+v", ch.FinishReason, len(ch.Message.ToolCalls), out.Usage)
			}
		})
	}
}

func TestBedrockConverseStream(t *testing.T) {
	s := bedrockServer(t, Config{StreamChunks: 5})
	for _, tc := range []struct {
		name, body, finish string
	}{
		{"text", `{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}`, "stop"},
		{"tool call", `{"messages":[{"role":"user","content":[{"text":"Weather?"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","inputSchema":{"json":{}}}}]}}`, "tool_calls"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, s, "POST", strings.Replace(bedrockChatPath, "/converse", "/converse-stream", 1), tc.body, "AKIDMOCK")
			if r.status != 200 || r.contentType != "application/vnd.amazon.eventstream" {
				t.Fatalf("status %d, %s: %s", r.status, r.contentType, r.body)
			}
			var st provider.StreamState
			st.Reset(1, "m", 0)
			var chunk schemas.ChatStreamChunk
			finish, text, args := "", "", ""
			events := splitEventStream(t, r.body)
			for _, ev := range events {
				chunk.Reset()
				step, err := bedrock.Codec{}.DecodeChatEvent(provider.Event{Name: []byte(ev[0]), Data: []byte(ev[1])}, &st, &chunk)
				if err != nil || step == provider.StepError {
					t.Fatalf("%s %s: %v %v", ev[0], ev[1], step, err)
				}
				if step == provider.StepChunk && len(chunk.Choices) == 1 {
					d := chunk.Choices[0].Delta
					text += d.Content.Text.String()
					for _, tc := range d.ToolCalls {
						args += tc.Function.Arguments.String()
					}
					if chunk.Choices[0].FinishReason != "" {
						finish = string(chunk.Choices[0].FinishReason)
					}
				}
			}
			if events[0][0] != "messageStart" || events[len(events)-1][0] != "metadata" || finish != tc.finish {
				t.Errorf("events %q, finish %q", events, finish)
			}
			if tc.finish == "tool_calls" && args != `{"query": "bifrost"}` {
				t.Errorf("arguments %q", args)
			}
			if tc.finish == "stop" && text != s.content.text {
				t.Errorf("text %q, want %q", text, s.content.text)
			}
		})
	}
}

func TestBedrockEmbeddings(t *testing.T) {
	s := bedrockServer(t, Config{})
	for _, tc := range []struct {
		path, body string
		n, dims    int
	}{
		{"/model/amazon.titan-embed-text-v2%3A0/invoke", `{"inputText":"hello","dimensions":256}`, 1, 256},
		{"/model/cohere.embed-english-v3/invoke", `{"texts":["a","b","c"],"input_type":"search_document"}`, 3, 8},
	} {
		r := call(t, s, "POST", tc.path, tc.body, "AKIDMOCK")
		var out schemas.EmbeddingResponse
		if err := (bedrock.Codec{}).DecodeEmbedding(r.body, &out); err != nil || r.status != 200 {
			t.Fatalf("%s: %d %v %s", tc.path, r.status, err, r.body)
		}
		if len(out.Data) != tc.n || strings.Count(string(out.Data[0].Embedding), ",")+1 != tc.dims {
			t.Errorf("%s: %d vectors, first %s", tc.path, len(out.Data), out.Data[0].Embedding)
		}
	}
}

func TestBedrockErrors(t *testing.T) {
	s := bedrockServer(t, Config{FailFirst: []int{429, 500}})
	for _, tc := range []struct {
		path, key string
		status    int
		typ       string
	}{
		{bedrockChatPath, "wrong", 403, "permission_error"},
		{bedrockChatPath, "AKIDMOCK", 429, "rate_limit_error"},
		{bedrockChatPath, "AKIDMOCK", 500, "server_error"},
		{"/model/x/unknown", "AKIDMOCK", 404, "not_found_error"},
		{bedrockChatPath, "AKIDMOCK", 200, ""},
	} {
		r := call(t, s, "POST", tc.path, `{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}`, tc.key)
		if r.status != tc.status {
			t.Fatalf("%s with %s: status %d, want %d: %s", tc.path, tc.key, r.status, tc.status, r.body)
		}
		if tc.status == 200 {
			continue
		}
		var e schemas.ErrorBody
		bedrock.Codec{}.DecodeError(r.status, r.body, &e)
		if e.Type != tc.typ || e.Message == "" {
			t.Errorf("%d: %+v", r.status, e)
		}
		if tc.status == 429 && r.retryAfter != "1" {
			t.Errorf("429 without Retry-After: 1")
		}
	}
	// A SigV4 Authorization header whose access key is the key passes.
	if !bedrockAuthorized([]byte("AWS4-HMAC-SHA256 Credential=AKIDMOCK/20250101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00"), "AKIDMOCK") {
		t.Error("a SigV4 header with the key was refused")
	}
	if bedrockAuthorized([]byte("AWS4-HMAC-SHA256 Credential=OTHER/20250101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00"), "AKIDMOCK") {
		t.Error("a SigV4 header with another key passed")
	}
}
