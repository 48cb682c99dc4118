//go:build !race

package server

import (
	"testing"
)

// TestGovernanceChatAllocs: with governance on and its counters in memory, a non-streaming
// chat completion by a virtual key with limits, a team and budgets, to a provider with
// limits of its own (governance.providers, whose reservation follows the engine's targets),
// allocates nothing in steady state, the cost header and the access log's cost included.
func TestGovernanceChatAllocs(t *testing.T) {
	p, _ := newGovInProcess(t, `{"virtual_keys":[{"name":"alice","value":"`+govAlice+`","team":"t","models":["openai/*"],
		"rpm":1000000000,"tpm":1000000000000,"max_in_flight":100,"budget":{"daily_usd":1000000,"monthly_usd":1000000,"lifetime_usd":1000000}}],
		"teams":[{"name":"t","rpm":1000000000,"budget":{"weekly_usd":1000000}}],
		"providers":{"openai":{"rpm":1000000000,"budget":{"daily_usd":1000000}}}}`, nil)
	var lines countingWriter
	p.srv.SetAccessLog(NewAccessLog(&lines, false))
	ctx := newCtx("POST", "/v1/chat/completions", chatBody)
	ctx.Request.Header.Set("Authorization", "Bearer "+govAlice)
	run := func() {
		p.do(ctx)
		if ctx.Response.StatusCode() != 200 {
			t.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
		if len(ctx.Response.Header.Peek(CostHeader)) == 0 {
			t.Fatalf("no %s", CostHeader)
		}
	}
	for i := 0; i < 50; i++ {
		run()
	}
	if n := testing.AllocsPerRun(200, run); n != 0 {
		t.Errorf("allocs per request = %v, want 0", n)
	}
}
