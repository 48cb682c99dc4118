package governance_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/governance"
	"github.com/bifrost-gw/bifrost/governance/memstore"
	"github.com/bifrost-gw/bifrost/governance/redistest"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func parse(t *testing.T, gov string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("gov.yaml", []byte("providers: {openai: {keys: [{value: sk-x}]}, anthropic: {keys: [{value: sk-y}]}}\n"+
		"aliases: {smart: [openai/gpt-4o, anthropic/claude-3-5-sonnet-20241022]}\ngovernance:\n"+gov), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestAdmitModels(t *testing.T) {
	cfg := parse(t, `
  virtual_keys:
    - {name: a, value: vk-a, models: ["openai/*"]}
    - {name: b, value: vk-b, models: ["openai/gpt-4o", "anthropic/claude-3-5-sonnet-20241022"], budget: {daily_usd: 1}}
    - {name: c, value: vk-c, budget: {daily_usd: 1}}
  prices: {"openai/gpt-4o": {input: 2, output: 8}}
`)
	g := governance.New(memstore.New(nil))
	if err := g.Configure(cfg); err != nil {
		t.Fatal(err)
	}
	p := g.Policy()
	for _, tc := range []struct {
		key  string
		req  governance.Request
		want governance.Outcome
	}{
		{"vk-a", governance.Request{Model: "openai/gpt-4o-mini"}, governance.Admit},
		{"vk-a", governance.Request{Model: "gpt-4o-mini", Provider: "openai"}, governance.Admit},
		{"vk-a", governance.Request{Model: "anthropic/claude-3-5-sonnet-20241022"}, governance.Forbidden},
		{"vk-a", governance.Request{Model: "smart"}, governance.Forbidden}, // the alias reaches anthropic
		{"vk-a", governance.Request{Model: "openai/gpt-4o", Fallbacks: []string{"anthropic/x"}}, governance.Forbidden},
		{"vk-a", governance.Request{Model: "claude-x", DefaultProvider: "anthropic"}, governance.Forbidden},
		{"vk-b", governance.Request{Model: "smart"}, governance.Admit},
		{"vk-b", governance.Request{Model: "openai/gpt-4o-mini"}, governance.Forbidden},
		{"vk-c", governance.Request{Model: "openai/no-such-model"}, governance.Unpriced},
		{"vk-c", governance.Request{Model: "openai/gpt-4o", MaxTokens: 1 << 30}, governance.Refused}, // 8 USD/M * 2^30 > 1 USD
	} {
		var tk governance.Ticket
		tk.Key = p.Authenticate([]byte(tc.key))
		if tk.Key == nil {
			t.Fatalf("%s: not authenticated", tc.key)
		}
		if got := g.Admit(p, &tk, &tc.req); got != tc.want {
			t.Errorf("%s %+v: %v, want %v", tc.key, tc.req, got, tc.want)
		}
		g.Settle(&tk, "openai", "gpt-4o", governance.Usage{}, false, false)
	}
	if p.Authenticate([]byte("vk-nope")) != nil || p.Authenticate(nil) != nil {
		t.Error("unknown or empty key authenticated")
	}
}

// TestCost is the price table times the usage, per token class, rounded up to the
// nano-dollar; the built-in table has its source and date, and a provider's models.
func TestCost(t *testing.T) {
	prices, err := governance.NewPrices(map[string]config.Price{
		"openai/gpt-4o": {Input: 2_500_000_000, Output: 10_000_000_000},
		"ollama/*":      {},
	})
	if err != nil {
		t.Fatal(err)
	}
	if prices.Source == "" || prices.Date == "" {
		t.Error("built-in prices have no source or date")
	}
	for _, tc := range []struct {
		prov, model           string
		in, cached, out, want int64
	}{
		{"openai", "gpt-4o", 1000, 0, 100, 2_500_000 + 1_000_000}, // override, no cached price: cached is input
		{"openai", "gpt-4o", 1000, 400, 0, 2_500_000},
		{"openai", "gpt-4o-mini", 1000, 400, 100, 600*150 + 400*75 + 100*600}, // built-in: 0.15 / 0.075 / 0.6
		{"anthropic", "claude-3-5-sonnet-20241022", 1_000_000, 0, 1_000_000, 18_000_000_000},
		{"groq", "llama-3.1-8b-instant", 3, 0, 0, 150},
		{"openai", "text-embedding-3-small", 7, 0, 0, 140},
		{"ollama", "llama3", 1000, 0, 1000, 0},
	} {
		pr, ok := prices.Lookup(tc.prov, tc.model)
		if !ok {
			t.Errorf("%s/%s: no price", tc.prov, tc.model)
			continue
		}
		if got := governance.Cost(pr, tc.in, tc.cached, tc.out); got != tc.want {
			t.Errorf("%s/%s %d/%d/%d: %d nano-USD, want %d", tc.prov, tc.model, tc.in, tc.cached, tc.out, got, tc.want)
		}
	}
	if _, ok := prices.Lookup("vllm", "x"); ok {
		t.Error("vllm has a price")
	}
	for n, want := range map[int64]string{0: "0.000000000", 1: "0.000000001", 1_234_567_890: "1.234567890", -5: "-0.000000005"} {
		if got := string(governance.AppendUSD(nil, n)); got != want {
			t.Errorf("AppendUSD(%d) = %s, want %s", n, got, want)
		}
	}
}

// TestRedisDown: with Redis killed, a request gets what governance.state.on_error says, at
// once (within the timeout), and the error is counted.
func TestRedisDown(t *testing.T) {
	for _, policy := range []string{config.FailClosed, config.FailOpen} {
		t.Run(policy, func(t *testing.T) {
			srv := redistest.Start(t)
			cfg := parse(t, `
  virtual_keys: [{name: a, value: vk-a, rpm: 100, budget: {daily_usd: 10}}]
  state: {url: "`+srv.URL+`", timeout_ms: 100, lease_ms: 0, on_error: `+policy+`}
`)
			g, err := governance.Open(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			p := g.Policy()
			req := governance.Request{Model: "openai/gpt-4o", InputTokens: 10, MaxTokens: 10}
			var tk governance.Ticket
			tk.Key = p.Authenticate([]byte("vk-a"))
			if got := g.Admit(p, &tk, &req); got != governance.Admit {
				t.Fatalf("redis up: %v", got)
			}
			srv.Kill() // the request in flight settles against a dead Redis: counted, not hung
			start := time.Now()
			g.Settle(&tk, "openai", "gpt-4o", governance.Usage{Input: 10, Output: 10}, true, true)
			if tk.Cost == 0 {
				t.Error("in-flight request lost its cost")
			}
			want := governance.Unavailable
			if policy == config.FailOpen {
				want = governance.Admit
			}
			for i := 0; i < 3; i++ {
				var tk governance.Ticket
				tk.Key = p.Authenticate([]byte("vk-a"))
				if got := g.Admit(p, &tk, &req); got != want {
					t.Errorf("redis down: %v, want %v", got, want)
				}
				g.Settle(&tk, "openai", "gpt-4o", governance.Usage{}, false, false)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("four calls against a dead Redis took %v", d)
			}
			// The settlement runs in the background: wait for its error to be counted.
			for deadline := time.Now().Add(5 * time.Second); g.StateErrors() < 4 && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond) // a poll: the failed call to the dead Redis has no event to wait on
			}
			if n := g.StateErrors(); n < 4 {
				t.Errorf("state errors %d, want >= 4", n)
			}
		})
	}
	if _, err := governance.Open(parse(t, `
  state: {url: "redis://127.0.0.1:1", timeout_ms: 100}
`)); err == nil || strings.Contains(err.Error(), "sk-") {
		t.Errorf("Redis unreachable at start: %v", err)
	}
}

// TestKeyMetrics: the metrics by virtual key exist only when client.prometheus_labels
// names virtual_key, and their counts survive a reload.
func TestKeyMetrics(t *testing.T) {
	for _, on := range []bool{false, true} {
		cfg := parse(t, `
  virtual_keys: [{name: alice, value: vk-a}]
  prices: {"openai/gpt-4o": {input: 1, output: 1}}
`)
		if on {
			cfg.Client.PrometheusLabels = []string{governance.KeyLabel}
		}
		g := governance.New(memstore.New(nil))
		if err := g.Configure(cfg); err != nil {
			t.Fatal(err)
		}
		reg := prometheus.NewRegistry()
		reg.MustRegister(g.Collector())
		for i := 0; i < 2; i++ {
			p := g.Policy()
			var tk governance.Ticket
			tk.Key = p.Authenticate([]byte("vk-a"))
			if g.Admit(p, &tk, &governance.Request{Model: "openai/gpt-4o"}) != governance.Admit {
				t.Fatal("not admitted")
			}
			g.Settle(&tk, "openai", "gpt-4o", governance.Usage{Input: 500, Output: 500}, true, true)
			if err := g.Configure(cfg); err != nil { // a reload keeps the counts
				t.Fatal(err)
			}
		}
		want := ""
		if on {
			want = `
# HELP bifrost_virtual_key_cost_usd_total What providers billed, in US dollars, by virtual key (with client.prometheus_labels: [virtual_key]).
# TYPE bifrost_virtual_key_cost_usd_total counter
bifrost_virtual_key_cost_usd_total{virtual_key="alice"} 0.002
# HELP bifrost_virtual_key_requests_total Requests admitted and settled, by virtual key (with client.prometheus_labels: [virtual_key]).
# TYPE bifrost_virtual_key_requests_total counter
bifrost_virtual_key_requests_total{virtual_key="alice"} 2
`
		}
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
			t.Errorf("prometheus_labels %v: %v", on, err)
		}
	}
}

// TestStateMetrics: with Redis state, the metrics count the scripts run on Redis and the
// requests admitted from leases; far from its limits, most requests make no call.
func TestStateMetrics(t *testing.T) {
	srv := redistest.Start(t)
	g, err := governance.Open(parse(t, `
  virtual_keys: [{name: a, value: vk-a, rpm: 100000}]
  state: {url: "`+srv.URL+`"}
`))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(g.Collector())
	p := g.Policy()
	for range 50 {
		var tk governance.Ticket
		tk.Key = p.Authenticate([]byte("vk-a"))
		if got := g.Admit(p, &tk, &governance.Request{Model: "openai/gpt-4o", MaxTokens: 10}); got != governance.Admit {
			t.Fatalf("admit: %v", got)
		}
		g.Settle(&tk, "openai", "gpt-4o", governance.Usage{Input: 1, Output: 1}, true, true)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		got[mf.GetName()] = mf.GetMetric()[0].GetCounter().GetValue()
	}
	calls, leased := got["bifrost_governance_state_calls_total"], got["bifrost_governance_lease_admissions_total"]
	if calls < 1 || calls > 25 || leased < 25 || leased > 49 {
		t.Errorf("50 requests: %v calls to Redis, %v admitted from leases", calls, leased)
	}
}
