package metrics

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// reference records requests the way client_golang's vectors do, for the metrics that
// Record keeps in its series: what recorded.Collect exposes must be the same.
type reference struct {
	reg                *prometheus.Registry
	requests, tokens   *prometheus.CounterVec
	stages             *prometheus.CounterVec
	upstream, overhead *prometheus.HistogramVec
}

func newReference() *reference {
	r := &reference{reg: prometheus.NewRegistry()}
	r.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bifrost_requests_total"}, []string{"endpoint", "provider", "model", "status", "transport"})
	r.upstream = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "bifrost_upstream_duration_seconds",
		Buckets: prometheus.ExponentialBuckets(0.005, 2, 14)}, []string{"endpoint", "provider"})
	r.overhead = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "bifrost_gateway_overhead_seconds",
		Buckets: prometheus.ExponentialBuckets(0.00001, 2, 16)}, []string{"endpoint", "transport"})
	r.tokens = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bifrost_tokens_total"}, []string{"provider", "model", "direction"})
	r.stages = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bifrost_stage_seconds_total"}, []string{"stage"})
	r.reg.MustRegister(r.requests, r.upstream, r.overhead, r.tokens, r.stages)
	for _, name := range stageNames {
		r.stages.WithLabelValues(name)
	}
	return r
}

// record is Record's bookkeeping for the same metrics, with the labels the series got.
func (r *reference) record(q *Request, model string) {
	prov, transport := q.Provider, transportNames[q.Transport]
	if prov == "" {
		prov, model = "none", "none"
	}
	r.requests.WithLabelValues(q.Endpoint, prov, model, string(rune('0'+q.Status/100))+"xx", transport).Inc()
	for i, d := range q.Stages {
		if d > 0 {
			r.stages.WithLabelValues(stageNames[i]).Add(d.Seconds())
		}
	}
	r.overhead.WithLabelValues(q.Endpoint, transport).Observe(q.Overhead.Seconds())
	r.upstream.WithLabelValues(q.Endpoint, prov) // the series has it, observed or not
	in, out := r.tokens.WithLabelValues(prov, model, "input"), r.tokens.WithLabelValues(prov, model, "output")
	if q.Provider == "" {
		return
	}
	r.upstream.WithLabelValues(q.Endpoint, prov).Observe(q.Upstream.Seconds())
	in.Add(float64(q.InputTokens))
	out.Add(float64(q.OutputTokens))
}

// TestRecordedMatchesVectors records the same requests, with durations on and around every
// bucket bound, in the metrics and in client_golang's vectors, and compares every series:
// counts and buckets exactly, sums to within float rounding.
func TestRecordedMatchesVectors(t *testing.T) {
	m, ref := New(nil), newReference()
	var durations []time.Duration
	for i := range 20 {
		for _, first := range []time.Duration{overheadFirst, upstreamFirst} {
			b := first << i
			durations = append(durations, b-1, b, b+1)
		}
	}
	durations = append(durations, 0, -time.Microsecond, time.Hour)
	requests := []struct {
		q     Request
		model string // the model label the series gets
	}{
		{Request{Endpoint: EndpointChat, Provider: "openai", Model: "gpt-4o-mini", Status: 200, InputTokens: 12, OutputTokens: 30}, "gpt-4o-mini"},
		{Request{Endpoint: EndpointChat, Provider: "openai", Model: "gpt-4o-mini", Status: 429}, "gpt-4o-mini"},
		{Request{Endpoint: EndpointChat, Provider: "openai", Model: "made-up", Status: 404}, OtherModel},
		{Request{Endpoint: EndpointEmbeddings, Provider: "openai", Model: "text-embedding-3-small", Status: 200, InputTokens: 7, Transport: TransportGRPC}, "text-embedding-3-small"},
		{Request{Endpoint: EndpointChat, Provider: "anthropic", Model: "claude-3-5-haiku", Status: 200, InputTokens: 5, OutputTokens: 1}, "claude-3-5-haiku"},
		{Request{Endpoint: EndpointChat, Status: 400}, ""},
	}
	for i, d := range durations {
		for j := range requests {
			q := requests[j].q
			q.Overhead = d
			q.Upstream = durations[(i+j)%len(durations)]
			for s := range q.Stages {
				q.Stages[s] = time.Duration(i*(s+1)+j) * time.Microsecond
			}
			m.Record(&q)
			ref.record(&q, requests[j].model)
		}
	}
	got, want := gather(t, m.Registry()), gather(t, ref.reg)
	if len(got) != len(want) {
		t.Errorf("%d series, want %d", len(got), len(want))
	}
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("%s: missing", k)
		case g.count != w.count || !near(g.sum, w.sum) || len(g.buckets) != len(w.buckets):
			t.Errorf("%s: count %d sum %v buckets %d, want %d %v %d", k, g.count, g.sum, len(g.buckets), w.count, w.sum, len(w.buckets))
		default:
			for i := range w.buckets {
				if g.buckets[i] != w.buckets[i] {
					t.Errorf("%s: bucket %s, want %s", k, g.buckets[i], w.buckets[i])
				}
			}
		}
	}
}

// value is one gathered series: a counter's value (sum), or a histogram's count, sum and
// cumulative buckets ("le=count").
type value struct {
	count   uint64
	sum     float64
	buckets []string
}

// gather returns the registry's series of the recorded metrics by name and labels.
func gather(t *testing.T, reg *prometheus.Registry) map[string]value {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]value{}
	for _, f := range families {
		switch f.GetName() {
		case "bifrost_requests_total", "bifrost_tokens_total", "bifrost_stage_seconds_total",
			"bifrost_upstream_duration_seconds", "bifrost_gateway_overhead_seconds":
		default:
			continue
		}
		for _, s := range f.GetMetric() {
			out[f.GetName()+labels(s)] = valueOf(s)
		}
	}
	return out
}

func labels(s *dto.Metric) string {
	var l []string
	for _, p := range s.GetLabel() {
		l = append(l, p.GetName()+"="+p.GetValue())
	}
	sort.Strings(l)
	return "{" + strings.Join(l, ",") + "}"
}

func valueOf(s *dto.Metric) value {
	if c := s.GetCounter(); c != nil {
		return value{sum: c.GetValue()}
	}
	h := s.GetHistogram()
	v := value{count: h.GetSampleCount(), sum: h.GetSampleSum()}
	for _, b := range h.GetBucket() {
		v.buckets = append(v.buckets, formatBucket(b))
	}
	return v
}

func formatBucket(b *dto.Bucket) string {
	return strconv.FormatFloat(b.GetUpperBound(), 'g', -1, 64) + "=" + strconv.FormatUint(b.GetCumulativeCount(), 10)
}

// near reports whether two sums agree to within float rounding.
func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b))
}
