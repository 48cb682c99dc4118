// Package governance checks every request against the virtual key it carries: which
// models the key may use, its rate limits and budgets and its team's, and what the request
// cost.
//
// A Governor holds the current Policy (the governance block of the config, swapped whole
// on reload) and the State that keeps the counters (package state; memstore in process,
// redisstore shared by every replica). A request is admitted by reserving its worst case
// (estimated input tokens plus max_tokens or governance.default_max_tokens, at the highest
// price of the models it may be sent to) from its key and team, and settled once, after
// the call or the stream, to the cost of what the provider billed. The counters are kept
// by key and team name, so a reload that changes a limit keeps them.
package governance

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bifrost-gw/bifrost/governance/memstore"
	"github.com/bifrost-gw/bifrost/governance/redisstore"
	"github.com/bifrost-gw/bifrost/governance/state"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
)

// Governor applies the governance block of the config. It is safe for concurrent use.
type Governor struct {
	state       state.State
	policy      atomic.Pointer[Policy]
	stateErrors atomic.Uint64
	stats       keyStats
	stop        []context.CancelFunc // ends what ShareKeyCooldowns started
}

// New returns a Governor that keeps its counters in st, with governance off until
// Configure is given a config with a governance block.
func New(st state.State) *Governor {
	return &Governor{state: st}
}

// Configure applies cfg.Governance: nil turns governance off. Counters are kept across
// calls, by key and team name. The state (governance.state) is chosen when the Governor is
// made and a reload does not change it.
func (g *Governor) Configure(cfg *config.Config) error {
	if cfg == nil || cfg.Governance == nil {
		g.policy.Store(nil)
		return nil
	}
	p, err := newPolicy(cfg, &g.stats)
	if err != nil {
		return err
	}
	g.policy.Store(p)
	return nil
}

// Policy returns the policy in force, or nil when governance is off.
func (g *Governor) Policy() *Policy { return g.policy.Load() }

// State returns the state that keeps the counters.
func (g *Governor) State() state.State { return g.state }

// StateErrors counts the times the state could not be reached, settlements made in the
// background included.
func (g *Governor) StateErrors() uint64 {
	n := g.stateErrors.Load()
	if a, ok := g.state.(interface{ AsyncErrors() uint64 }); ok {
		n += a.AsyncErrors()
	}
	return n
}

// Close stops sharing key cooldowns and closes the state.
func (g *Governor) Close() error {
	for _, cancel := range g.stop {
		cancel()
	}
	return g.state.Close()
}

// ProviderLevelPrefix starts the level ID of a provider's limits ("provider:openai").
const ProviderLevelPrefix = "provider:"

// Policy is one config's governance: the keys by their hash, the price table, the
// defaults. It is immutable.
type Policy struct {
	keys             map[[sha256.Size]byte]*Key
	byName           map[string]*Key
	teams            map[string]*state.Level
	providers        map[string]*state.Level // governance.providers, by provider name
	prices           *Prices
	aliases          map[string][]string
	defaultMaxTokens int64
	failOpen         bool
	adminKeys        [][sha256.Size]byte
	byKeyLabel       bool // client.prometheus_labels lists KeyLabel
}

// Key is one virtual key of a policy.
type Key struct {
	// Name is the key's name from the config (never its value).
	Name string
	// Team is the key's team name, or "".
	Team      string
	levels    [state.MaxLevels]*state.Level
	n         int
	budgeted  bool // a level has a budget: every model needs a price
	allModels bool
	providers map[string]bool            // "provider/*"
	models    map[string]map[string]bool // provider -> model
	stat      *keyStat
}

