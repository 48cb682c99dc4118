package server

import (
	"testing"

	"github.com/bifrost-gw/bifrost/mocks"
)

// BenchmarkGovernanceChat measures a non-streaming chat completion in process with
// governance off, on with its counters in memory, and on with them in a private
// redis-server (one reservation and one settlement script per request; redis-async
// settles in the background, as bifrost-http does): a key with rpm,
// tpm, max_in_flight and budgets, in a team with its own.
//
//	go test -run '^$' -bench GovernanceChat -benchmem ./server/
func BenchmarkGovernanceChat(b *testing.B) {
	gov := `{"virtual_keys":[{"name":"alice","value":"` + govAlice + `","team":"t","models":["openai/*"],
		"rpm":1000000000,"tpm":1000000000000,"max_in_flight":1000,"budget":{"daily_usd":1000000,"lifetime_usd":1000000}}],
		"teams":[{"name":"t","budget":{"monthly_usd":1000000}}]}`
	for _, mode := range []string{"off", "memory", "redis", "redis-async"} {
		b.Run(mode, func(b *testing.B) {
			var p *inProcess
			if mode == "off" {
				p = newInProcess(b, mocks.Config{}, "")
			} else {
				p, _ = newGovInProcess(b, gov, govStore(b, mode != "memory", nil, mode == "redis-async"))
			}
			ctx := newCtx("POST", "/v1/chat/completions", chatBody)
			ctx.Request.Header.Set("Authorization", "Bearer "+govAlice)
			for i := 0; i < 50; i++ {
				p.do(ctx)
			}
			b.ReportAllocs()
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
