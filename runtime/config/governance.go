package config

import (
	"math"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Governance defaults and bounds.
const (
	// DefaultGovernanceMaxTokens is the output tokens a request without max_tokens
	// reserves (governance.default_max_tokens).
	DefaultGovernanceMaxTokens = 4096
	// DefaultStateTimeout bounds one call to the shared state (governance.state.timeout_ms).
	DefaultStateTimeout = 50 * time.Millisecond
	// DefaultSettleDelay is how long a settlement may wait for the next reservation to
	// carry it to Redis before it is sent on its own (governance.state.settle_delay_ms).
	DefaultSettleDelay = 5 * time.Millisecond
	// DefaultLeaseAge is the longest a replica uses a share of the limits leased from
	// Redis (governance.state.lease_ms).
	DefaultLeaseAge = 100 * time.Millisecond
	// NanoUSD is the number of the gateway's money units in one US dollar: money is
	// counted in integer nano-dollars.
	NanoUSD = 1_000_000_000

	maxGovernanceMaxTokens = 10_000_000
	maxStateTimeout        = 10 * time.Second
	maxSettleDelay         = time.Second
	maxLeaseAge            = 10 * time.Second
	maxRateLimit           = 1 << 40
	maxBudgetUSD           = 1e9
	maxPricePerMillionUSD  = 1e6
)

// On-error policies of the shared state (governance.state.on_error).
const (
	FailOpen   = "fail_open"
	FailClosed = "fail_closed"
)

// Governance is the "governance" block: virtual keys with their teams, limits and
// budgets, price overrides and where the counters live. A nil *Governance (no block)
// turns governance off.
type Governance struct {
	// VirtualKeys are the keys the gateway issues to its consumers. Key: "virtual_keys".
	VirtualKeys []VirtualKey
	// Teams are the teams keys may belong to, by name. Key: "teams".
	Teams []Team
	// Prices override or extend the built-in price table, by "provider/model" or
	// "provider/*". Key: "prices".
	Prices map[string]Price
	// DefaultMaxTokens is the output tokens reserved for a request without max_tokens.
	// Key: "default_max_tokens". Default: DefaultGovernanceMaxTokens.
	DefaultMaxTokens int
	// State says where the counters live. Key: "state". Default: in process.
	State State
	// Providers are limits and budgets per provider account, over every request sent to
	// that provider first, with a virtual key or a client.api_keys key: so that one
	// provider account cannot be drained. Key: "providers", a map from the provider's
	// name to "rpm", "tpm", "max_in_flight" and "budget".
	Providers map[string]Limits
	// AdminKeys may read the usage API (GET /governance/usage). Key: "admin_keys"
	// ("env.VAR" allowed). None: the usage API answers 404.
	AdminKeys []string
}

// VirtualKey is one entry of governance.virtual_keys.
type VirtualKey struct {
	// Name names the key in logs, metrics and the usage API; unique. Key: "name".
	Name string
	// Value is the secret the client sends ("env.VAR" allowed); unique. Key: "value".
	Value string
	// Models lists what the key may call: "provider/model" exactly, "provider/*", or "*".
	// Empty means every model. Key: "models".
	Models []string
	// Team names the key's team, if any. Key: "team".
	Team string
	// Limits are the key's own limits and budgets (keys "rpm", "tpm", "max_in_flight",
	// "budget").
	Limits Limits
}

// Team is one entry of governance.teams.
type Team struct {
	// Name names the team; unique. Key: "name".
	Name string
	// Limits are the team's limits and budgets, over all its keys together.
	Limits Limits
}

// Limits are the optional limits of one level (key or team). Zero means no limit.
type Limits struct {
	// RPM is requests per UTC minute. Key: "rpm".
	RPM int64
	// TPM is tokens (input and output) per UTC minute. Key: "tpm".
	TPM int64
	// MaxInFlight is requests running at once. Key: "max_in_flight".
	MaxInFlight int64
	// Budget is in nano-USD per UTC day, ISO week (from Monday), calendar month and for
	// the whole life, in that order. Key: "budget" with "daily_usd", "weekly_usd",
	// "monthly_usd", "lifetime_usd".
	Budget [4]int64
}

// Price is a model's price in nano-USD per million tokens (equal to micro-USD per
// thousand tokens). Keys: "input", "output", "cached_input", in USD per million tokens.
type Price struct {
	Input, Output, CachedInput int64
	// CachedSet says cached_input was given; otherwise cached input is priced as input.
	CachedSet bool
}

// State is governance.state.
type State struct {
	// URL is "memory" (or empty) for in-process counters, or "redis://..." / "rediss://..."
	// for a Redis server shared by every replica. Key: "url".
	URL string
	// Password authenticates to Redis ("env.VAR" allowed). Key: "password".
	Password string
	// Timeout bounds one call to Redis. Key: "timeout_ms". Default: DefaultStateTimeout.
	Timeout time.Duration
	// OnError is FailOpen (admit without counting) or FailClosed (answer 503) when the
	// state cannot be reached in time. Key: "on_error". Default: FailClosed.
	OnError string
	// SettleDelay is how long a request's settlement waits in the replica for the next
	// reservation to carry it to Redis in the same script; what waited this long is sent
	// in one batch of its own. Longer: fewer calls to Redis at low rates, and other
	// replicas see a finished request's real cost later (until then its worst case stays
	// reserved, so nothing is over-admitted). Key: "settle_delay_ms". Default:
	// DefaultSettleDelay; at most a second.
	SettleDelay time.Duration
	// LeaseAge, above zero, lets each replica admit from shares of the limits leased from
	// Redis while every level has room for sixteen such shares, used for at most this
	// long (and never past the minute); 0 reserves in Redis request by request. Key:
	// "lease_ms". Default: DefaultLeaseAge; at most 10 seconds.
	LeaseAge time.Duration
}

// governance decodes the "governance" block.
func (d *decoder) governance(n *yaml.Node, path string) *Governance {
	g := &Governance{DefaultMaxTokens: DefaultGovernanceMaxTokens, State: State{Timeout: DefaultStateTimeout, SettleDelay: DefaultSettleDelay, LeaseAge: DefaultLeaseAge, OnError: FailClosed}}
	var keysNode, teamsNode *yaml.Node
	d.fields(n, path, []field{
		{name: "virtual_keys", set: func(p pair, _ string) { keysNode = p.val }},
		{name: "teams", set: func(p pair, _ string) { teamsNode = p.val }},
		{name: "prices", set: func(p pair, fp string) { g.Prices = d.prices(p.val, fp) }},
		{name: "default_max_tokens", set: func(p pair, fp string) {
			if v, ok := d.integer(p.val, fp, 1, maxGovernanceMaxTokens); ok {
				g.DefaultMaxTokens = v
			}
		}},
		{name: "state", set: func(p pair, fp string) { d.stateBlock(p.val, fp, &g.State) }},
		{name: "admin_keys", set: func(p pair, fp string) { g.AdminKeys = d.strList(p.val, fp, nil) }},
		{name: "providers", set: func(p pair, fp string) { g.Providers = d.providerLimits(p.val, fp) }},
	})
	teams := map[string]bool{}
	for i, item := range d.list(teamsNode, join(path, "teams")) {
		ip := index(join(path, "teams"), i)
		var t Team
		d.fields(item, ip, append([]field{
			{name: "name", required: true, set: func(p pair, fp string) { t.Name = d.nonEmpty(p.val, fp) }},
		}, d.limitFields(&t.Limits)...))
		if t.Name != "" {
			if teams[t.Name] {
				d.errorf(d.deref(item), join(ip, "name"), "duplicate team name %q", t.Name)
			}
			teams[t.Name] = true
		}
		g.Teams = append(g.Teams, t)
	}
	names, values := map[string]bool{}, map[string]bool{}
	for i, item := range d.list(keysNode, join(path, "virtual_keys")) {
		ip := index(join(path, "virtual_keys"), i)
		var k VirtualKey
		var teamNode *yaml.Node
		d.fields(item, ip, append([]field{
			{name: "name", required: true, set: func(p pair, fp string) { k.Name = d.nonEmpty(p.val, fp) }},
			{name: "value", required: true, set: func(p pair, fp string) { k.Value = d.nonEmpty(p.val, fp) }},
			{name: "models", set: func(p pair, fp string) { k.Models = d.strList(p.val, fp, modelPattern) }},
			{name: "team", set: func(p pair, fp string) { k.Team, teamNode = d.nonEmpty(p.val, fp), d.deref(p.val) }},
		}, d.limitFields(&k.Limits)...))
		if k.Name != "" {
			if names[k.Name] {
				d.errorf(d.deref(item), join(ip, "name"), "duplicate virtual key name %q", k.Name)
			}
			names[k.Name] = true
		}
		if k.Value != "" {
			if values[k.Value] {
				d.errorf(d.deref(item), join(ip, "value"), "the same value as an earlier virtual key") // never the value itself
			}
			values[k.Value] = true
		}
		if k.Team != "" && !teams[k.Team] {
			d.errorf(teamNode, join(ip, "team"), "names a team that is not in governance.teams")
		}
		g.VirtualKeys = append(g.VirtualKeys, k)
	}
	return g
}

// providerLimits decodes governance.providers: provider name -> limits.
func (d *decoder) providerLimits(n *yaml.Node, path string) map[string]Limits {
	pairs := d.mapping(n, path)
	if pairs == nil {
		return nil
	}
	out := make(map[string]Limits, len(pairs))
	for _, p := range pairs {
		fp := join(path, p.key.Value)
		if !isProviderName(p.key.Value) {
			d.errorf(p.key, fp, "must be a provider name")
			continue
		}
		var l Limits
		d.fields(p.val, fp, d.limitFields(&l))
		out[p.key.Value] = l
	}
	return out
}

// limitFields returns the fields of the limits of a key or a team, decoded into l.
func (d *decoder) limitFields(l *Limits) []field {
	rate := func(dst *int64) func(pair, string) {
		return func(p pair, fp string) {
			if v, ok := d.integer(p.val, fp, 0, maxRateLimit); ok {
				*dst = int64(v)
			}
		}
	}
	return []field{
		{name: "rpm", set: rate(&l.RPM)},
		{name: "tpm", set: rate(&l.TPM)},
		{name: "max_in_flight", set: rate(&l.MaxInFlight)},
		{name: "budget", set: func(p pair, fp string) {
			usd := func(i int) func(pair, string) {
				return func(p pair, fp string) {
					if v, ok := d.number(p.val, fp); ok {
						if v < 0 || v > maxBudgetUSD {
							d.errorf(d.deref(p.val), fp, "must be between 0 and %g", float64(maxBudgetUSD))
							return
						}
						l.Budget[i] = int64(math.Round(v * NanoUSD))
					}
				}
			}
			d.fields(p.val, fp, []field{
				{name: "daily_usd", set: usd(0)},
				{name: "weekly_usd", set: usd(1)},
				{name: "monthly_usd", set: usd(2)},
				{name: "lifetime_usd", set: usd(3)},
			})
		}},
	}
}

// modelPattern checks an entry of a key's "models": "*", "provider/*" or "provider/model".
func modelPattern(s string) string {
	if s == "*" {
		return ""
	}
	prov, model, ok := strings.Cut(s, "/")
	if !ok || !isProviderName(prov) || model == "" {
		return `must be "provider/model", "provider/*" or "*"`
	}
	return ""
}

// prices decodes governance.prices.
func (d *decoder) prices(n *yaml.Node, path string) map[string]Price {
	pairs := d.mapping(n, path)
	if pairs == nil {
		return nil
	}
	out := make(map[string]Price, len(pairs))
	for _, p := range pairs {
		fp := join(path, p.key.Value)
		if msg := modelPattern(p.key.Value); msg != "" || p.key.Value == "*" {
			d.errorf(p.key, fp, `price keys must be "provider/model" or "provider/*"`)
			continue
		}
		var pr Price
		per := func(dst *int64, set *bool) func(pair, string) {
			return func(p pair, fp string) {
				if v, ok := d.number(p.val, fp); ok {
					if v < 0 || v > maxPricePerMillionUSD {
						d.errorf(d.deref(p.val), fp, "must be between 0 and %g USD per million tokens", float64(maxPricePerMillionUSD))
						return
					}
					*dst = int64(math.Round(v * 1e9))
					if set != nil {
						*set = true
					}
				}
			}
		}
		d.fields(p.val, fp, []field{
			{name: "input", required: true, set: per(&pr.Input, nil)},
			{name: "output", set: per(&pr.Output, nil)},
			{name: "cached_input", set: per(&pr.CachedInput, &pr.CachedSet)},
		})
		out[p.key.Value] = pr
	}
	return out
}

// stateBlock decodes governance.state into s, which holds the defaults.
func (d *decoder) stateBlock(n *yaml.Node, path string, s *State) {
	d.fields(n, path, []field{
		{name: "url", set: func(p pair, fp string) {
			v, ok := d.str(p.val, fp)
			if !ok {
				return
			}
			if v != "" && v != "memory" && !isURLWithScheme(v, "redis", "rediss") {
				d.errorf(d.deref(p.val), fp, `must be "memory" or a redis:// or rediss:// URL`)
				return
			}
			s.URL = v
		}},
		{name: "password", set: func(p pair, fp string) { s.Password, _ = d.str(p.val, fp) }},
		{name: "timeout_ms", set: func(p pair, fp string) { d.positiveMillis(p, fp, maxStateTimeout, &s.Timeout) }},
		{name: "settle_delay_ms", set: func(p pair, fp string) { d.positiveMillis(p, fp, maxSettleDelay, &s.SettleDelay) }},
		{name: "lease_ms", set: func(p pair, fp string) {
			if v, ok := d.millis(p.val, fp, maxLeaseAge); ok {
				s.LeaseAge = v
			}
		}},
		{name: "on_error", set: func(p pair, fp string) {
			v, ok := d.str(p.val, fp)
			if ok && v != FailOpen && v != FailClosed {
				d.errorf(d.deref(p.val), fp, `must be "fail_open" or "fail_closed"`)
				return
			}
			if ok {
				s.OnError = v
			}
		}},
	})
}

// positiveMillis decodes p's value as a duration above zero and at most limit into dst.
func (d *decoder) positiveMillis(p pair, fp string, limit time.Duration, dst *time.Duration) {
	v, ok := d.millis(p.val, fp, limit)
	if !ok {
		return
	}
	if v == 0 {
		d.errorf(d.deref(p.val), fp, "must be > 0")
		return
	}
	*dst = v
}
