//go:build !race

package anthropic_test

import (
	"testing"
)

// TestAllocs pins the hot path at zero allocations: encoding the ~1 KB chat request and
// decoding the ~1 KB text response, and the stream events that carry text.
func TestAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	f := newFixture(t)
	f.encode(t)
	if n := testing.AllocsPerRun(200, func() { f.encode(t) }); n != 0 {
		t.Errorf("EncodeChat: %v allocs, want 0", n)
	}
	f.decode(t)
	if n := testing.AllocsPerRun(200, func() { f.decode(t) }); n != 0 {
		t.Errorf("DecodeChat: %v allocs, want 0", n)
	}
	f.stream(t)
	n := testing.AllocsPerRun(100, func() { f.stream(t) })
	// One allocation per tool-call event (its tool_calls slice): the stream has 1 start and
	// 6 non-empty argument deltas. Text, pings, block ends, the finish and usage: none.
	if n > 7 {
		t.Errorf("50-event stream: %v allocs, want at most 7 (one per tool-call chunk)", n)
	}
}
