package server

import (
	"encoding/json"
	"strconv"
	"sync"
	"testing"

	"github.com/bifrost-gw/bifrost/governance"
	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime/config"
)

// TestGovernanceProviderFallback: a provider's budget is charged by the provider that
// serves. Requests name openai, which fails every one (404, with
// fallback_on_client_errors), with a fallback to groq, whose budget has room for exactly
// n worst cases: of 50 concurrent requests exactly n get an answer (from groq), the rest a
// 429 insufficient_quota naming groq, and openai's budget is charged nothing. Against the
// memory and the Redis state (settling in the background, as bifrost-http does).
func TestGovernanceProviderFallback(t *testing.T) {
	const n, clients = 6, 50
	// max_tokens is the mock's completion tokens: the worst case is the real cost.
	probe, _ := newGovInProcess(t, `{"virtual_keys":[{"name":"alice","value":"`+govAlice+`"}]}`, fixedClock())
	completion := probeCompletionTokens(t, probe, govAlice)
	for _, redis := range []bool{false, true} {
		t.Run(map[bool]string{false: "memory", true: "redis"}[redis], func(t *testing.T) {
			budget := strconv.FormatFloat(float64(n*completion)/1e6, 'f', -1, 64)
			gov := `{"admin_keys":["adm-0123456789"],"virtual_keys":[{"name":"alice","value":"` + govAlice + `"}],
				"prices":{"openai/gpt-4o-mini":{"input":0,"output":1},"groq/llama-3.1-8b-instant":{"input":0,"output":1}},
				"providers":{"openai":{"budget":{"lifetime_usd":1}},"groq":{"budget":{"lifetime_usd":` + budget + `}}}}`
			cfgJSON := `{"client":{"fallback_on_client_errors":true},"providers":{
				"openai":{"keys":[{"name":"k","value":"` + inProcessKey + `","models":["*"],"weight":1}],"network_config":{"base_url":"http://mock.inmemory/broken"}},
				"groq":{"keys":[{"name":"k","value":"` + inProcessKey + `","models":["*"],"weight":1}],"network_config":{"base_url":"http://mock.inmemory"}}},
				"governance":` + gov + `}`
			p := newInProcess(t, mocks.Config{}, cfgJSON)
			cfg, err := config.Parse("gov.json", []byte(cfgJSON), func(string) string { return "" })
			if err != nil {
				t.Fatal(err)
			}
			g := governance.New(govStore(t, redis, fixedClock(), true))
			if err := g.Configure(cfg); err != nil {
				t.Fatal(err)
			}
			p.srv.SetGovernor(g)
			body := []byte(`{"model":"openai/gpt-4o-mini","fallbacks":["groq/llama-3.1-8b-instant"],"max_tokens":` +
				strconv.Itoa(completion) + `,"messages":[{"role":"user","content":"hi"}]}`)
			var mu sync.Mutex
			got := map[string]int{}
			var wg sync.WaitGroup
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ctx := govRequest(p, "POST", "/v1/chat/completions", "Authorization", "Bearer "+govAlice, body)
					outcome := strconv.Itoa(ctx.Response.StatusCode())
					if ctx.Response.StatusCode() != 200 {
						typ, code := errorType(t, ctx.Response.Body())
						outcome += " " + typ + " " + code
					}
					mu.Lock()
					got[outcome]++
					mu.Unlock()
				}()
			}
			wg.Wait()
			if got["200"] != n || got["429 insufficient_quota insufficient_quota"] != clients-n {
				t.Errorf("outcomes %v; want %d x 200 and %d x 429 insufficient_quota", got, n, clients-n)
			}
			ctx := govRequest(p, "GET", UsagePath, "Authorization", "Bearer adm-0123456789", nil)
			var r governance.Report
			if err := json.Unmarshal(ctx.Response.Body(), &r); err != nil {
				t.Fatal(err)
			}
			for _, pr := range r.Providers {
				if pr.InFlight != 0 || len(pr.Budgets) != 1 {
					t.Errorf("%s: %+v", pr.Name, pr)
				} else if spent := pr.Budgets[0].SpentUSD; pr.Name == "openai" && spent != "0.000000000" || pr.Name == "groq" && spent == "0.000000000" {
					t.Errorf("%s spent %s", pr.Name, spent)
				}
			}
		})
	}
}
