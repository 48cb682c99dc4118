package anthropic_test

import (
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters/anthropic"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

// TestServerToolAnswerRoundTrip checks that an Anthropic answer with server tool blocks and
// citations (a web search, as https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/web-search-tool
// shows it) reaches an Anthropic client with its content as Anthropic sent it.
func TestServerToolAnswerRoundTrip(t *testing.T) {
	content := `[{"type":"text","text":"Let me search."},` +
		`{"type":"server_tool_use","id":"srvtoolu_01","name":"web_search","input":{"query":"bifrost gateway"}},` +
		`{"type":"web_search_tool_result","tool_use_id":"srvtoolu_01","content":[{"type":"web_search_result","url":"https://example.com","title":"Bifrost","encrypted_content":"EqgfCio","page_age":"April 30, 2025"}]},` +
		`{"type":"text","text":"Bifrost is a gateway.","citations":[{"type":"web_search_result_location","url":"https://example.com","title":"Bifrost","encrypted_index":"Eo8BCio","cited_text":"Bifrost is..."}]}]`
	body := `{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":` + content +
		`,"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":5,"server_tool_use":{"web_search_requests":1}}}`
	var resp schemas.ChatResponse
	if err := (anthropic.Codec{}).DecodeChat([]byte(body), &resp); err != nil {
		t.Fatal(err)
	}
	if got := resp.Choices[0].Message.Content.Text.String(); got != "Let me search.Bifrost is a gateway." {
		t.Errorf("unified text %q", got)
	}
	var o anthropic.Outbound
	var w jwriter.Writer
	o.EncodeMessage(&w, &resp, "claude-sonnet-4-5")
	out := build(t, &w)
	if !strings.Contains(out, `"content":`+content+`,"stop_reason":"end_turn"`) {
		t.Errorf("the content did not come through as sent:\n%s", out)
	}
}

// TestServerToolStreamRoundTrip checks that a streamed web search (server_tool_use with its
// input_json_delta, web_search_tool_result, text with citations_delta) reaches an Anthropic
// client with those blocks and deltas as sent, renumbered in the client's stream.
func TestServerToolStreamRoundTrip(t *testing.T) {
	events := [][2]string{
		{"message_start", `{"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":1}}}`},
		{"content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"server_tool_use","id":"srvtoolu_01","name":"web_search","input":{}}}`},
		{"content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"query\":\"bifrost\"}"}}`},
		{"content_block_stop", `{"type":"content_block_stop","index":0}`},
		{"content_block_start", `{"type":"content_block_start","index":1,"content_block":{"type":"web_search_tool_result","tool_use_id":"srvtoolu_01","content":[{"type":"web_search_result","url":"https://example.com","title":"Bifrost","encrypted_content":"Eq","page_age":null}]}}`},
		{"content_block_stop", `{"type":"content_block_stop","index":1}`},
		{"content_block_start", `{"type":"content_block_start","index":2,"content_block":{"type":"text","text":""}}`},
		{"content_block_delta", `{"type":"content_block_delta","index":2,"delta":{"type":"citations_delta","citation":{"type":"web_search_result_location","url":"https://example.com","title":"Bifrost","encrypted_index":"Eo","cited_text":"Bifrost is"}}}`},
		{"content_block_delta", `{"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"A gateway."}}`},
		{"content_block_stop", `{"type":"content_block_stop","index":2}`},
		{"message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":5}}`},
		{"message_stop", `{"type":"message_stop"}`},
	}
	var st provider.StreamState
	st.Reset(1, "claude-sonnet-4-5", 1)
	var o anthropic.Outbound
	var w jwriter.Writer
	for _, ev := range events {
		var c schemas.ChatStreamChunk
		step, err := (anthropic.Codec{}).DecodeChatEvent(provider.Event{Name: []byte(ev[0]), Data: []byte(ev[1])}, &st, &c)
		if err != nil || step == provider.StepError {
			t.Fatalf("%s: %v", ev[0], err)
		}
		if step == provider.StepChunk {
			o.StreamChunk(&w, &c, "claude-sonnet-4-5")
		}
	}
	o.StreamEnd(&w, "claude-sonnet-4-5")
	out := build(t, &w)
	for _, want := range []string{
		`{"type":"content_block_start","index":0,"content_block":{"type":"server_tool_use","id":"srvtoolu_01","name":"web_search","input":{}}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"query\":\"bifrost\"}"}}`,
		`{"type":"content_block_stop","index":0}`,
		`{"type":"content_block_start","index":1,"content_block":{"type":"web_search_tool_result","tool_use_id":"srvtoolu_01","content":[{"type":"web_search_result","url":"https://example.com","title":"Bifrost","encrypted_content":"Eq","page_age":null}]}}`,
		`{"type":"content_block_stop","index":1}`,
		`{"type":"content_block_start","index":2,"content_block":{"type":"text","text":""}}`,
		`{"type":"content_block_delta","index":2,"delta":{"type":"citations_delta","citation":{"type":"web_search_result_location","url":"https://example.com","title":"Bifrost","encrypted_index":"Eo","cited_text":"Bifrost is"}}}`,
		`{"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"A gateway."}}`,
		`{"type":"content_block_stop","index":2}`,
	} {
		if !strings.Contains(out, "data: "+want+"\n\n") {
			t.Errorf("missing %s in:\n%s", want, out)
		}
	}
}
