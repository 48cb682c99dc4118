package server

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/governance"
)

// TestGovernanceProviderLimits: governance.providers limits a provider account over every
// virtual key: past its rpm a request gets 429 rate_limit_exceeded naming the provider,
// with the provider's x-ratelimit-* headers, in OpenAI's shape on /v1 and Anthropic's on
// /anthropic; the usage API lists the provider's use.
func TestGovernanceProviderLimits(t *testing.T) {
	p, _ := newGovInProcess(t, `{"admin_keys":["adm-0123456789"],"virtual_keys":[
		{"name":"alice","value":"`+govAlice+`"},{"name":"bob","value":"`+govBob+`"}],
		"providers":{"openai":{"rpm":3}}}`, fixedClock())
	anth := []byte(`{"model":"openai/gpt-4o-mini","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`)
	for i, key := range []string{govAlice, govBob, govAlice} {
		if ctx := govRequest(p, "POST", "/v1/chat/completions", "Authorization", "Bearer "+key, chatBody); ctx.Response.StatusCode() != 200 {
			t.Fatalf("request %d: %d %s", i, ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
	ctx := govRequest(p, "POST", "/v1/chat/completions", "Authorization", "Bearer "+govBob, chatBody)
	typ, code := errorType(t, ctx.Response.Body())
	if ctx.Response.StatusCode() != 429 || typ != "requests" || code != "rate_limit_exceeded" ||
		!strings.Contains(string(ctx.Response.Body()), "provider openai") ||
		string(ctx.Response.Header.Peek("x-ratelimit-limit-requests")) != "3" ||
		string(ctx.Response.Header.Peek("x-ratelimit-remaining-requests")) != "0" {
		t.Errorf("/v1 over the provider's rpm: %d %s %s", ctx.Response.StatusCode(), ctx.Response.Header.String(), ctx.Response.Body())
	}
	ctx = govRequest(p, "POST", "/anthropic/v1/messages", "x-api-key", govAlice, anth)
	if ctx.Response.StatusCode() != 429 || !strings.Contains(string(ctx.Response.Body()), `"rate_limit_error"`) {
		t.Errorf("/anthropic over the provider's rpm: %d %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	ctx = govRequest(p, "GET", UsagePath, "Authorization", "Bearer adm-0123456789", nil)
	var r governance.Report
	if err := json.Unmarshal(ctx.Response.Body(), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Providers) != 1 || r.Providers[0].Name != "openai" || r.Providers[0].RPM != 3 || r.Providers[0].Requests != 3 {
		t.Errorf("usage: %s", ctx.Response.Body())
	}
}
