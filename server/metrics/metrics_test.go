package metrics

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// modelLabels returns the model label values of the requests and tokens series.
func modelLabels(t *testing.T, m *Metrics) map[string]float64 {
	t.Helper()
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "bifrost_requests_total" && f.GetName() != "bifrost_tokens_total" {
			continue
		}
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "model" && f.GetName() == "bifrost_requests_total" {
					got[l.GetValue()] += s.GetCounter().GetValue()
				} else if l.GetName() == "model" {
					got[l.GetValue()] += 0
				}
			}
		}
	}
	return got
}

// TestJunkModelsTakeNoLabel is issue 10's defect 11: made-up model names that providers
// refuse must not use up the model label slots.
func TestJunkModelsTakeNoLabel(t *testing.T) {
	m := New(nil)
	for i := 0; i < 300; i++ {
		m.Record(&Request{Endpoint: EndpointChat, Provider: "openai", Model: "junk-model-" + strconv.Itoa(i), Status: 404})
	}
	m.Record(&Request{Endpoint: EndpointChat, Provider: "openai", Model: "gpt-4o-mini", Status: 200, InputTokens: 5, OutputTokens: 7})
	m.Record(&Request{Endpoint: EndpointChat, Provider: "openai", Model: "gpt-4o-mini", Status: 502})
	got := modelLabels(t, m)
	want := map[string]float64{OtherModel: 300, "gpt-4o-mini": 2}
	if len(got) != len(want) || got[OtherModel] != want[OtherModel] || got["gpt-4o-mini"] != want["gpt-4o-mini"] {
		t.Errorf("model labels (requests per label) = %v, want %v", got, want)
	}
	problems, err := testutil.GatherAndLint(m.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("metric %s: %s", p.Metric, p.Text)
	}
}

// TestModelLabelBound checks that successful models get labels up to MaxModelSeries, and
// that a model past the bound, or one that has not succeeded yet, is counted as "other".
func TestModelLabelBound(t *testing.T) {
	m := New(nil)
	for i := 0; i < MaxModelSeries+50; i++ {
		model := "model-" + strconv.Itoa(i)
		m.Record(&Request{Endpoint: EndpointChat, Provider: "openai", Model: model, Status: 200})
		m.Record(&Request{Endpoint: EndpointChat, Provider: "openai", Model: model, Status: 429})
	}
	m.Stream(EndpointChat, "groq", "past-the-bound", time.Now()) // a stream is a 2xx too
	got := modelLabels(t, m)
	if len(got) != MaxModelSeries+1 {
		t.Errorf("%d model labels, want %d (the bound and %q)", len(got), MaxModelSeries+1, OtherModel)
	}
	if got["model-0"] != 2 || got[OtherModel] != 100 {
		t.Errorf("model-0: %v requests, other: %v requests; want 2 and 100", got["model-0"], got[OtherModel])
	}
	for l := range got {
		if n, err := strconv.Atoi(strings.TrimPrefix(l, "model-")); l != OtherModel && (err != nil || n >= MaxModelSeries) {
			t.Errorf("model %s, past the bound, has a label", l)
		}
	}
	if n := len(*m.series.Load()); n > 2*MaxModelSeries+4 {
		t.Errorf("%d series sets cached for %d models", n, MaxModelSeries)
	}
}

// TestRequestsWithoutProvider checks that a request refused before routing is recorded
// under provider and model "none".
func TestRequestsWithoutProvider(t *testing.T) {
	m := New(nil)
	m.Record(&Request{Endpoint: EndpointChat, Status: 400})
	if got := modelLabels(t, m); len(got) != 1 || got["none"] != 1 {
		t.Errorf("model labels = %v, want none: 1", got)
	}
}

// TestTransportLabel checks that requests are counted by transport, http by default, and
// that a transport out of range cannot add a label value.
func TestTransportLabel(t *testing.T) {
	m := New(nil)
	m.Record(&Request{Endpoint: EndpointChat, Provider: "openai", Model: "gpt-4o-mini", Status: 200})
	m.Record(&Request{Endpoint: EndpointChat, Provider: "openai", Model: "gpt-4o-mini", Status: 200, Transport: TransportGRPC})
	m.Record(&Request{Endpoint: EndpointChat, Provider: "openai", Model: "gpt-4o-mini", Status: 429, Transport: TransportGRPC})
	m.Record(&Request{Endpoint: EndpointChat, Provider: "openai", Model: "gpt-4o-mini", Status: 200, Transport: 7})
	want := `
# HELP bifrost_requests_total Requests answered, by endpoint, provider, model, HTTP status class (a gRPC call's status as the HTTP API would answer) and transport (http or grpc).
# TYPE bifrost_requests_total counter
bifrost_requests_total{endpoint="chat",model="gpt-4o-mini",provider="openai",status="2xx",transport="grpc"} 1
bifrost_requests_total{endpoint="chat",model="gpt-4o-mini",provider="openai",status="2xx",transport="http"} 2
bifrost_requests_total{endpoint="chat",model="gpt-4o-mini",provider="openai",status="4xx",transport="grpc"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "bifrost_requests_total"); err != nil {
		t.Error(err)
	}
}
