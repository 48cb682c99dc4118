//go:build !race

package bedrock

import (
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

// TestChatAllocs: encoding the 1 KB request and decoding the 1 KB response allocate nothing
// once the reused values have grown; a 50-event text stream allocates nothing per event.
func TestChatAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	c := newChatRound(t)
	c.encode(t)
	c.decode(t)
	if n := testing.AllocsPerRun(100, func() { c.encode(t) }); n != 0 {
		t.Errorf("allocs per request encode = %v, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { c.decode(t) }); n != 0 {
		t.Errorf("allocs per response decode = %v, want 0", n)
	}
	events := stream50()
	var st provider.StreamState
	var chunk schemas.ChatStreamChunk
	var w jwriter.Writer
	buf := runStream(t, events, &st, &chunk, &w, make([]byte, 0, 4<<10))
	if n := testing.AllocsPerRun(50, func() { buf = runStream(t, events, &st, &chunk, &w, buf) }); n != 0 {
		t.Errorf("allocs per 50-event stream = %v, want 0", n)
	}
}
