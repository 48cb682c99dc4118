package governance_test

import (
	"sync"
	"testing"

	"github.com/bifrost-gw/bifrost/governance"
	"github.com/bifrost-gw/bifrost/governance/state"
)

// TestProviderBudgetFallback: a provider's budget counts the requests sent to it, not the
// ones that name it first. 50 concurrent requests name openai with a fallback to
// anthropic; openai fails every one (the engine then enters anthropic). Each provider's
// lifetime budget has room for exactly 10 worst cases: openai's reservations are given
// back as the requests leave it (a failed call is not billed), and anthropic serves exactly
// 10, charged their real cost, whether openai had room at admission or not. Against the
// memory and the Redis stores.
func TestProviderBudgetFallback(t *testing.T) {
	cfg := parse(t, `
  virtual_keys:
    - {name: a, value: vk-a, budget: {daily_usd: 100}}
  prices: {"openai/gpt-4o": {input: 0, output: 1}, "anthropic/claude-3-5-haiku-20241022": {input: 0, output: 1}}
  providers:
    openai: {budget: {lifetime_usd: 0.01}}
    anthropic: {budget: {lifetime_usd: 0.01}, max_in_flight: 1000}
`)
	stores(t, func(t *testing.T, st state.State, _ *clock) {
		g := governance.New(st)
		if err := g.Configure(cfg); err != nil {
			t.Fatal(err)
		}
		p := g.Policy()
		var mu sync.Mutex
		outcomes := map[string]int{}
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tk := &governance.Ticket{Key: p.Authenticate([]byte([]string{"vk-a", ""}[i%2]))}
				// Worst case: 1000 output tokens at 1 USD per million = 0.001 USD.
				r := &governance.Request{Model: "openai/gpt-4o", Fallbacks: []string{"anthropic/claude-3-5-haiku-20241022"}, MaxTokens: 1000}
				if out := g.Admit(p, tk, r); out != governance.Admit {
					t.Errorf("admit: %v by %s", out, tk.RefusedBy())
					return
				}
				served, refusedBy := "", ""
				for _, prov := range []string{"openai", "anthropic"} { // the engine's targets
					if out := g.Enter(tk, prov); out != governance.Admit {
						refusedBy = tk.RefusedBy()
						continue
					}
					if prov == "anthropic" { // openai fails: the engine falls back
						served = prov
					}
				}
				if served != "" {
					g.Settle(tk, "anthropic", "claude-3-5-haiku-20241022", governance.Usage{Output: 1000}, true, true)
				} else {
					g.Settle(tk, "anthropic", "claude-3-5-haiku-20241022", governance.Usage{}, false, false)
				}
				mu.Lock()
				defer mu.Unlock()
				if served != "" {
					outcomes[served]++
				} else {
					outcomes["refused by "+refusedBy]++
				}
			}()
		}
		wg.Wait()
		if outcomes["anthropic"] != 10 || outcomes["refused by provider:anthropic"] != 40 {
			t.Errorf("outcomes %v; want 10 served by anthropic, 40 refused by provider:anthropic", outcomes)
		}
		_, spent := providersSpent(t, g, p)
		if spent["openai"] != "0.000000000" || spent["anthropic"] != "0.010000000" {
			t.Errorf("spent %v; want openai 0, anthropic 0.01", spent)
		}
	})
}

