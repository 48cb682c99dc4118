//go:build !race

package metrics

import "testing"

// TestRecordAllocs checks that recording allocates nothing in steady state: for a model
// with its own label, and for failures of made-up models counted as "other".
func TestRecordAllocs(t *testing.T) {
	m := New(nil)
	ok := Request{Endpoint: EndpointChat, Provider: "openai", Model: "gpt-4o-mini", Status: 200, InputTokens: 3, Retries: 1}
	junk := Request{Endpoint: EndpointChat, Provider: "openai", Model: "made-up-model", Status: 404}
	m.Record(&ok)
	m.Record(&junk)
	for _, r := range []*Request{&ok, &junk} {
		if n := testing.AllocsPerRun(1000, func() { m.Record(r) }); n != 0 {
			t.Errorf("model %s, status %d: %v allocations per record, want 0", r.Model, r.Status, n)
		}
	}
}
