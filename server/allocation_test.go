//go:build !race

package server

import (
	"testing"

	"github.com/bifrost-gw/bifrost/mocks"
)

// TestInProcessChatAllocs checks the design's hot-path rule: a non-streaming chat completion
// through the whole gateway (handler, runtime, OpenAI adapter, fasthttp client, in-memory mock
// and back) allocates nothing in steady state, metrics included.
func TestInProcessChatAllocs(t *testing.T) {
	for _, size := range []string{"1kb", "10kb"} {
		t.Run(size, func(t *testing.T) {
			p := newInProcess(t, mocks.Config{ResponseSize: size}, "")
			ctx := newCtx("POST", "/v1/chat/completions", chatBody)
			run := func() {
				p.do(ctx)
				if ctx.Response.StatusCode() != 200 {
					t.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
				}
			}
			for i := 0; i < 50; i++ {
				run() // grow pools and buffers
			}
			if n := testing.AllocsPerRun(200, run); n != 0 {
				t.Errorf("allocs per request = %v, want 0", n)
			}
		})
	}
}

// TestInProcessChatAllocsWithAccessLog is the same with the access log on, as bifrost-http
// runs by default: a line per request, still no allocation.
func TestInProcessChatAllocsWithAccessLog(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		p := newInProcess(t, mocks.Config{}, "")
		var lines countingWriter
		p.srv.SetAccessLog(NewAccessLog(&lines, asJSON))
		ctx := newCtx("POST", "/v1/chat/completions", chatBody)
		run := func() {
			p.do(ctx)
			if ctx.Response.StatusCode() != 200 {
				t.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
			}
		}
		for i := 0; i < 50; i++ {
			run()
		}
		if n := testing.AllocsPerRun(200, run); n != 0 {
			t.Errorf("json=%v: allocs per request = %v, want 0", asJSON, n)
		}
		if lines.n < 250 {
			t.Errorf("json=%v: %d access lines for 251 requests", asJSON, lines.n)
		}
	}
}

// countingWriter counts the lines written to it.
type countingWriter struct{ n int }

func (w *countingWriter) Write(p []byte) (int, error) {
	for _, c := range p {
		if c == '\n' {
			w.n++
		}
	}
	return len(p), nil
}
