package mocks

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// A LatencyModel decides how long each request takes. Sample is given a
// uniform draw u in [0, 1) from the server's seeded random source; models
// that do not need randomness (fixed latency, in-order replay) ignore it.
// Implementations must be safe for concurrent use.
type LatencyModel interface {
	Sample(u float64) time.Duration
	String() string
}

// Fixed is a constant latency.
type Fixed time.Duration

// Sample returns the fixed latency.
func (f Fixed) Sample(float64) time.Duration { return time.Duration(f) }

// String returns the model as ParseLatencyModel reads it.
func (f Fixed) String() string { return "fixed:" + time.Duration(f).String() }

// Jitter is a latency drawn uniformly from [Base-Spread, Base+Spread],
// floored at zero.
type Jitter struct{ Base, Spread time.Duration }

// Sample maps u to the jittered latency.
func (j Jitter) Sample(u float64) time.Duration {
	d := j.Base - j.Spread + time.Duration(u*float64(2*j.Spread))
	return max(d, 0)
}

// String returns the model as ParseLatencyModel reads it.
func (j Jitter) String() string { return "jitter:" + j.Base.String() + ":" + j.Spread.String() }

// Percentiles is a latency distribution given by its p50, p90, p99 and
// maximum, and optionally its p95. Sample inverts a piecewise-linear
// cumulative distribution through the points (0, Min), (0.5, P50),
// (0.9, P90), (0.95, P95) when P95 is set, (0.99, P99) and (1, Max), so
// over many samples the observed percentiles match the configured ones.
// Min, when zero, is P50/2.
type Percentiles struct{ Min, P50, P90, P95, P99, Max time.Duration }

// knot is one point of a piecewise-linear inverse cumulative distribution.
type knot struct {
	q float64
	d time.Duration
}

// knots returns the points Sample interpolates between, stored in buf
// (so that sampling does not allocate).
func (p Percentiles) knots(buf *[6]knot) []knot {
	lo := p.Min
	if lo == 0 {
		lo = p.P50 / 2
	}
	k := append(buf[:0], knot{0, lo}, knot{0.5, p.P50}, knot{0.9, p.P90})
	if p.P95 > 0 {
		k = append(k, knot{0.95, p.P95})
	}
	return append(k, knot{0.99, p.P99}, knot{1, p.Max})
}

// Sample maps u to a latency by the inverse cumulative distribution.
func (p Percentiles) Sample(u float64) time.Duration {
	var buf [6]knot
	k := p.knots(&buf)
	for i := 1; i < len(k); i++ {
		a, b := k[i-1], k[i]
		if u <= b.q || i == len(k)-1 {
			f := (u - a.q) / (b.q - a.q)
			f = math.Min(math.Max(f, 0), 1)
			return a.d + time.Duration(f*float64(b.d-a.d))
		}
	}
	return p.Max
}

// String returns the model as ParseLatencyModel reads it.
func (p Percentiles) String() string {
	if p.P95 > 0 {
		return fmt.Sprintf("dist:%v:%v:%v:%v:%v", p.P50, p.P90, p.P95, p.P99, p.Max)
	}
	return fmt.Sprintf("dist:%v:%v:%v:%v", p.P50, p.P90, p.P99, p.Max)
}

func (p Percentiles) validate() error {
	var buf [6]knot
	k := p.knots(&buf)
	if k[0].d < 0 {
		return fmt.Errorf("mocks: latency distribution %v: negative minimum", p)
	}
	for i := 1; i < len(k); i++ {
		if k[i].d < k[i-1].d {
			return fmt.Errorf("mocks: latency distribution %v: want 0 <= min <= p50 <= p90 [<= p95] <= p99 <= max", p)
		}
	}
	return nil
}

// Trace replays recorded latencies: in order (wrapping around at the end)
// or, when Sampled, by drawing one at random for each request.
type Trace struct {
	Latencies []time.Duration
	Sampled   bool
	Name      string // where the trace came from, for String
	next      atomic.Uint64
}

// Sample returns the next latency of the trace, or a random one.
func (t *Trace) Sample(u float64) time.Duration {
	n := len(t.Latencies)
	if n == 0 {
		return 0
	}
	if t.Sampled {
		return t.Latencies[min(int(u*float64(n)), n-1)]
	}
	return t.Latencies[(t.next.Add(1)-1)%uint64(n)]
}

// String names the trace file and the replay mode.
func (t *Trace) String() string {
	mode := "ordered"
	if t.Sampled {
		mode = "sampled"
	}
	return fmt.Sprintf("trace:%s:%s (%d latencies)", t.Name, mode, len(t.Latencies))
}

// ReadTrace reads a latency trace file: one latency per line, either a Go
// duration ("61.5ms") or a bare number of milliseconds ("61.5"). Blank
// lines and lines starting with '#' are skipped.
func ReadTrace(path string, sampled bool) (*Trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mocks: latency trace: %w", err)
	}
	defer f.Close()
	t := &Trace{Sampled: sampled, Name: path}
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' {
			continue
		}
		d, err := parseLatency(s)
		if err != nil {
			return nil, fmt.Errorf("mocks: %s:%d: %v", path, line, err)
		}
		t.Latencies = append(t.Latencies, d)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("mocks: latency trace %s: %w", path, err)
	}
	if len(t.Latencies) == 0 {
		return nil, fmt.Errorf("mocks: latency trace %s has no latencies", path)
	}
	return t, nil
}

