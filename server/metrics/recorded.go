package metrics

import (
	"math/bits"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The metrics every answered request records (requests, overhead, upstream time, tokens and
// stage times) are kept in the series itself, in atomics next to each other, and turned into
// Prometheus metrics only at scrape time (recorded.Collect). Through client_golang's vectors
// each of them would be an object of its own, and a request would touch a dozen scattered
// cache lines to record them; here it touches the few lines of its series. The exposition is
// the same as the vectors': the same names, help, labels and buckets.

// Histogram buckets: exponential, doubling from a first bound, as
// prometheus.ExponentialBuckets makes them.
const (
	overheadFirst   = 10 * time.Microsecond
	overheadBuckets = 16
	upstreamFirst   = 5 * time.Millisecond
	upstreamBuckets = 14
	maxBuckets      = overheadBuckets
)

// hist is one histogram's counts: per bucket (not cumulative; the last is +Inf), their
// total, and the sum of the observations in nanoseconds.
type hist struct {
	count   atomic.Uint64
	sum     atomic.Int64
	buckets [maxBuckets + 1]atomic.Uint64
}

// observe counts d in the histogram whose n buckets double from first: in the first bucket
// whose bound d does not exceed (le), as Prometheus counts an observation.
func (h *hist) observe(d, first time.Duration, n int) {
	i := 0
	if d > first {
		// (d-1)/first is in [2^(i-1), 2^i) exactly when d is in (first·2^(i-1), first·2^i].
		i = min(bits.Len64(uint64((d-1)/first)), n)
	}
	h.buckets[i].Add(1)
	h.sum.Add(int64(d))
	h.count.Add(1)
}

// add adds h's counts to the cumulative counts in cum (len n) and returns its count and sum.
func (h *hist) add(cum []uint64) (count uint64, sum time.Duration) {
	// The count is read first: a concurrent observation may then be in a bucket and not in
	// the count, never the other way round, so no bucket exceeds the count (+Inf).
	count = h.count.Load()
	var run uint64
	for i := range cum {
		run += h.buckets[i].Load()
		cum[i] += min(run, count)
	}
	return count, time.Duration(h.sum.Load())
}

// bounds returns the n bucket bounds, in seconds, doubling from first.
func bounds(first time.Duration, n int) []float64 {
	return prometheus.ExponentialBuckets(first.Seconds(), 2, n)
}

// stageTotals holds the time spent in each stage by all answered requests, in nanoseconds.
type stageTotals struct {
	ns [numStages]atomic.Int64
}

// recorded is the collector of the metrics kept in the series.
type recorded struct {
	m                                            *Metrics
	requests, overhead, upstream, tokens, stages *prometheus.Desc
	overheadBounds, upstreamBounds               []float64
}

func newRecorded(m *Metrics) *recorded {
	return &recorded{
		m: m,
		requests: prometheus.NewDesc("bifrost_requests_total",
			"Requests answered, by endpoint, provider, model, HTTP status class (a gRPC call's status as the HTTP API would answer) and transport (http or grpc).",
			[]string{"endpoint", "provider", "model", "status", "transport"}, nil),
		upstream: prometheus.NewDesc("bifrost_upstream_duration_seconds",
			"Time spent waiting on providers per request, retries and backoff included.", []string{"endpoint", "provider"}, nil),
		overhead: prometheus.NewDesc("bifrost_gateway_overhead_seconds",
			"Time the gateway adds to a request: its total time minus the time waiting on providers.", []string{"endpoint", "transport"}, nil),
		tokens: prometheus.NewDesc("bifrost_tokens_total",
			"Tokens reported by providers, by direction (input or output).", []string{"provider", "model", "direction"}, nil),
		stages: prometheus.NewDesc("bifrost_stage_seconds_total",
			"Time spent in each stage of answered requests (route, queue, encode, upstream, decode, respond); divide by bifrost_requests_total for the average per request.",
			[]string{"stage"}, nil),
		overheadBounds: bounds(overheadFirst, overheadBuckets),
		upstreamBounds: bounds(upstreamFirst, upstreamBuckets),
	}
}

// Describe sends the descriptions of the recorded metrics.
func (c *recorded) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.requests
	ch <- c.upstream
	ch <- c.overhead
	ch <- c.tokens
	ch <- c.stages
}

// histSum is a histogram summed over the series that share its labels.
type histSum struct {
	cum   []uint64
	count uint64
	sum   time.Duration
}

func (h *histSum) add(x *hist, n int) {
	if h.cum == nil {
		h.cum = make([]uint64, n)
	}
	c, s := x.add(h.cum)
	h.count += c
	h.sum += s
}

func (h *histSum) metric(d *prometheus.Desc, bounds []float64, labels ...string) prometheus.Metric {
	b := make(map[float64]uint64, len(bounds))
	for i, le := range bounds {
		b[le] = h.cum[i]
	}
	return prometheus.MustNewConstHistogram(d, h.count, h.sum.Seconds(), b, labels...)
}

// Collect sends the recorded metrics: each series' requests, and the histograms and token
// counts summed over the series that share their labels.
func (c *recorded) Collect(ch chan<- prometheus.Metric) {
	type pair struct{ a, b string }
	type tokenKey struct{ provider, model string }
	upstream := map[pair]*histSum{}
	overhead := map[pair]*histSum{}
	tokens := map[tokenKey]*[2]uint64{}
	for k, s := range *c.m.series.Load() {
		transport := transportNames[k.transport]
		ch <- prometheus.MustNewConstMetric(c.requests, prometheus.CounterValue, float64(s.requests.Load()),
			k.endpoint, s.provider, s.model, strconv.Itoa(int(k.class))+"xx", transport)
		sum(upstream, pair{k.endpoint, s.provider}).add(&s.upstream, upstreamBuckets)
		sum(overhead, pair{k.endpoint, transport}).add(&s.overhead, overheadBuckets)
		t := tokens[tokenKey{s.provider, s.model}]
		if t == nil {
			t = new([2]uint64)
			tokens[tokenKey{s.provider, s.model}] = t
		}
		t[0] += s.tokensIn.Load()
		t[1] += s.tokensOut.Load()
	}
	for k, h := range upstream {
		ch <- h.metric(c.upstream, c.upstreamBounds, k.a, k.b)
	}
	for k, h := range overhead {
		ch <- h.metric(c.overhead, c.overheadBounds, k.a, k.b)
	}
	for k, t := range tokens {
		ch <- prometheus.MustNewConstMetric(c.tokens, prometheus.CounterValue, float64(t[0]), k.provider, k.model, "input")
		ch <- prometheus.MustNewConstMetric(c.tokens, prometheus.CounterValue, float64(t[1]), k.provider, k.model, "output")
	}
	for i, name := range stageNames {
		ch <- prometheus.MustNewConstMetric(c.stages, prometheus.CounterValue, time.Duration(c.m.stages.ns[i].Load()).Seconds(), name)
	}
}

// sum returns the histSum of k in sums, adding it when it is not there.
func sum[K comparable](sums map[K]*histSum, k K) *histSum {
	h := sums[k]
	if h == nil {
		h = &histSum{}
		sums[k] = h
	}
	return h
}
