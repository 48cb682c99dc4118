package server

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/mocks"
)

// anthropicOnly is a gateway config with one provider, anthropic, in front of the mock.
const anthropicOnly = `{"providers":{"anthropic":{"keys":[{"name":"k","value":"` + inProcessKey + `","models":["*"],"weight":1}],` +
	`"network_config":{"base_url":"http://mock.inmemory","max_retries":0}}}}`

// Claude Code's beta header: several betas, comma-separated.
const betaValue = "interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14"

// serverTool and fileImage are an Anthropic server tool and an image from the Files API, as
// Anthropic's SDKs send them.
const (
	serverTool = `{"type":"web_search_20250305","name":"web_search","max_uses":3,"allowed_domains":["docs.anthropic.com"]}`
	fileImage  = `{"type":"image","source":{"type":"file","file_id":"file_011CNha8iCJcU1wXNR6q4V8w"}}`
	fileDoc    = `{"type":"document","source":{"type":"file","file_id":"file_011CPMxVD3fHLUhvTqtsQA5w"},"title":"Report"}`
	// mcpServers is a top-level member the gateway does not model (the MCP connector beta).
	mcpServers = `"mcp_servers":[{"type":"url","url":"https://mcp.example.com/sse","name":"example"}]`
)

// TestAnthropicCountTokens checks POST /anthropic/v1/messages/count_tokens against the
// Anthropic mock: the request reaches the mock's count_tokens endpoint without the members
// that endpoint refuses, with the beta header and the server tool as sent, and the answer is
// the mock's own count.
func TestAnthropicCountTokens(t *testing.T) {
	p := newInProcess(t, mocks.Config{Format: mocks.FormatAnthropic, Record: true}, anthropicOnly)
	for _, c := range []struct {
		name, model string
		body        string
		want        int
	}{
		{"bare name", "claude-sonnet-4-5", `"system":"Be brief.","messages":[{"role":"user","content":"Hello"},{"role":"assistant","content":"Hi"},{"role":"user","content":"Count me"}]`, mocks.CountTokens(3, 0, true)},
		{"provider prefix with tools", "anthropic/claude-sonnet-4-5", `"messages":[{"role":"user","content":[{"type":"text","text":"Look"},` + fileImage + `]}],` +
			`"tools":[` + serverTool + `,{"name":"get_weather","input_schema":{"type":"object","properties":{}}}],"thinking":{"type":"enabled","budget_tokens":2048}`, mocks.CountTokens(1, 2, false)},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := newCtx("POST", "/anthropic/v1/messages/count_tokens", []byte(`{"model":"`+c.model+`",`+c.body+`}`))
			ctx.Request.Header.Set("anthropic-beta", betaValue)
			p.do(ctx)
			if ctx.Response.StatusCode() != 200 {
				t.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
			}
			var got map[string]any
			if err := json.Unmarshal(ctx.Response.Body(), &got); err != nil || len(got) != 1 || got["input_tokens"] != float64(c.want) {
				t.Fatalf("answer %s, want {\"input_tokens\":%d} (%v)", ctx.Response.Body(), c.want, err)
			}
			reqs := p.mock.Requests()
			r := reqs[len(reqs)-1]
			if r.Path != "/v1/messages/count_tokens" || r.Header["Anthropic-Beta"] != betaValue {
				t.Errorf("the mock got %s %s with anthropic-beta %q", r.Method, r.Path, r.Header["Anthropic-Beta"])
			}
			body := string(r.Body)
			if !strings.Contains(body, `"model":"claude-sonnet-4-5"`) || strings.Contains(body, "max_tokens") {
				t.Errorf("the mock got %s", body)
			}
			if strings.Contains(c.body, serverTool) && (!strings.Contains(body, serverTool) || !strings.Contains(body, fileImage) ||
				!strings.Contains(body, `"thinking":{"type":"enabled","budget_tokens":2048}`)) {
				t.Errorf("server tool, file image or thinking not forwarded as sent: %s", body)
			}
		})
	}
}