// parseLatency reads "60ms" or a bare number of milliseconds.
func parseLatency(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 0 || f > 24*3600e3 {
			return 0, fmt.Errorf("latency %q out of range", s)
		}
		return time.Duration(f * float64(time.Millisecond)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("latency %q: want a duration such as 60ms", s)
	}
	return d, nil
}

// GPT4oMiniReal returns the "gpt-4o-mini-real" latency profile: whole-request
// latencies of non-streaming gpt-4o-mini chat completions with p50 420 ms,
// p90 780 ms, p95 1,100 ms and p99 1,800 ms.
//
// Source: ModelRiver's documentation page "Monitor and optimize request
// performance" (https://modelriver.com/docs/observability/best-practices/duration-performance),
// section "Establishing baselines", which lists these four percentiles for
// gpt-4o-mini as baselines from 7 days of production requests. Caveat: the
// page is a best-practices guide and does not say whose traffic, which
// prompt and completion sizes, or which period; treat the figures as
// indicative of a real provider's shape (a long right tail), not as a
// measurement of today's API. For comparison, an independent 7-day probe
// of gpt-4o-mini through OpenRouter (about 10,000 tiny "Hello", 20-token
// requests; https://jonathanwrede.de/en/blog/i-monitored-6-llm-apis-for-7-days/)
// measured a time to first token of p50 645 ms and p95 1,094 ms and a mean
// total latency of 776 ms: the same order, somewhat slower at the median.
//
// Neither source gives a minimum or a maximum: the 210 ms minimum (p50/2)
// and the 4 s maximum are our assumptions.
func GPT4oMiniReal() Percentiles {
	return Percentiles{P50: 420 * time.Millisecond, P90: 780 * time.Millisecond, P95: 1100 * time.Millisecond,
		P99: 1800 * time.Millisecond, Max: 4 * time.Second}
}

// Profiles returns the named latency models ParseLatencyModel accepts.
func Profiles() map[string]LatencyModel {
	return map[string]LatencyModel{
		// fixed-60ms is the setup of LiteLLM's own proxy benchmark: a fake
		// OpenAI endpoint that answers after 60 ms.
		"fixed-60ms":       Fixed(60 * time.Millisecond),
		"gpt-4o-mini-real": GPT4oMiniReal(),
	}
}

// ParseLatencyModel reads a latency model:
//
//	fixed-60ms, gpt-4o-mini-real       a named profile (Profiles)
//	fixed:60ms                         a fixed latency
//	jitter:60ms:10ms                   uniform in [50ms, 70ms]
//	dist:420ms:780ms:1800ms:4s         p50:p90:p99:max (min is p50/2)
//	dist:420:780:1100:1800:4000        p50:p90:p95:p99:max
//	trace:FILE  or  trace:FILE:sampled replay of a trace file, in order or sampled
//
// Bare numbers are milliseconds.
func ParseLatencyModel(spec string) (LatencyModel, error) {
	profiles := Profiles()
	if m, ok := profiles[spec]; ok {
		return m, nil
	}
	kind, rest, _ := strings.Cut(spec, ":")
	parts := strings.Split(rest, ":")
	durs := func(want int) ([]time.Duration, error) {
		if len(parts) != want || rest == "" {
			return nil, fmt.Errorf("mocks: latency model %q: want %d values after %q", spec, want, kind+":")
		}
		out := make([]time.Duration, want)
		for i, p := range parts {
			d, err := parseLatency(p)
			if err != nil {
				return nil, fmt.Errorf("mocks: latency model %q: %v", spec, err)
			}
			out[i] = d
		}
		return out, nil
	}
	switch kind {
	case "fixed":
		d, err := durs(1)
		if err != nil {
			return nil, err
		}
		return Fixed(d[0]), nil
	case "jitter":
		d, err := durs(2)
		if err != nil {
			return nil, err
		}
		return Jitter{Base: d[0], Spread: d[1]}, nil
	case "dist":
		var p Percentiles
		if len(parts) == 5 {
			d, err := durs(5)
			if err != nil {
				return nil, err
			}
			p = Percentiles{P50: d[0], P90: d[1], P95: d[2], P99: d[3], Max: d[4]}
		} else {
			d, err := durs(4)
			if err != nil {
				return nil, err
			}
			p = Percentiles{P50: d[0], P90: d[1], P99: d[2], Max: d[3]}
		}
		if err := p.validate(); err != nil {
			return nil, err
		}
		return p, nil
	case "trace":
		path, mode := rest, ""
		if i := strings.LastIndex(rest, ":"); i >= 0 && slices.Contains([]string{"sampled", "ordered"}, rest[i+1:]) {
			path, mode = rest[:i], rest[i+1:]
		}
		return ReadTrace(path, mode == "sampled")
	}
	names := make([]string, 0, len(profiles))
	for n := range profiles {
		names = append(names, n)
	}
	slices.Sort(names)
	return nil, fmt.Errorf("mocks: latency model %q: want one of %s, fixed:D, jitter:D:J, dist:P50:P90[:P95]:P99:MAX or trace:FILE[:sampled]", spec, strings.Join(names, ", "))
}
