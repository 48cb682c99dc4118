package governance

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"slices"
	"time"

	"github.com/bifrost-gw/bifrost/governance/state"
	"github.com/bifrost-gw/bifrost/runtime/config"
)

// IsAdmin reports whether secret is one of governance.admin_keys, compared as SHA-256
// hashes in constant time against every admin key.
func (p *Policy) IsAdmin(secret []byte) bool {
	if len(secret) == 0 || len(p.adminKeys) == 0 {
		return false
	}
	sum := sha256.Sum256(secret)
	match := 0
	for i := range p.adminKeys {
		match |= subtle.ConstantTimeCompare(sum[:], p.adminKeys[i][:])
	}
	return match == 1
}

// HasAdmins reports whether the policy has admin keys (the usage API is on).
func (p *Policy) HasAdmins() bool { return len(p.adminKeys) > 0 }

// Report is the usage API's answer: every virtual key's, team's and limited provider's limits and use in the
// current windows, read from the shared state.
type Report struct {
	VirtualKeys []LevelReport `json:"virtual_keys"`
	Teams       []LevelReport `json:"teams"`
	// Providers are the provider accounts that governance.providers limits.
	Providers []LevelReport `json:"providers"`
}

// LevelReport is one key's or team's limits and use.
type LevelReport struct {
	Name string `json:"name"`
	Team string `json:"team,omitempty"`
	// Limits: 0 means none.
	RPM         int64 `json:"rpm"`
	TPM         int64 `json:"tpm"`
	MaxInFlight int64 `json:"max_in_flight"`
	// This minute's use (UTC), and when it resets.
	Requests     int64     `json:"requests_this_minute"`
	Tokens       int64     `json:"tokens_this_minute"`
	InFlight     int64     `json:"in_flight"`
	MinuteResets time.Time `json:"minute_resets_at"`
	Budgets      []Budget  `json:"budgets"`
}

// Budget is one budget's use in its current window. Spent includes the reservations of
// requests in flight.
type Budget struct {
	Period       string    `json:"period"`
	LimitUSD     string    `json:"limit_usd"`
	SpentUSD     string    `json:"spent_usd"`
	RemainingUSD string    `json:"remaining_usd"`
	ResetsAt     time.Time `json:"resets_at,omitzero"`
}

var periodNames = [state.NumPeriods]string{"daily", "weekly", "monthly", "lifetime"}

// Report reads every level of p from the state.
func (g *Governor) Report(p *Policy) (*Report, error) {
	r := &Report{VirtualKeys: []LevelReport{}, Teams: []LevelReport{}, Providers: []LevelReport{}}
	names := make([]string, 0, len(p.byName))
	for n := range p.byName {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		k := p.byName[n]
		lr, err := g.levelReport(k.levels[0], n)
		if err != nil {
			return nil, err
		}
		lr.Team = k.Team
		r.VirtualKeys = append(r.VirtualKeys, lr)
	}
	teams := make([]string, 0, len(p.teams))
	for n := range p.teams {
		teams = append(teams, n)
	}
	slices.Sort(teams)
	for _, n := range teams {
		lr, err := g.levelReport(p.teams[n], n)
		if err != nil {
			return nil, err
		}
		r.Teams = append(r.Teams, lr)
	}
	provs := make([]string, 0, len(p.providers))
	for n := range p.providers {
		provs = append(provs, n)
	}
	slices.Sort(provs)
	for _, n := range provs {
		lr, err := g.levelReport(p.providers[n], n)
		if err != nil {
			return nil, err
		}
		r.Providers = append(r.Providers, lr)
	}
	return r, nil
}

func (g *Governor) levelReport(l *state.Level, name string) (LevelReport, error) {
	var u state.Usage
	if err := g.state.Usage(l.ID, &u); err != nil {
		g.stateErrors.Add(1)
		return LevelReport{}, fmt.Errorf("governance: usage of %s: %w", name, err)
	}
	lim := &l.Limits
	lr := LevelReport{Name: name, RPM: lim.RPM, TPM: lim.TPM, MaxInFlight: lim.MaxInFlight,
		Requests: u.Requests, Tokens: u.Tokens, InFlight: u.InFlight,
		MinuteResets: time.Unix((u.Minute+1)*60, 0).UTC(), Budgets: []Budget{}}
	for p := range state.NumPeriods {
		if lim.Budget[p] == 0 {
			continue
		}
		lr.Budgets = append(lr.Budgets, Budget{Period: periodNames[p],
			LimitUSD: string(AppendUSD(nil, lim.Budget[p])), SpentUSD: string(AppendUSD(nil, u.Spent[p])),
			RemainingUSD: string(AppendUSD(nil, max(lim.Budget[p]-u.Spent[p], 0))), ResetsAt: state.WindowEnd(p, u.Windows[p])})
	}
	return lr, nil
}

// adminHashes hashes the admin keys.
func adminHashes(g *config.Governance) [][sha256.Size]byte {
	var out [][sha256.Size]byte
	for _, k := range g.AdminKeys {
		out = append(out, sha256.Sum256([]byte(k)))
	}
	return out
}
