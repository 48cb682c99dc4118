package governance_test

import (
	"sync"
	"testing"

	"github.com/bifrost-gw/bifrost/governance"
	"github.com/bifrost-gw/bifrost/governance/state"
)

// TestProviderBudgetExact: governance.providers limits a provider account over every key
// (and over client.api_keys, whose requests have no key): a lifetime budget with room for
// exactly 10 worst cases, hit by 50 concurrent requests through two keys and none, admits
// 10; after they settle to half their worst case it has room for 5 more; another provider
// is not limited; the usage report shows the provider. Against the memory and the Redis
// stores.
func TestProviderBudgetExact(t *testing.T) {
	cfg := parse(t, `
  virtual_keys:
    - {name: a, value: vk-a}
    - {name: b, value: vk-b}
  prices: {"openai/gpt-4o": {input: 0, output: 1}, "anthropic/*": {input: 0, output: 1}}
  providers:
    openai: {budget: {lifetime_usd: 0.01}}
`)
	stores(t, func(t *testing.T, st state.State, _ *clock) {
		g := governance.New(st)
		if err := g.Configure(cfg); err != nil {
			t.Fatal(err)
		}
		p := g.Policy()
		// Worst case: 1000 output tokens at 1 USD per million = 0.001 USD.
		admit := func(n int, model string) (held []*governance.Ticket, refusedBy map[string]int) {
			var mu sync.Mutex
			var wg sync.WaitGroup
			refusedBy = map[string]int{}
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					tk := &governance.Ticket{Key: p.Authenticate([]byte([]string{"vk-a", "vk-b", ""}[i%3]))}
					out := g.Admit(p, tk, &governance.Request{Model: model, MaxTokens: 1000})
					mu.Lock()
					defer mu.Unlock()
					switch out {
					case governance.Admit:
						held = append(held, tk)
					case governance.Refused:
						refusedBy[tk.RefusedBy()]++
					default:
						t.Errorf("outcome %v", out)
					}
				}()
			}
			wg.Wait()
			return held, refusedBy
		}
		held, refused := admit(50, "openai/gpt-4o")
		if len(held) != 10 || refused["provider:openai"] != 40 {
			t.Fatalf("admitted %d, refused %v; want 10 admitted, 40 refused by provider:openai", len(held), refused)
		}
		for _, tk := range held {
			g.Settle(tk, "openai", "gpt-4o", governance.Usage{Output: 500}, true, true)
		}
		held, _ = admit(50, "openai/gpt-4o")
		if len(held) != 5 {
			t.Errorf("after settling at half the worst case: admitted %d, want 5", len(held))
		}
		for _, tk := range held {
			g.Settle(tk, "openai", "gpt-4o", governance.Usage{Output: 1000}, true, true)
		}
		if held, _ = admit(20, "anthropic/claude-3-5-haiku-20241022"); len(held) != 20 {
			t.Errorf("anthropic, not limited: admitted %d of 20", len(held))
		}
		for _, tk := range held {
			g.Settle(tk, "anthropic", "claude-3-5-haiku-20241022", governance.Usage{}, false, false)
		}
		r, err := g.Report(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Providers) != 1 || r.Providers[0].Name != "openai" || len(r.Providers[0].Budgets) != 1 ||
			r.Providers[0].Budgets[0].SpentUSD != "0.010000000" || r.Providers[0].InFlight != 0 {
			t.Errorf("report: %+v", r.Providers)
		}
	})
}

// TestProviderRPMExact: a provider's rpm admits exactly its limit per minute over every
// key, settled or not.
func TestProviderRPMExact(t *testing.T) {
	cfg := parse(t, `
  virtual_keys:
    - {name: a, value: vk-a, rpm: 100}
  providers:
    openai: {rpm: 7, max_in_flight: 100}
`)
	stores(t, func(t *testing.T, st state.State, _ *clock) {
		g := governance.New(st)
		if err := g.Configure(cfg); err != nil {
			t.Fatal(err)
		}
		p := g.Policy()
		admitted := 0
		for i := range 20 {
			tk := &governance.Ticket{}
			if i%2 == 0 {
				tk.Key = p.Authenticate([]byte("vk-a"))
			}
			switch out := g.Admit(p, tk, &governance.Request{Model: "openai/gpt-4o-mini", MaxTokens: 10}); out {
			case governance.Admit:
				admitted++
				g.Settle(tk, "openai", "gpt-4o-mini", governance.Usage{Input: 1, Output: 1}, true, true)
			case governance.Refused:
				if tk.Verdict.Refused != state.RequestRate || tk.RefusedBy() != "provider:openai" || tk.Verdict.LimitRequests != 7 {
					t.Errorf("refusal %+v by %s", tk.Verdict, tk.RefusedBy())
				}
			default:
				t.Fatalf("outcome %v", out)
			}
		}
		if admitted != 7 {
			t.Errorf("admitted %d, want 7", admitted)
		}
	})
}
