package governance

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// KeyLabel is the label name that, listed in client.prometheus_labels, turns on the
// metrics by virtual key (their number is bounded by the keys in the config).
const KeyLabel = "virtual_key"

// keyStat is one virtual key's counts in this process, kept by name across reloads.
type keyStat struct {
	requests atomic.Int64
	cost     atomic.Int64 // nano-USD
}

// keyStats holds every key's counts by name.
type keyStats struct {
	mu sync.Mutex
	m  map[string]*keyStat
}

// get returns the counts of the key name, made on first use (at configure time).
func (s *keyStats) get(name string) *keyStat {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]*keyStat{}
	}
	st := s.m[name]
	if st == nil {
		st = &keyStat{}
		s.m[name] = st
	}
	return st
}

// Collector returns the metrics by virtual key: bifrost_virtual_key_requests_total and
// bifrost_virtual_key_cost_usd_total, labelled virtual_key, for the keys of the policy in
// force, when client.prometheus_labels lists "virtual_key"; nothing otherwise.
func (g *Governor) Collector() prometheus.Collector { return keyCollector{g} }

var (
	keyRequestsDesc = prometheus.NewDesc("bifrost_virtual_key_requests_total",
		"Requests admitted and settled, by virtual key (with client.prometheus_labels: [virtual_key]).", []string{KeyLabel}, nil)
	keyCostDesc = prometheus.NewDesc("bifrost_virtual_key_cost_usd_total",
		"What providers billed, in US dollars, by virtual key (with client.prometheus_labels: [virtual_key]).", []string{KeyLabel}, nil)
)

type keyCollector struct{ g *Governor }

// Describe implements prometheus.Collector.
func (c keyCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- keyRequestsDesc
	ch <- keyCostDesc
}

// Collect implements prometheus.Collector.
func (c keyCollector) Collect(ch chan<- prometheus.Metric) {
	p := c.g.Policy()
	if p == nil || !p.byKeyLabel {
		return
	}
	names := make([]string, 0, len(p.byName))
	for n := range p.byName {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		st := p.byName[n].stat
		ch <- prometheus.MustNewConstMetric(keyRequestsDesc, prometheus.CounterValue, float64(st.requests.Load()), n)
		ch <- prometheus.MustNewConstMetric(keyCostDesc, prometheus.CounterValue, float64(st.cost.Load())/1e9, n)
	}
}
