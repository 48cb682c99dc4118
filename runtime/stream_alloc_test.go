//go:build !race

package runtime

import (
	"bufio"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/framing"
	"github.com/bifrost-gw/bifrost/runtime/provider"
)

// TestNextEventAllocs: reading a stream through the call's framer (chosen by the spec's
// stream member) allocates nothing once the call has its framer and buffers.
func TestNextEventAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	kind, err := framing.Lookup(provider.FramingSSE)
	if err != nil {
		t.Fatal(err)
	}
	stream := strings.Repeat("data: {\"choices\":[{\"delta\":{\"content\":\" word\"}}]}\n\n", 50)
	sr := strings.NewReader(stream)
	c := newCall()
	c.cur.p = &providerState{info: &provider.Info{}, framing: kind, maxEvent: 1 << 20}
	c.br = bufio.NewReaderSize(sr, streamBufSize)
	read := func() {
		sr.Reset(stream)
		c.br.Reset(sr)
		n := 0
		for ; ; n++ {
			if _, err := c.nextEvent(); err != nil {
				break
			}
		}
		if n != 50 {
			t.Fatalf("%d events, want 50", n)
		}
	}
	read()
	if n := testing.AllocsPerRun(50, read); n != 0 {
		t.Errorf("allocs per 50-event stream = %v, want 0", n)
	}
}