// TestAnthropicNativePassthrough checks a Messages request to Anthropic: the beta header, a
// server tool, file-id sources, a thinking mode the gateway does not know and top-level
// members it does not model arrive at the provider unchanged.
func TestAnthropicNativePassthrough(t *testing.T) {
	p := newInProcess(t, mocks.Config{Format: mocks.FormatAnthropic, Record: true}, anthropicOnly)
	ctx := newCtx("POST", "/anthropic/v1/messages", []byte(`{"model":"claude-sonnet-4-5","max_tokens":64,`+
		`"messages":[{"role":"user","content":[{"type":"text","text":"Summarise"},`+fileDoc+`,`+fileImage+`]}],"tools":[`+serverTool+`],`+
		`"thinking":{"type":"adaptive"},`+mcpServers+`,"provider":"anthropic"}`))
	ctx.Request.Header.Set("anthropic-beta", betaValue)
	p.do(ctx)
	if ctx.Response.StatusCode() != 200 {
		t.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	reqs := p.mock.Requests()
	r := reqs[len(reqs)-1]
	body := string(r.Body)
	if r.Header["Anthropic-Beta"] != betaValue {
		t.Errorf("anthropic-beta %q reached the provider, want %q", r.Header["Anthropic-Beta"], betaValue)
	}
	if strings.Contains(body, `"provider"`) {
		t.Errorf("the gateway's provider member reached Anthropic: %s", body)
	}
	for _, want := range []string{`"tools":[` + serverTool + `]`, fileDoc, fileImage, `"thinking":{"type":"adaptive"}`, `,` + mcpServers + `}`} {
		if !strings.Contains(body, want) {
			t.Errorf("the provider did not get %s unchanged: %s", want, body)
		}
	}
}

// TestAnthropicBetaNotForwardedElsewhere checks that an OpenAI-format provider gets neither
// the beta header nor, refused with a 400, a server tool.
func TestAnthropicBetaNotForwardedElsewhere(t *testing.T) {
	p := newInProcess(t, mocks.Config{Record: true}, "")
	ctx := newCtx("POST", "/anthropic/v1/messages", []byte(`{"model":"openai/gpt-4o-mini","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`))
	ctx.Request.Header.Set("anthropic-beta", betaValue)
	p.do(ctx)
	if ctx.Response.StatusCode() != 200 {
		t.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	for _, r := range p.mock.Requests() {
		if v, ok := r.Header["Anthropic-Beta"]; ok {
			t.Errorf("an OpenAI-format provider got anthropic-beta %q", v)
		}
	}
	ctx = newCtx("POST", "/anthropic/v1/messages", []byte(`{"model":"openai/gpt-4o-mini","max_tokens":16,"messages":[{"role":"user","content":"hi"}],"tools":[`+serverTool+`]}`))
	p.do(ctx)
	if typ, msg := anthropicError(t, ctx.Response.Body()); ctx.Response.StatusCode() != 400 || typ != "invalid_request_error" ||
		!strings.Contains(msg, "tools.0") || !strings.Contains(msg, "web_search_20250305") {
		t.Errorf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
}

// TestAnthropicBetaBedrock checks that a Claude model on Bedrock gets the beta header as
// Converse's additionalModelRequestFields.anthropic_beta, and another model does not.
func TestAnthropicBetaBedrock(t *testing.T) {
	p := newInProcess(t, mocks.Config{Format: mocks.FormatBedrock, Record: true}, `{"providers":{"bedrock":{"keys":[{"name":"b","models":["*"],"weight":1,`+
		`"bedrock_key_config":{"access_key":"`+inProcessKey+`","secret_key":"s","region":"us-east-1"}}],"network_config":{"base_url":"http://mock.inmemory","max_retries":0}}}}`)
	for _, c := range []struct {
		model, want string
	}{
		{"us.anthropic.claude-sonnet-4-20250514-v1:0", `,"additionalModelRequestFields":{"anthropic_beta":["interleaved-thinking-2025-05-14","fine-grained-tool-streaming-2025-05-14"]}}`},
		{"amazon.nova-pro-v1:0", ""},
	} {
		ctx := newCtx("POST", "/anthropic/v1/messages", []byte(`{"model":"bedrock/`+c.model+`","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`))
		ctx.Request.Header.Set("anthropic-beta", betaValue)
		p.do(ctx)
		if ctx.Response.StatusCode() != 200 {
			t.Fatalf("%s: status %d: %s", c.model, ctx.Response.StatusCode(), ctx.Response.Body())
		}
		reqs := p.mock.Requests()
		r := reqs[len(reqs)-1]
		body := string(r.Body)
		if c.want != "" && !strings.HasSuffix(body, c.want) || c.want == "" && strings.Contains(body, "anthropic_beta") {
			t.Errorf("%s: Bedrock got %s", c.model, body)
		}
		if _, ok := r.Header["Anthropic-Beta"]; ok {
			t.Errorf("%s: Bedrock got the anthropic-beta header", c.model)
		}
	}
}
