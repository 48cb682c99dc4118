package harness

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Profile is a named benchmark setup (BENCHMARKS.md, "Profiles").
type Profile struct {
	Name        string
	Description string
	GOMAXPROCS  int // for the Go gateways and the raw proxy (0: leave as is)
	BufferSize  int // Bifrost's concurrency_and_buffer_size.buffer_size
	PoolSize    int // Bifrost's client.initial_pool_size and its provider concurrency
	Rates       []int
	Segment     time.Duration // one target at one rate in one round
	Rounds      int           // targets alternate A B C, C B A, ...
	Warmup      time.Duration // per target, at WarmupRate, before any measurement
	WarmupRate  int
	RateWarmup  time.Duration // per target and rate, unmeasured, so connection pools grow before the rate is measured
	StreamRate  int           // streaming scenario: streams per second per target
	StreamFor   time.Duration
	Timeout     time.Duration // per request
	// GatewayCPUs is the number of CPUs the gateway under test gets to
	// itself when the machine has enough (planPinning); 0 pins nothing.
	GatewayCPUs int
	// Sweep drops a target from the higher rates once it has failed the
	// capacity rule at two rates in a row, or fell over (see fellOver), so
	// that a capacity sweep finds where each target stops without waiting
	// out timeouts at every higher rate.
	Sweep bool
	// Parts, when set, make the profile a series of runs (each with its own
	// processes): the launch post's comparisons. The fields above are the
	// defaults each part starts from.
	Parts []Part
}

// Part is one run of a profile made of several.
type Part struct {
	Name         string // folder name of its report
	Title        string
	LatencyModel string // the mock's latency model
	Rates        []int
	Segment      time.Duration
	Rounds       int
	Timeout      time.Duration
	Sweep        bool
}

// ForPart returns the profile for one of its parts.
func (p Profile) ForPart(part Part) Profile {
	q := p
	q.Name = p.Name + "/" + part.Name
	q.Description = part.Title
	q.Rates = part.Rates
	q.Segment, q.Rounds, q.Sweep = part.Segment, part.Rounds, part.Sweep
	if part.Timeout > 0 {
		q.Timeout = part.Timeout
	}
	q.Parts = nil
	q.StreamRate = 0
	return q
}

