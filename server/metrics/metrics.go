// Package metrics holds the gateway's Prometheus metrics, on a registry of its own.
//
// Recording allocates nothing in steady state: series are cached in a copy-on-write map read
// without locks, and what every request records is kept in its series (recorded.go). Labels are bounded: a model gets a model label of its own only
// once a provider has answered it successfully (2xx), and at most MaxModelSeries distinct
// provider/model pairs do; every other model is counted as "other", so that clients cannot
// fill the label slots with made-up model names that providers refuse. No key, user or
// error message is ever a label.
package metrics

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
)

// MaxModelSeries bounds the distinct provider/model label pairs.
const MaxModelSeries = 200

// OtherModel is the model label of the models without a label of their own: those that no
// provider has answered successfully yet, and those past MaxModelSeries.
const OtherModel = "other"

// Endpoint labels.
const (
	EndpointChat       = "chat"
	EndpointText       = "text"
	EndpointEmbeddings = "embeddings"
	EndpointModels     = "models"
	EndpointResponses  = "responses"
)

// Transport is the protocol a request came by: the transport label of
// bifrost_requests_total and bifrost_gateway_overhead_seconds ("http" or "grpc"). The zero
// value is HTTP.
type Transport uint8

// The transports.
const (
	TransportHTTP Transport = iota
	TransportGRPC
	numTransports
)

var transportNames = [numTransports]string{"http", "grpc"}

// Load reports providers' load at scrape time.
type Load func() []ProviderLoad

// ProviderLoad is one provider's in-flight and queued requests and its health.
type ProviderLoad struct {
	Provider         string
	InFlight, Queued int
	// Breaker is the circuit breaker's state: 0 closed, 1 half-open, 2 open.
	Breaker int
	// KeyCooldowns counts the times a key of the provider went into cooldown.
	KeyCooldowns uint64
	// Dropped counts requests the provider's admission refused (queue full or timed out).
	Dropped uint64
}

// Metrics is the gateway's set of metrics.
type Metrics struct {
	reg *prometheus.Registry

	retries   *prometheus.CounterVec
	fallbacks *prometheus.CounterVec
	cost      *prometheus.CounterVec
	ttft      *prometheus.HistogramVec
	gap       *prometheus.HistogramVec
	stages    *stageTotals
	refused   [numRefusals]prometheus.Counter

	mu     sync.Mutex
	series atomic.Pointer[map[seriesKey]*series]
	// models holds the provider/model pairs with a label of their own (copy-on-write,
	// written under mu).
	models atomic.Pointer[map[modelKey]struct{}]

	// logDropped reads the count of dropped log lines (SetLogDropped), nil until set.
	logDropped atomic.Pointer[func() uint64]
	// stateErrors reads the count of governance state errors (SetStateErrors), nil until set.
	stateErrors atomic.Pointer[func() uint64]
}

type modelKey struct{ provider, model string }

type seriesKey struct {
	endpoint, provider, model string
	class                     uint8
	transport                 Transport
}

// series is what the requests of one seriesKey record: its own counts (recorded.go), first,
// and the handles of the rarer metrics.
type series struct {
	requests            atomic.Uint64
	tokensIn, tokensOut atomic.Uint64
	overhead            hist
	upstream            hist

	provider, model    string // the label values ("none" for a request without a provider)
	retries, fallbacks prometheus.Counter
	cost               prometheus.Counter
	ttft, gap          prometheus.Observer
}

// New makes the metrics on a new registry. load, if not nil, is read at scrape time for the
// in-flight and queued gauges.
func New(load Load) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), stages: new(stageTotals)}
	m.retries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bifrost_upstream_retries_total", Help: "Upstream requests sent again after a retryable failure.",
	}, []string{"provider"})
	m.fallbacks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bifrost_fallbacks_total", Help: "Fallback targets tried after the first target failed.",
	}, []string{"provider"})
	m.cost = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bifrost_cost_usd_total", Help: "What providers billed for requests, in US dollars, from the price table and the usage they reported (governance on).",
	}, []string{"provider", "model"})
	stateErrors := counterFunc("bifrost_governance_state_errors_total",
		"Times the governance state (Redis) could not be reached in time; governance.state.on_error says what the request got.", &m.stateErrors)
	m.ttft = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "bifrost_time_to_first_token_seconds", Help: "Time from a stream request's arrival to its first chunk from the provider.",
		Buckets: prometheus.ExponentialBuckets(0.01, 2, 12),
	}, []string{"endpoint", "provider"})
	m.gap = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "bifrost_stream_chunk_gap_seconds", Help: "Time between consecutive chunks of a stream, as the gateway receives them.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	}, []string{"endpoint", "provider"})
	logDropped := counterFunc("bifrost_log_lines_dropped_total",
		"Log lines dropped because the log output (stderr) did not keep up: a request never waits on the log.", &m.logDropped)
	refused := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bifrost_connections_refused_total",
		Help: "Client connections the gateway refused or shed, by reason: accept_error (accept failed, e.g. out of file descriptors, and was retried after a backoff), " +
			"over_limit (client.max_connections), per_ip (client.max_connections_per_ip), buffer_full (a request body over client.max_buffered_request_mb, answered 503).",
	}, []string{"reason"})
	for i, name := range refusalNames {
		m.refused[i] = refused.WithLabelValues(name)
	}
	m.reg.MustRegister(newRecorded(m), m.retries, m.fallbacks, m.cost, m.ttft, m.gap, refused, logDropped, stateErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if load != nil {
		m.reg.MustRegister(&loadCollector{load: load,
			inFlight: prometheus.NewDesc("bifrost_in_flight_requests", "Requests in flight to each provider.", []string{"provider"}, nil),
			queued:   prometheus.NewDesc("bifrost_queued_requests", "Requests waiting for a slot of each provider.", []string{"provider"}, nil),
			breaker: prometheus.NewDesc("bifrost_circuit_breaker_state",
				"State of each provider's circuit breaker: 0 closed, 1 half-open, 2 open.", []string{"provider"}, nil),
			cooldowns: prometheus.NewDesc("bifrost_key_cooldowns_total",
				"Times a key of each provider went into cooldown after a 401, 403 or 429.", []string{"provider"}, nil),
			dropped: prometheus.NewDesc("bifrost_dropped_requests_total",
				"Requests refused by a provider's admission: queue full (drop_excess_requests) or no slot before the deadline.", []string{"provider"}, nil),
		})
	}
	empty := map[seriesKey]*series{}
	m.series.Store(&empty)
	noModels := map[modelKey]struct{}{}
	m.models.Store(&noModels)
	return m
}

