package governance

import (
	_ "embed" // the built-in price table
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/bifrost-gw/bifrost/runtime/config"
)

// builtinPrices is the built-in price table: see prices/README.md for its source and date.
//
//go:embed prices/litellm.json
var builtinPrices []byte

// priceFile is the shape of a price table file.
type priceFile struct {
	Source string `json:"source"`
	Date   string `json:"date"`
	Unit   string `json:"unit"`
	Models map[string]struct {
		Input       float64  `json:"input"`
		Output      float64  `json:"output"`
		CachedInput *float64 `json:"cached_input"`
	} `json:"models"`
}

// Prices is a price table: a price per provider and model, and optionally one for all of a
// provider's models ("provider/*"). Lookups allocate nothing.
type Prices struct {
	models    map[string]map[string]config.Price // provider -> model -> price
	providers map[string]config.Price            // "provider/*"
	// Source and Date say where the built-in table comes from.
	Source, Date string
}

// NewPrices returns the built-in table with overrides (governance.prices) applied on top.
func NewPrices(overrides map[string]config.Price) (*Prices, error) {
	var f priceFile
	if err := json.Unmarshal(builtinPrices, &f); err != nil {
		return nil, fmt.Errorf("governance: built-in price table: %w", err)
	}
	p := &Prices{models: map[string]map[string]config.Price{}, providers: map[string]config.Price{}, Source: f.Source, Date: f.Date}
	for name, m := range f.Models {
		pr := config.Price{Input: perMillion(m.Input), Output: perMillion(m.Output)}
		if m.CachedInput != nil {
			pr.CachedInput, pr.CachedSet = perMillion(*m.CachedInput), true
		}
		p.set(name, pr)
	}
	for name, pr := range overrides {
		p.set(name, pr)
	}
	return p, nil
}

// perMillion turns USD per million tokens into nano-USD per million tokens.
func perMillion(usd float64) int64 { return int64(math.Round(usd * config.NanoUSD)) }

func (p *Prices) set(name string, pr config.Price) {
	prov, model, _ := strings.Cut(name, "/")
	if model == "*" {
		p.providers[prov] = pr
		return
	}
	m := p.models[prov]
	if m == nil {
		m = map[string]config.Price{}
		p.models[prov] = m
	}
	m[model] = pr
}

// Lookup returns the price of provider's model: its own, else its provider's "provider/*".
func (p *Prices) Lookup(provider, model string) (config.Price, bool) {
	if pr, ok := p.models[provider][model]; ok {
		return pr, true
	}
	pr, ok := p.providers[provider]
	return pr, ok
}

// Cost returns the cost in nano-USD of input tokens (of which cached were read from the
// provider's prompt cache) and output tokens at price pr, rounded up to the nano-dollar.
func Cost(pr config.Price, input, cached, output int64) int64 {
	cached = min(max(cached, 0), max(input, 0))
	cachedPrice := pr.Input
	if pr.CachedSet {
		cachedPrice = pr.CachedInput
	}
	return mulPerMillion(max(input, 0)-cached, pr.Input) + mulPerMillion(cached, cachedPrice) + mulPerMillion(max(output, 0), pr.Output)
}

// mulPerMillion returns ceil(tokens * price / 1e6) without overflowing for the bounds the
// config allows (price up to 1e15, tokens up to 1e9).
func mulPerMillion(tokens, price int64) int64 {
	const m = 1_000_000
	whole := tokens * (price / m)
	frac := tokens * (price % m)
	return whole + (frac+m-1)/m
}
