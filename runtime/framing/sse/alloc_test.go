//go:build !race

package sse

import (
	"bufio"
	"strings"
	"testing"
)

// TestNextAllocs: reading a stream allocates nothing per event once the buffers have grown.
func TestNextAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	stream := "event: message_start\ndata: {\"type\":\"message_start\"}\n\n" +
		strings.Repeat("data: {\"choices\":[{\"delta\":{\"content\":\" word\"}}]}\n\n", 48) + "data: [DONE]\n\n"
	sr := strings.NewReader(stream)
	br := bufio.NewReaderSize(sr, 32<<10)
	var r Reader
	read := func() {
		sr.Reset(stream)
		br.Reset(sr)
		for {
			if _, err := r.Next(br, 1<<20); err != nil {
				return
			}
		}
	}
	read()
	if n := testing.AllocsPerRun(50, read); n != 0 {
		t.Errorf("allocs per 50-event stream = %v, want 0", n)
	}
}