// counterFunc is a counter read at scrape time from the function in src, 0 while src is nil.
func counterFunc(name, help string, src *atomic.Pointer[func() uint64]) prometheus.CounterFunc {
	return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 {
		if f := src.Load(); f != nil {
			return float64((*f)())
		}
		return 0
	})
}

// SetLogDropped makes bifrost_log_lines_dropped_total read dropped, the count of log lines
// that the log's output could not take in time.
func (m *Metrics) SetLogDropped(dropped func() uint64) { m.logDropped.Store(&dropped) }

// SetStateErrors makes bifrost_governance_state_errors_total read errors, the count of
// times the governance state could not be reached.
func (m *Metrics) SetStateErrors(errors func() uint64) { m.stateErrors.Store(&errors) }

// Registry returns the metrics' registry.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() fasthttp.RequestHandler {
	return fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
}

// The stages of a request, in order.
const (
	StageRoute    = iota // resolving the model and the targets
	StageQueue           // waiting for an admission slot
	StageEncode          // encoding the provider request
	StageUpstream        // waiting on providers, retries and backoff included
	StageDecode          // decoding the provider response
	StageRespond         // encoding the client response
	numStages
)

var stageNames = [numStages]string{"route", "queue", "encode", "upstream", "decode", "respond"}

// The reasons for refusing a connection (the bifrost_connections_refused_total labels).
const (
	RefusedAcceptError = iota // accept failed (out of file descriptors, ...); retried after a backoff
	RefusedOverLimit          // over client.max_connections
	RefusedPerIP              // over client.max_connections_per_ip
	RefusedBufferFull         // a request body over client.max_buffered_request_mb
	numRefusals
)

var refusalNames = [numRefusals]string{"accept_error", "over_limit", "per_ip", "buffer_full"}

// Refused counts a refused or shed connection; reason is one of the Refused constants. It
// allocates nothing.
func (m *Metrics) Refused(reason int) { m.refused[reason].Inc() }

// Request is what one answered request records.
type Request struct {
	Endpoint        string
	Transport       Transport
	Provider, Model string // empty when the request never reached a provider
	Status          int
	Upstream        time.Duration
	Overhead        time.Duration
	Retries         int
	Fallbacks       int
	InputTokens     int
	OutputTokens    int
	// Cost is what the request cost in nano-USD, when Costed (governance on).
	Cost   int64
	Costed bool
	// VirtualKey names the governance virtual key of the request, if any (for the
	// access line; never a label).
	VirtualKey string
	// Stages holds the time spent in each stage (StageRoute ... StageRespond).
	Stages [numStages]time.Duration
}

// Record records one answered request. It allocates nothing once the request's series exist.
func (m *Metrics) Record(r *Request) {
	s := m.get(r.Transport, r.Endpoint, r.Provider, r.Model, uint8(r.Status/100))
	s.requests.Add(1)
	for i, d := range r.Stages {
		if d > 0 {
			m.stages.ns[i].Add(int64(d))
		}
	}
	s.overhead.observe(r.Overhead, overheadFirst, overheadBuckets)
	if r.Provider == "" {
		return
	}
	s.upstream.observe(r.Upstream, upstreamFirst, upstreamBuckets)
	if r.Retries > 0 {
		s.retries.Add(float64(r.Retries))
	}
	if r.Fallbacks > 0 {
		s.fallbacks.Add(float64(r.Fallbacks))
	}
	if r.InputTokens > 0 {
		s.tokensIn.Add(uint64(r.InputTokens))
	}
	if r.OutputTokens > 0 {
		s.tokensOut.Add(uint64(r.OutputTokens))
	}
	if r.Cost > 0 {
		s.cost.Add(float64(r.Cost) / 1e9)
	}
}

