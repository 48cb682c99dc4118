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
