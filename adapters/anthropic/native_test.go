package anthropic_test

import (
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters/anthropic"
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