// Stream records the timings of one stream. Its methods allocate nothing.
type Stream struct {
	s           *series
	start, last time.Time
}

// Stream returns the recorder of a stream served by provider and model, for a request that
// arrived at start.
func (m *Metrics) Stream(endpoint, provider, model string, start time.Time) Stream {
	return m.StreamOn(TransportHTTP, endpoint, provider, model, start)
}

// StreamOn is Stream for a request that came by transport t.
func (m *Metrics) StreamOn(t Transport, endpoint, provider, model string, start time.Time) Stream {
	return Stream{s: m.get(t, endpoint, provider, model, 2), start: start}
}

// Chunk records a chunk sent at now: for the first, the time since the request arrived
// (time to first token); for the others, the gap since the previous chunk.
func (s *Stream) Chunk(now time.Time) {
	if s.last.IsZero() {
		s.s.ttft.Observe(now.Sub(s.start).Seconds())
	} else {
		s.s.gap.Observe(now.Sub(s.last).Seconds())
	}
	s.last = now
}

func (m *Metrics) get(t Transport, endpoint, provider, model string, class uint8) *series {
	if t >= numTransports {
		t = TransportHTTP // no label value beyond the known ones
	}
	k := seriesKey{endpoint, provider, model, class, t}
	cur := *m.series.Load()
	if s := cur[k]; s != nil {
		return s
	}
	if provider != "" && !m.ownLabel(provider, model, class) {
		k.model = OtherModel
		if s := cur[k]; s != nil {
			return s
		}
	}
	return m.create(k)
}

// ownLabel reports whether a request for model, answered with status class, is recorded
// under the model's own label: the model has one already, or the provider answered it
// successfully and the bound leaves room for one more.
func (m *Metrics) ownLabel(provider, model string, class uint8) bool {
	models := *m.models.Load()
	if _, ok := models[modelKey{provider, model}]; ok {
		return true
	}
	return class == 2 && len(models) < MaxModelSeries
}

// create adds a series set under the lock, copying the map (labels are bounded, so this
// happens a bounded number of times). A model that is to have a label of its own (ownLabel)
// is added to the models first.
func (m *Metrics) create(k seriesKey) *series {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := *m.series.Load()
	if s := cur[k]; s != nil {
		return s
	}
	if k.provider != "" && k.model != OtherModel {
		if !m.ownLabel(k.provider, k.model, k.class) {
			k.model = OtherModel
			if s := cur[k]; s != nil {
				return s
			}
		} else if models := *m.models.Load(); len(models) < MaxModelSeries {
			mk := modelKey{k.provider, k.model}
			if _, ok := models[mk]; !ok {
				next := make(map[modelKey]struct{}, len(models)+1)
				for kk := range models {
					next[kk] = struct{}{}
				}
				next[modelKey{clone(mk.provider), clone(mk.model)}] = struct{}{}
				m.models.Store(&next)
			}
		}
	}
	// The strings may point into a request buffer: keep copies.
	k.endpoint, k.provider, k.model = clone(k.endpoint), clone(k.provider), clone(k.model)
	label := k.model
	prov := k.provider
	if prov == "" {
		prov, label = "none", "none"
	}
	s := &series{
		provider:  prov,
		model:     label,
		retries:   m.retries.WithLabelValues(prov),
		fallbacks: m.fallbacks.WithLabelValues(prov),
		cost:      m.cost.WithLabelValues(prov, label),
		ttft:      m.ttft.WithLabelValues(k.endpoint, prov),
		gap:       m.gap.WithLabelValues(k.endpoint, prov),
	}
	next := make(map[seriesKey]*series, len(cur)+1)
	for kk, v := range cur {
		next[kk] = v
	}
	next[k] = s
	m.series.Store(&next)
	return s
}

func clone(s string) string { return string(append([]byte(nil), s...)) }

// loadCollector reads the providers' load and health at scrape time, so that requests
// record nothing for them: the engine keeps the breaker state and the cooldown counts in
// atomics.
type loadCollector struct {
	load                                          Load
	inFlight, queued, breaker, cooldowns, dropped *prometheus.Desc
}

func (c *loadCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.inFlight
	ch <- c.queued
	ch <- c.breaker
	ch <- c.cooldowns
	ch <- c.dropped
}

func (c *loadCollector) Collect(ch chan<- prometheus.Metric) {
	for _, l := range c.load() {
		ch <- prometheus.MustNewConstMetric(c.inFlight, prometheus.GaugeValue, float64(l.InFlight), l.Provider)
		ch <- prometheus.MustNewConstMetric(c.queued, prometheus.GaugeValue, float64(l.Queued), l.Provider)
		ch <- prometheus.MustNewConstMetric(c.breaker, prometheus.GaugeValue, float64(l.Breaker), l.Provider)
		ch <- prometheus.MustNewConstMetric(c.cooldowns, prometheus.CounterValue, float64(l.KeyCooldowns), l.Provider)
		ch <- prometheus.MustNewConstMetric(c.dropped, prometheus.CounterValue, float64(l.Dropped), l.Provider)
	}
}
