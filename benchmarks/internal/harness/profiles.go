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
}

// Profiles returns the named profiles.
func Profiles() map[string]Profile {
	return map[string]Profile{
		"quick": {Name: "quick", Description: "1,000 to 5,000 RPS, 2 rounds of 5 s per target; under 5 minutes on 2 cores",
			GOMAXPROCS: 2, BufferSize: 15000, PoolSize: 10000,
			Rates: []int{1000, 3000, 5000}, Segment: 5 * time.Second, Rounds: 2,
			Warmup: 3 * time.Second, WarmupRate: 500, RateWarmup: time.Second,
			StreamRate: 50, StreamFor: 3 * time.Second, Timeout: 30 * time.Second},
		"t3.medium": {Name: "t3.medium", Description: "GOMAXPROCS=2, buffer 15000, pool 10000, 500 to 5,000 RPS",
			GOMAXPROCS: 2, BufferSize: 15000, PoolSize: 10000,
			Rates: []int{500, 1000, 2000, 3000, 4000, 5000}, Segment: 10 * time.Second, Rounds: 2,
			Warmup: 5 * time.Second, WarmupRate: 1000, RateWarmup: 2 * time.Second,
			StreamRate: 100, StreamFor: 5 * time.Second, Timeout: 30 * time.Second},
		"t3.xlarge": {Name: "t3.xlarge", Description: "GOMAXPROCS=4, buffer 20000, pool 15000, 500 to 10,000 RPS",
			GOMAXPROCS: 4, BufferSize: 20000, PoolSize: 15000,
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
