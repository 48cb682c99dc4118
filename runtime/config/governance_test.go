package config

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

const govProviders = "providers: {openai: {keys: [{value: sk-secret-1}]}}\n"

func TestGovernanceParse(t *testing.T) {
	env := map[string]string{"ALICE_KEY": "vk-alice", "REDIS_PW": "pw"}
	cfg, err := Parse("gov.yaml", []byte(govProviders+`governance:
  default_max_tokens: 1000
  teams:
    - {name: research, rpm: 600, budget: {monthly_usd: 1000}}
  virtual_keys:
    - name: alice
      value: env.ALICE_KEY
      team: research
      models: ["openai/*", "anthropic/claude-3-5-haiku-20241022"]
      rpm: 60
      tpm: 100000
      max_in_flight: 4
      budget: {daily_usd: 5, weekly_usd: 20.5, monthly_usd: 50, lifetime_usd: 500}
  prices:
    "openai/gpt-4o": {input: 2.5, output: 10, cached_input: 1.25}
    "ollama/*": {input: 0}
  state: {url: "redis://127.0.0.1:6379/0", password: env.REDIS_PW, timeout_ms: 20, settle_delay_ms: 2, lease_ms: 0, on_error: fail_open}
  providers:
    openai: {rpm: 3000, tpm: 1000000, budget: {daily_usd: 100}}
`), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.Governance
	if g == nil || len(g.VirtualKeys) != 1 || len(g.Teams) != 1 {
		t.Fatalf("%+v", g)
	}
	k := g.VirtualKeys[0]
	if k.Value != "vk-alice" || k.Team != "research" || len(k.Models) != 2 ||
		k.Limits != (Limits{RPM: 60, TPM: 100000, MaxInFlight: 4, Budget: [4]int64{5e9, 20.5e9, 50e9, 500e9}}) {
		t.Errorf("key %+v", k)
	}
	if g.Teams[0].Limits != (Limits{RPM: 600, Budget: [4]int64{0, 0, 1000e9, 0}}) {
		t.Errorf("team %+v", g.Teams[0])
	}
	if g.Prices["openai/gpt-4o"] != (Price{Input: 2.5e9, Output: 10e9, CachedInput: 1.25e9, CachedSet: true}) || g.Prices["ollama/*"] != (Price{}) {
		t.Errorf("prices %+v", g.Prices)
	}
	if len(g.Providers) != 1 || g.Providers["openai"] != (Limits{RPM: 3000, TPM: 1000000, Budget: [4]int64{100e9, 0, 0, 0}}) {
		t.Errorf("providers %+v", g.Providers)
	}
	if g.DefaultMaxTokens != 1000 || g.State != (State{URL: "redis://127.0.0.1:6379/0", Password: "pw", Timeout: 20 * time.Millisecond, SettleDelay: 2 * time.Millisecond, OnError: FailOpen}) {
		t.Errorf("%+v", g)
	}

	cfg, err = Parse("plain.yaml", []byte(govProviders), nil)
	if err != nil || cfg.Governance != nil {
		t.Errorf("no block: %v %+v", err, cfg.Governance)
	}
	cfg, err = Parse("empty.yaml", []byte(govProviders+"governance: {}\n"), nil)
	if err != nil || cfg.Governance == nil || cfg.Governance.DefaultMaxTokens != DefaultGovernanceMaxTokens ||
		cfg.Governance.State.OnError != FailClosed || cfg.Governance.State.Timeout != DefaultStateTimeout ||
		cfg.Governance.State.SettleDelay != DefaultSettleDelay || cfg.Governance.State.LeaseAge != DefaultLeaseAge {
		t.Errorf("empty block: %v %+v", err, cfg.Governance)
	}
}

func TestGovernanceBadConfigs(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"no-value.yaml", "governance:\n  virtual_keys:\n    - {name: a}\n",
			"no-value.yaml:3: governance.virtual_keys[0].value: required"},
		{"dup.yaml", "governance:\n  virtual_keys:\n    - {name: a, value: vk-secret-9}\n    - {name: a, value: vk-secret-9}\n",
			"dup.yaml:4: governance.virtual_keys[1].name: duplicate virtual key name \"a\"\n" +
				"dup.yaml:4: governance.virtual_keys[1].value: the same value as an earlier virtual key"},
		{"team.yaml", "governance:\n  virtual_keys:\n    - name: a\n      value: vk-secret-9\n      team: nope\n",
			"team.yaml:5: governance.virtual_keys[0].team: names a team that is not in governance.teams"},
		{"model.yaml", "governance:\n  virtual_keys:\n    - {name: a, value: vk-secret-9, models: [gpt-4o]}\n",
			`model.yaml:3: governance.virtual_keys[0].models[0]: must be "provider/model", "provider/*" or "*"`},
		{"rpm.yaml", "governance:\n  virtual_keys:\n    - {name: a, value: vk-secret-9, rpm: -1}\n",
			"rpm.yaml:3: governance.virtual_keys[0].rpm: must be between 0 and 1099511627776"},
		{"budget.yaml", "governance:\n  teams:\n    - name: t\n      budget: {daily_usd: -1, yearly_usd: 5}\n",
			"budget.yaml:4: governance.teams[0].budget.daily_usd: must be between 0 and 1e+09\n" +
				"budget.yaml:4: governance.teams[0].budget.yearly_usd: unknown field"},
		{"price.yaml", "governance:\n  prices:\n    gpt-4o: {input: 1}\n    openai/x: {output: 1}\n",
			`price.yaml:3: governance.prices.gpt-4o: price keys must be "provider/model" or "provider/*"` + "\n" +
				`price.yaml:4: governance.prices["openai/x"].input: required`},
		{"state.yaml", "governance:\n  state: {url: \"http://x\", timeout_ms: 0, settle_delay_ms: 1001, on_error: maybe}\n",
			`state.yaml:2: governance.state.url: must be "memory" or a redis:// or rediss:// URL` + "\n" +
				"state.yaml:2: governance.state.timeout_ms: must be > 0\n" +
				"state.yaml:2: governance.state.settle_delay_ms: must be at most 1s\n" +
				`state.yaml:2: governance.state.on_error: must be "fail_open" or "fail_closed"`},
		{"settle.yaml", "governance:\n  state: {settle_delay_ms: 0}\n",
			"settle.yaml:2: governance.state.settle_delay_ms: must be > 0"},
		{"lease.yaml", "governance:\n  state: {lease_ms: 20000}\n",
			"lease.yaml:2: governance.state.lease_ms: must be at most 10s"},
		{"provider.yaml", "governance:\n  providers:\n    OpenAI: {rpm: 1}\n    openai: {rpm: -1, burst: 2}\n",
			"provider.yaml:3: governance.providers.OpenAI: must be a provider name\n" +
				"provider.yaml:4: governance.providers.openai.rpm: must be between 0 and 1099511627776\n" +
				"provider.yaml:4: governance.providers.openai.burst: unknown field"},
		{"unknown.yaml", "governance:\n  virtual_key: []\n",
			"unknown.yaml:2: governance.virtual_key: unknown field"},
		{"env.yaml", "governance:\n  virtual_keys:\n    - {name: a, value: env.NOPE}\n",
			"env.yaml:3: governance.virtual_keys[0].value: environment variable NOPE is not set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.name, []byte(govProviders+tc.doc), func(string) string { return "" })
			if err == nil {
				t.Fatal("no error")
			}
			// The provider line comes first: line numbers are one more than in doc.
			got := err.Error()
			want := shiftLines(tc.want)
			if got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
			if strings.Contains(got, "vk-secret-9") || strings.Contains(got, "sk-secret-1") {
				t.Errorf("error quotes a key: %s", got)
			}
		})
	}
}

// shiftLines adds one to the line number of each "file:line:" error line.
func shiftLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		parts := strings.SplitN(l, ":", 3)
		n, _ := strconv.Atoi(parts[1])
		lines[i] = parts[0] + ":" + strconv.Itoa(n+1) + ":" + parts[2]
	}
	return strings.Join(lines, "\n")
}
