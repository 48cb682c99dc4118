//go:build !race

package cohere

import (
	"testing"
)

// TestChatRoundAllocs checks that a ~1 KB non-streaming chat costs no allocation once warm:
// the client's request decoded and encoded as Cohere's body, Cohere's answer decoded and
// encoded for the client.
func TestChatRoundAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	r := newRound(t)
	r.run(t)
	if n := testing.AllocsPerRun(200, func() { r.run(t) }); n != 0 {
		t.Errorf("allocs per encode+decode = %v, want 0", n)
	}
}

// TestStreamAllocs checks that a text stream's events allocate nothing once warm.
func TestStreamAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	s := newStreamRun(t, "stream_text.sse")
	s.run(t)
	if n := testing.AllocsPerRun(100, func() { s.run(t) }); n != 0 {
		t.Errorf("allocs per 52-event text stream = %v, want 0", n)
	}
}