func newPolicy(cfg *config.Config, stats *keyStats) (*Policy, error) {
	g := cfg.Governance
	prices, err := NewPrices(g.Prices)
	if err != nil {
		return nil, err
	}
	p := &Policy{
		keys: map[[sha256.Size]byte]*Key{}, byName: map[string]*Key{}, teams: map[string]*state.Level{},
		prices: prices, aliases: cfg.Aliases, defaultMaxTokens: int64(g.DefaultMaxTokens),
		failOpen: g.State.OnError == config.FailOpen, adminKeys: adminHashes(g),
		byKeyLabel: slices.Contains(cfg.Client.PrometheusLabels, KeyLabel),
	}
	for _, t := range g.Teams {
		p.teams[t.Name] = &state.Level{ID: "team:" + t.Name, Limits: t.Limits}
	}
	p.providers = make(map[string]*state.Level, len(g.Providers))
	for name, l := range g.Providers {
		p.providers[name] = &state.Level{ID: ProviderLevelPrefix + name, Limits: l}
	}
	for _, vk := range g.VirtualKeys {
		k := &Key{Name: vk.Name, Team: vk.Team, providers: map[string]bool{}, models: map[string]map[string]bool{}, stat: stats.get(vk.Name)}
		k.levels[0] = &state.Level{ID: "key:" + vk.Name, Limits: vk.Limits}
		k.n = 1
		if vk.Team != "" {
			t := p.teams[vk.Team]
			if t == nil {
				return nil, fmt.Errorf("governance: virtual key %q names unknown team %q", vk.Name, vk.Team)
			}
			k.levels[1] = t
			k.n = 2
		}
		for i := 0; i < k.n; i++ {
			k.budgeted = k.budgeted || k.levels[i].Limits.Budget != [state.NumPeriods]int64{}
		}
		k.allModels = len(vk.Models) == 0
		for _, m := range vk.Models {
			prov, model, _ := strings.Cut(m, "/")
			switch {
			case m == "*":
				k.allModels = true
			case model == "*":
				k.providers[prov] = true
			default:
				if k.models[prov] == nil {
					k.models[prov] = map[string]bool{}
				}
				k.models[prov][model] = true
			}
		}
		p.keys[sha256.Sum256([]byte(vk.Value))] = k
		p.byName[vk.Name] = k
	}
	return p, nil
}

// Authenticate returns the virtual key whose value is secret, or nil. It allocates
// nothing; the secret is compared as its SHA-256 hash.
func (p *Policy) Authenticate(secret []byte) *Key {
	if len(secret) == 0 {
		return nil
	}
	return p.keys[sha256.Sum256(secret)]
}

// LimitsProviders reports whether governance.providers limits any provider.
func (p *Policy) LimitsProviders() bool { return len(p.providers) > 0 }

// Prices returns the policy's price table.
func (p *Policy) Prices() *Prices { return p.prices }

// Allowed reports whether k may use provider's model.
func (k *Key) Allowed(provider, model string) bool {
	return k.allModels || k.providers[provider] || k.models[provider][model]
}

// Request describes a request to admit: its model as the client named it, its provider
// field, its fallbacks, the input tokens estimated from its size and its max_tokens (0
// for none). DefaultProvider, if set, is the provider of a bare model name that is no
// alias (the Anthropic route's "anthropic").
type Request struct {
	Model, Provider, DefaultProvider string
	Fallbacks                        []string
	InputTokens, MaxTokens           int64
	// Embedding says the request has no output tokens.
	Embedding bool
}

// Outcome is what Admit decided.
type Outcome uint8

// Outcomes.
const (
	// Admit: the request goes on; its ticket must be settled.
	Admit Outcome = iota
	// Forbidden: the key may not use a model the request names (403).
	Forbidden
	// Unpriced: the key has a budget and a model the request names has no price (403).
	Unpriced
	// Refused: a limit or a budget refused it (429); Ticket.Verdict says which.
	Refused
	// Unavailable: the state could not be reached and governance.state.on_error is
	// fail_closed (503).
	Unavailable
)

// Ticket is one request's governance: the key, the reservation, the verdict and, once
// settled, the cost. The zero value is ready; a server keeps one in its pooled
// per-request state, and Reset clears it.
type Ticket struct {
	Key     *Key
	Verdict state.Verdict
	// Model is the first model the request names that Admit refused (Forbidden, Unpriced).
	Model string
	// Cost is the settled cost in nano-USD; Costed says Settle priced it.
	Cost   int64
	Costed bool
	res    state.Reservation
	policy *Policy
	// prov is the provider whose governance.providers level the ticket holds ("": none):
	// in res, as its last level, when provIn; else in pres, a reservation of that level
	// alone, taken when the request moved to the provider (Enter).
	prov   string
	provIn bool
	pres   state.Reservation
}

// Reset clears t for the next request.
func (t *Ticket) Reset() { *t = Ticket{} }