// Profiles returns the named profiles.
func Profiles() map[string]Profile {
	return map[string]Profile{
		"quick": {Name: "quick", Description: "1,000 to 5,000 RPS, 2 rounds of 5 s per target; under 5 minutes on 2 cores",
			GOMAXPROCS: 2, BufferSize: 15000, PoolSize: 10000,
			Rates: []int{1000, 3000, 5000}, Segment: 5 * time.Second, Rounds: 2,
			Warmup: 3 * time.Second, WarmupRate: 500, RateWarmup: time.Second,
			StreamRate: 50, StreamFor: 3 * time.Second, Timeout: 30 * time.Second},
		// launch reproduces the launch post's two LiteLLM tables and adds the
		// capacity curve; about 12 to 18 minutes with PEERS=litellm,portkey on
		// 2 cores (a peer that falls over costs its timeouts).
		"launch": {Name: "launch", Description: "the launch post's two comparisons at 500 RPS (t3.medium settings: GOMAXPROCS=2, buffer 15000, pool 10000), then the capacity curve to 10,000 RPS",
			GOMAXPROCS: 2, BufferSize: 15000, PoolSize: 10000, GatewayCPUs: 2,
			Warmup: 3 * time.Second, WarmupRate: 200, RateWarmup: time.Second, Timeout: 30 * time.Second,
			Parts: []Part{
				{Name: "table1-real-latency", Title: "the post's first table: 500 RPS for 2 x 10 s per target, mock answering with gpt-4o-mini's real latency distribution (p50 420 ms, p99 1.8 s) in place of the post's tier-5 OpenAI key",
					LatencyModel: "gpt-4o-mini-real", Rates: []int{500}, Segment: 10 * time.Second, Rounds: 2},
				{Name: "table2-fixed-60ms", Title: "the post's second table (LiteLLM's own benchmark setup): 500 RPS for 2 x 10 s per target, mock answering after a fixed 60 ms; overhead = median - 60 ms",
					LatencyModel: "fixed-60ms", Rates: []int{500}, Segment: 10 * time.Second, Rounds: 2},
				{Name: "capacity", Title: "the capacity curve: fixed 60 ms mock, 1,000 to 10,000 RPS, 1 x 6 s per target and rate; a target leaves the sweep after failing the capacity rule twice in a row or falling over",
					LatencyModel: "fixed-60ms", Rates: []int{1000, 2500, 5000, 7500, 10000}, Segment: 6 * time.Second, Rounds: 1, Timeout: 15 * time.Second, Sweep: true},
			}},
		"t3.medium": {Name: "t3.medium", Description: "GOMAXPROCS=2, buffer 15000, pool 10000, 500 to 5,000 RPS",
			GOMAXPROCS: 2, BufferSize: 15000, PoolSize: 10000, GatewayCPUs: 2,
			Rates: []int{500, 1000, 2000, 3000, 4000, 5000}, Segment: 10 * time.Second, Rounds: 2,
			Warmup: 5 * time.Second, WarmupRate: 1000, RateWarmup: 2 * time.Second,
			StreamRate: 100, StreamFor: 5 * time.Second, Timeout: 30 * time.Second},
		"t3.xlarge": {Name: "t3.xlarge", Description: "GOMAXPROCS=4, buffer 20000, pool 15000, 500 to 10,000 RPS",
			GOMAXPROCS: 4, BufferSize: 20000, PoolSize: 15000, GatewayCPUs: 4,
			Rates: []int{500, 1000, 2500, 5000, 7500, 10000}, Segment: 10 * time.Second, Rounds: 2,
			Warmup: 5 * time.Second, WarmupRate: 1000, RateWarmup: 2 * time.Second,
			StreamRate: 100, StreamFor: 5 * time.Second, Timeout: 30 * time.Second},
	}
}

// LookupProfile returns the named profile.
func LookupProfile(name string) (Profile, error) {
	ps := Profiles()
	p, ok := ps[name]
	if !ok {
		names := make([]string, 0, len(ps))
		for n := range ps {
			names = append(names, n)
		}
		slices.Sort(names)
		return p, fmt.Errorf("unknown profile %q: want %s", name, strings.Join(names, ", "))
	}
	return p, nil
}

// Planned returns how long the load phases of a run with targets targets
// take (warm-up, measured segments and streaming), without the time to
// start the processes. Each attack also waits for its last responses,
// about one mock latency, which the estimate counts as tail.
func (p Profile) Planned(targets int, tail time.Duration) time.Duration {
	if len(p.Parts) > 0 {
		var d time.Duration
		for _, part := range p.Parts {
			d += p.ForPart(part).Planned(targets, tail)
		}
		return d
	}
	attacks := len(p.Rates) * (p.Rounds + 1) // +1: the per-rate warm-up
	d := time.Duration(targets) * (p.Warmup + tail)
	d += time.Duration(targets*len(p.Rates)) * (p.RateWarmup + time.Duration(p.Rounds)*p.Segment)
	d += time.Duration(targets*attacks) * tail
	if p.StreamRate > 0 {
		d += time.Duration(targets) * (p.StreamFor + tail)
	}
	return d
}

// PromptSize returns the length in bytes of the user message content for
// a prompt size name: "200b", "10kb" or "50kb".
func PromptSize(name string) (int, error) {
	switch name {
	case "200b":
		return 200, nil
	case "10kb":
		return 10 << 10, nil
	case "50kb":
		return 50 << 10, nil
	}
	return 0, fmt.Errorf("prompt size %q: want 200b, 10kb or 50kb", name)
}
