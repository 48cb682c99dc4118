//go:build !race

package gemini

import "testing"

// The race detector's sync.Pool drops buffers on purpose, so these run without it.

func TestChatAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	c := newChatRound(t)
	c.run(t)
	if n := testing.AllocsPerRun(100, func() { c.run(t) }); n != 0 {
		t.Errorf("allocs per encode+decode of a 1 KB chat = %v, want 0", n)
	}
}

func TestStreamAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	s := &streamRound{evs: streamEvents(), buf: make([]byte, 0, 4<<10)}
	s.run(t)
	if n := testing.AllocsPerRun(20, func() { s.run(t) }); n != 0 {
		t.Errorf("allocs per 50-event text stream = %v, want 0", n)
	}
}