// Admit checks the request against t.Key (nil: a key from client.api_keys, which has no
// limits of its own) and reserves its worst case from the key, its team, and the
// provider the request is sent to first when governance.providers limits it. When the
// engine sends the request to another provider (a fallback), Enter moves the provider's
// part of the reservation. After Admit returns Admit, t must be settled once with Settle.
func (g *Governor) Admit(p *Policy, t *Ticket, r *Request) Outcome {
	t.policy = p
	k := t.Key
	var in, out int64 // the highest prices
	priced := true
	first := ""         // the provider the request is sent to first
	other := false      // the request may be sent to another provider too
	provBudget := false // a provider the request may reach has a budget
	check := func(prov, model string) bool {
		if k != nil && !k.Allowed(prov, model) {
			t.Model = model
			return false
		}
		if first == "" {
			first = prov
		}
		other = other || prov != first
		if pl := p.providers[prov]; pl != nil && pl.Limits.Budget != [state.NumPeriods]int64{} {
			provBudget = true
		}
		pr, ok := p.prices.Lookup(prov, model)
		in, out = max(in, pr.Input), max(out, pr.Output)
		if !ok && priced {
			priced = false
			t.Model = model
		}
		return true
	}
	if !p.targets(r, check) {
		return Forbidden
	}
	res := &t.res
	res.N = 0
	budgeted := provBudget
	if k != nil {
		res.Levels, res.N, budgeted = k.levels, k.n, budgeted || k.budgeted
	}
	if budgeted && !priced {
		return Unpriced
	}
	maxOut := r.MaxTokens
	if maxOut <= 0 {
		maxOut = p.defaultMaxTokens
	}
	if r.Embedding {
		maxOut = 0
	}
	res.Tokens = r.InputTokens + maxOut
	res.Cost = mulPerMillion(r.InputTokens, in) + mulPerMillion(maxOut, out)
	if pl := p.providers[first]; pl != nil {
		res.Levels[res.N] = pl
		res.N++
		t.prov, t.provIn = first, true
	}
	if res.N == 0 {
		return Admit
	}
	outcome := g.reserve(p, t, res)
	if outcome == Refused && t.provIn && t.Verdict.Level == res.N-1 && other {
		// The first provider has no room but a fallback may: reserve from the key and team
		// alone, and let Enter try each provider the engine moves to.
		res.N--
		res.Levels[res.N] = nil
		t.prov, t.provIn = "", false
		if res.N == 0 {
			return Admit
		}
		outcome = g.reserve(p, t, res)
	}
	return outcome
}

// reserve takes res from the state, as Admit and Enter do.
func (g *Governor) reserve(p *Policy, t *Ticket, res *state.Reservation) Outcome {
	if err := g.state.Reserve(res, &t.Verdict); err != nil {
		g.stateErrors.Add(1)
		res.Held = false
		if p.failOpen {
			return Admit
		}
		return Unavailable
	}
	if !res.Held {
		return Refused
	}
	return Admit
}

// RefusedBy returns the ID of the level that refused the ticket's reservation
// ("key:alice", "team:research", "provider:openai"), or "".
func (t *Ticket) RefusedBy() string {
	r := &t.res
	if t.prov != "" && !t.provIn {
		r = &t.pres // Enter's reservation was refused
	}
	if t.Verdict.Refused == state.Admitted || t.Verdict.Level >= r.N || r.Levels[t.Verdict.Level] == nil {
		return ""
	}
	return r.Levels[t.Verdict.Level].ID
}

// targets calls check with the provider and model of each target the request may be sent
// to, as the engine routes it (runtime/route.go): the provider field, an alias's targets,
// or "provider/model", then the fallbacks. It stops at the first false. A name that does
// not route is skipped: the engine refuses it.
func (p *Policy) targets(r *Request, check func(prov, model string) bool) bool {
	switch {
	case r.Provider != "":
		if !check(r.Provider, r.Model) {
			return false
		}
	default:
		if ts, ok := p.aliases[r.Model]; ok {
			for _, t := range ts {
				prov, model, _ := strings.Cut(t, "/")
				if !check(prov, model) {
					return false
				}
			}
			break
		}
		prov, model, ok := strings.Cut(r.Model, "/")
		if !ok && r.DefaultProvider != "" && r.Model != "" {
			prov, model, ok = r.DefaultProvider, r.Model, true
		}
		if ok && !check(prov, model) {
			return false
		}
	}
	for _, fb := range r.Fallbacks {
		if prov, model, ok := strings.Cut(fb, "/"); ok && !check(prov, model) {
			return false
		}
	}
	return true
}

// Usage is what a provider billed for a request.
type Usage struct {
	Input, CachedInput, Output int64
}