// TestEnterSameProvider: entering the provider that Admit reserved from, or one that
// governance.providers does not limit, takes nothing more; moving back and forth gives
// back what was held, so a provider's max_in_flight is never left taken.
func TestEnterSameProvider(t *testing.T) {
	cfg := parse(t, `
  providers:
    openai: {max_in_flight: 1}
    anthropic: {max_in_flight: 1}
`)
	stores(t, func(t *testing.T, st state.State, _ *clock) {
		g := governance.New(st)
		if err := g.Configure(cfg); err != nil {
			t.Fatal(err)
		}
		p := g.Policy()
		tk := &governance.Ticket{}
		r := &governance.Request{Model: "openai/gpt-4o", Fallbacks: []string{"groq/llama-3.1-8b-instant", "anthropic/claude-3-5-haiku-20241022", "openai/gpt-4o-mini"}}
		if out := g.Admit(p, tk, r); out != governance.Admit {
			t.Fatalf("admit: %v", out)
		}
		for _, prov := range []string{"openai", "groq", "anthropic", "openai"} {
			if out := g.Enter(tk, prov); out != governance.Admit {
				t.Fatalf("enter %s: %v by %s", prov, out, tk.RefusedBy())
			}
		}
		g.Settle(tk, "openai", "gpt-4o-mini", governance.Usage{}, false, false)
		for _, prov := range []string{"openai", "anthropic"} {
			other := &governance.Ticket{}
			if out := g.Admit(p, other, &governance.Request{Model: prov + "/m"}); out != governance.Admit {
				t.Errorf("%s after settling: %v by %s", prov, out, other.RefusedBy())
			}
		}
	})
}

// TestProviderFallbackMany: with limits far from reached (the Redis store then admits
// from leases), 200 concurrent requests reserve from their key and openai, fall back to
// anthropic, and are charged there only; every level ends with nothing in flight.
func TestProviderFallbackMany(t *testing.T) {
	cfg := parse(t, `
  virtual_keys:
    - {name: a, value: vk-a, rpm: 100000, budget: {daily_usd: 100}}
  prices: {"openai/gpt-4o": {input: 0, output: 1}, "anthropic/claude-3-5-haiku-20241022": {input: 0, output: 1}}
  providers:
    openai: {budget: {lifetime_usd: 10}, max_in_flight: 100000}
    anthropic: {budget: {lifetime_usd: 10}, max_in_flight: 100000}
`)
	stores(t, func(t *testing.T, st state.State, _ *clock) {
		g := governance.New(st)
		if err := g.Configure(cfg); err != nil {
			t.Fatal(err)
		}
		p := g.Policy()
		var wg sync.WaitGroup
		for range 200 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tk := &governance.Ticket{Key: p.Authenticate([]byte("vk-a"))}
				r := &governance.Request{Model: "openai/gpt-4o", Fallbacks: []string{"anthropic/claude-3-5-haiku-20241022"}, MaxTokens: 1000}
				if out := g.Admit(p, tk, r); out != governance.Admit {
					t.Errorf("admit: %v by %s", out, tk.RefusedBy())
					return
				}
				for _, prov := range []string{"openai", "anthropic"} {
					if out := g.Enter(tk, prov); out != governance.Admit {
						t.Errorf("enter %s: %v by %s", prov, out, tk.RefusedBy())
					}
				}
				g.Settle(tk, "anthropic", "claude-3-5-haiku-20241022", governance.Usage{Output: 500}, true, true)
			}()
		}
		wg.Wait()
		r, spent := providersSpent(t, g, p)
		if spent["openai"] != "0.000000000" || spent["anthropic"] != "0.100000000" {
			t.Errorf("spent %v; want openai 0, anthropic 0.1", spent)
		}
		if len(r.VirtualKeys) != 1 || r.VirtualKeys[0].InFlight != 0 || r.VirtualKeys[0].Budgets[0].SpentUSD != "0.100000000" {
			t.Errorf("key: %+v", r.VirtualKeys)
		}
	})
}

// providersSpent reads the usage report and returns it with each limited provider's
// spent budget, checking that each has one budget and nothing in flight.
func providersSpent(t *testing.T, g *governance.Governor, p *governance.Policy) (*governance.Report, map[string]string) {
	t.Helper()
	r, err := g.Report(p)
	if err != nil {
		t.Fatal(err)
	}
	spent := map[string]string{}
	for _, pr := range r.Providers {
		if pr.InFlight != 0 || len(pr.Budgets) != 1 {
			t.Errorf("provider %s: %+v", pr.Name, pr)
			continue
		}
		spent[pr.Name] = pr.Budgets[0].SpentUSD
	}
	return r, spent
}
