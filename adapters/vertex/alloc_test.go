//go:build !race

package vertex_test

import (
	"testing"

	"github.com/bifrost-gw/bifrost/adapters/vertex"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

// TestClaudeAllocs checks that ClaudeCodec costs no allocation over the Anthropic converters:
// a Claude request encoded, its Message decoded, and a text event decoded.
func TestClaudeAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	var r schemas.ChatRequest
	if err := schemas.Decode([]byte(`{"model":"claude-sonnet-4@20250514","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],"max_tokens":100}`), &r); err != nil {
		t.Fatal(err)
	}
	var w jwriter.Writer
	buf := make([]byte, 0, 4096)
	encode := func() {
		w.Buffer.Buf = buf[:0]
		if err := (vertex.ClaudeCodec{}).EncodeChat(&w, &r); err != nil {
			t.Fatal(err)
		}
	}
	body := []byte(`{"id":"msg_vrtx_01","type":"message","role":"assistant","model":"claude-sonnet-4-20250514","content":[{"type":"text","text":"Hello!"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":3}}`)
	var out schemas.ChatResponse
	decode := func() {
		if err := (vertex.ClaudeCodec{}).DecodeChat(body, &out); err != nil {
			t.Fatal(err)
		}
	}
	ev := provider.Event{Name: []byte("content_block_delta"), Data: []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}`)}
	var st provider.StreamState
	st.Reset(1, "m", 1)
	var chunk schemas.ChatStreamChunk
	event := func() {
		if _, err := (vertex.ClaudeCodec{}).DecodeChatEvent(ev, &st, &chunk); err != nil {
			t.Fatal(err)
		}
	}
	for name, f := range map[string]func(){"EncodeChat": encode, "DecodeChat": decode, "DecodeChatEvent": event} {
		f()
		if n := testing.AllocsPerRun(200, f); n != 0 {
			t.Errorf("%s (Claude): %v allocs, want 0", name, n)
		}
	}
}