// Settle prices the request served by provider's model with usage u, gives back t's
// reservation and counts the real use instead. With known (false: a stream that ended
// before its usage came, or a failure), the reservation's worst case is charged when the
// call may have been billed (billed), nothing otherwise. It returns the cost in nano-USD.
func (g *Governor) Settle(t *Ticket, provider, model string, u Usage, known, billed bool) int64 {
	if t.policy == nil {
		return 0
	}
	res := &t.res
	tokens, cost := u.Input+u.Output, int64(0)
	if known {
		if pr, ok := t.policy.prices.Lookup(provider, model); ok {
			cost = Cost(pr, u.Input, u.CachedInput, u.Output)
		}
	} else if billed {
		tokens, cost = res.Tokens, res.Cost
	} else {
		tokens = 0
	}
	t.Cost, t.Costed = cost, known || billed
	if k := t.Key; k != nil && res.Held {
		k.stat.requests.Add(1)
		k.stat.cost.Add(cost)
	}
	for _, r := range [2]*state.Reservation{res, &t.pres} {
		if r.Held {
			if err := g.state.Settle(r, tokens, cost); err != nil {
				g.stateErrors.Add(1)
			}
		}
	}
	t.policy = nil
	return cost
}

// Reserved returns the worst-case cost the ticket reserved, in nano-USD.
func (t *Ticket) Reserved() int64 { return t.res.Cost }

// AppendUSD appends nano-USD n as a decimal number of US dollars with nine decimals
// ("0.000012500").
func AppendUSD(dst []byte, n int64) []byte {
	if n < 0 {
		dst = append(dst, '-')
		n = -n
	}
	whole, frac := n/config.NanoUSD, n%config.NanoUSD
	dst = appendInt(dst, whole)
	dst = append(dst, '.')
	var digits [9]byte
	for i := 8; i >= 0; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	return append(dst, digits[:]...)
}

func appendInt(dst []byte, n int64) []byte {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(dst, b[i:]...)
}

// RetryAfterSeconds rounds d up to whole seconds, at least 1.
func RetryAfterSeconds(d time.Duration) int64 {
	s := int64((d + time.Second - 1) / time.Second)
	return max(s, 1)
}

// Open returns a Governor for cfg: its state as governance.state says (in process when
// absent), and its policy configured. With no governance block, governance is off until
// a reload adds one, and the state is in process.
func Open(cfg *config.Config) (*Governor, error) {
	var sc config.State
	if cfg != nil && cfg.Governance != nil {
		sc = cfg.Governance.State
	}
	st, err := NewState(sc)
	if err != nil {
		return nil, err
	}
	g := New(st)
	if err := g.Configure(cfg); err != nil {
		st.Close() //nolint:errcheck // the configure error is the one to report
		return nil, err
	}
	return g, nil
}

// NewState returns the state that sc names: in process for "" or "memory", else Redis
// (connected now: a Redis that cannot be reached at start is an error), settling in the
// background so that a request waits on one round trip to Redis.
func NewState(sc config.State) (state.State, error) {
	if sc.URL == "" || sc.URL == "memory" {
		return memstore.New(nil), nil
	}
	st, err := redisstore.New(redisstore.Options{URL: sc.URL, Password: sc.Password, Timeout: sc.Timeout, AsyncSettle: true, SettleDelay: sc.SettleDelay, LeaseAge: sc.LeaseAge})
	if err != nil {
		return nil, fmt.Errorf("governance: state %s: %w", redactURL(sc.URL), err)
	}
	return st, nil
}

// redactURL drops any credentials from a state URL for a message.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		u.User = nil
		return u.String()
	}
	return "(unparsable URL)"
}

// ShareKeyCooldowns shares e's provider key cooldowns with every replica that shares the
// Redis state: a 429 (or 401/403) that one replica sees cools that key on all of them
// (published on redisstore.CooldownChannel). With the memory state it does nothing. It
// stops when the Governor is closed.
func (g *Governor) ShareKeyCooldowns(e *runtime.Engine) {
	st, ok := g.state.(*redisstore.Store)
	if !ok {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	g.stop = append(g.stop, cancel)
	e.OnKeyCooldown(func(provider, keyID string, until time.Time, auth bool) {
		go func() { // a key's cooldown is rare; the request does not wait on Redis for it
			if st.PublishCooldown(redisstore.Cooldown{Provider: provider, Key: keyID, Until: until, Auth: auth}) != nil {
				g.stateErrors.Add(1)
			}
		}()
	})
	go st.SubscribeCooldowns(ctx, func(c redisstore.Cooldown) {
		e.CoolKey(c.Provider, c.Key, c.Until, c.Auth)
	})
}
