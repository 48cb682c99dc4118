package server

import (
	"testing"

	"github.com/bifrost-gw/bifrost/mocks"
)

// anthropicBody is a ~1 KB native Messages request: a system prompt and a few turns.
func anthropicBody(model string) []byte {
	return []byte(`{"model":"` + model + `","max_tokens":256,"temperature":0.2,"metadata":{"user_id":"bench"},` +
		`"system":"You are a concise assistant for an engineering team. Answer in plain English, cite the relevant section when you can, and say so when you do not know.\nKeep answers under five sentences.",` +
		`"messages":[{"role":"user","content":"We run an LLM gateway in front of several providers. What should we measure to know what the gateway itself adds to latency?"},` +
		`{"role":"assistant","content":"Measure the gateway's own time per request: total time minus the time spent waiting on the provider. Report p50, p90 and p99 of that overhead, and compare against calling the provider directly under the same load."},` +
		`{"role":"user","content":[{"type":"text","text":"And how do we keep the comparison \"fair\" on a small machine where the load generator, the mock provider and the gateway share two cores?"}]}]}`)
}

// BenchmarkAnthropicMessages measures a non-streaming POST /anthropic/v1/messages through
// the whole gateway in one process (decode, conversion, runtime, provider adapter, in-memory
// mock, conversion back), with an OpenAI and an Anthropic provider behind it, and a bare
// Claude name (routed to Anthropic after the alias lookup fails).
func BenchmarkAnthropicMessages(b *testing.B) {
	anthCfg := `{"providers":{"anthropic":{"keys":[{"name":"k","value":"` + inProcessKey + `","models":["*"],"weight":1}],
		"network_config":{"base_url":"http://mock.inmemory"}}}}`
	for _, c := range []struct {
		name, model, cfg string
		mock             mocks.Config
	}{
		{"openai", "openai/gpt-4o-mini", "", mocks.Config{}},
		{"anthropic", "anthropic/claude-3-5-haiku-20241022", anthCfg, mocks.Config{Format: mocks.FormatAnthropic}},
		{"anthropic-bare-name", "claude-3-5-haiku-20241022", anthCfg, mocks.Config{Format: mocks.FormatAnthropic}},
	} {
		b.Run(c.name, func(b *testing.B) {
			p := newInProcess(b, c.mock, c.cfg)
			body := anthropicBody(c.model)
			ctx := newCtx("POST", "/anthropic/v1/messages", body)
			for i := 0; i < 50; i++ {
				p.do(ctx)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p.do(ctx)
				if ctx.Response.StatusCode() != 200 {
					b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
				}
			}
		})
	}
}
