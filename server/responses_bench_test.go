package server

import (
	"testing"

	"github.com/bifrost-gw/bifrost/mocks"
)

// responsesBody is a ~1 KB Responses request: instructions and a few turns as input items.
func responsesBody(model, extra string) []byte {
	return []byte(`{"model":"` + model + `","max_output_tokens":256,"temperature":0.2,"user":"bench",` + extra +
		`"instructions":"You are a concise assistant for an engineering team. Answer in plain English, cite the relevant section when you can, and say so when you do not know.\nKeep answers under five sentences.",` +
		`"input":[{"role":"user","content":"We run an LLM gateway in front of several providers. What should we measure to know what the gateway itself adds to latency?"},` +
		`{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Measure the gateway's own time per request: total time minus the time spent waiting on the provider. Report p50, p90 and p99 of that overhead, and compare against calling the provider directly under the same load."}]},` +
		`{"role":"user","content":[{"type":"input_text","text":"And how do we keep the comparison \"fair\" on a small machine where the load generator, the mock provider and the gateway share two cores?"}]}]}`)
}

// BenchmarkResponses measures a POST /v1/responses through the whole gateway in one
// process: translated through the unified schema (decode, translation, runtime, adapter,
// in-memory mock, Response object, store), stored or not, and native (scan, splice,
// runtime, the provider's answer as it is). The native rows' upstream answers a constant
// Response object (the mock's own; newConstInProcess), so that allocations and time are the
// gateway's: the mock's Responses API is not allocation-free.
func BenchmarkResponses(b *testing.B) {
	anthCfg := `{"providers":{"anthropic":{"keys":[{"name":"k","value":"` + inProcessKey + `","models":["*"],"weight":1}],
		"network_config":{"base_url":"http://mock.inmemory"}}}}`
	for _, c := range []struct {
		name, model, cfg, extra string
		mock                    mocks.Config
		native                  bool
	}{
		{"openai", "openai/gpt-4o-mini", "", `"store":false,`, mocks.Config{}, false},
		{"openai-stored", "openai/gpt-4o-mini", "", ``, mocks.Config{}, false},
		{"anthropic", "anthropic/claude-3-5-haiku-20241022", anthCfg, `"store":false,`, mocks.Config{Format: mocks.FormatAnthropic}, false},
		{"openai-native", "openai/gpt-4o-mini", "", `"store":false,`, mocks.Config{}, true},
		{"openai-native-stored", "openai/gpt-4o-mini", "", ``, mocks.Config{}, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			var p *inProcess
			if c.native {
				p = newConstInProcess(b, mockResponse(b))
			} else {
				p = newInProcess(b, c.mock, c.cfg)
				p.srv.SetPassthrough(false) // an OpenAI target is native otherwise
			}
			body := responsesBody(c.model, c.extra)
			ctx := newCtx("POST", "/v1/responses", body)
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

// BenchmarkResponsesNativeStream measures a native streamed POST /v1/responses (the mock's
// event sequence, from a constant upstream): each event scanned and relayed as it came.
func BenchmarkResponsesNativeStream(b *testing.B) {
	p := newConstInProcess(b, mockResponse(b, true))
	body := responsesBody("openai/gpt-4o-mini", `"store":false,"stream":true,`)
	ctx := newCtx("POST", "/v1/responses", body)
	for i := 0; i < 50; i++ {
		p.do(ctx)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.do(ctx)
		if ctx.Response.StatusCode() != 200 || len(ctx.Response.Body()) == 0 {
			b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
}
