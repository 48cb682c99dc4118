//go:build !race

package server

import (
	"testing"

	"github.com/bifrost-gw/bifrost/mocks"
)

// TestPassthroughAllocs: a non-streaming chat completion allocates nothing in steady state
// on either path, and the passthrough one is taken when it is on.
func TestPassthroughAllocs(t *testing.T) {
	for _, size := range []string{"1kb", "10kb"} {
		for _, on := range []bool{true, false} {
			p := newInProcess(t, mocks.Config{ResponseSize: size}, "")
			p.srv.SetPassthrough(on)
			ctx := newCtx("POST", "/v1/chat/completions", chatBody)
			run := func() {
				p.do(ctx)
				if ctx.Response.StatusCode() != 200 {
					t.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
				}
			}
			for range 50 {
				run()
			}
			if n := testing.AllocsPerRun(200, run); n != 0 {
				t.Errorf("%s, passthrough %v: allocs per request = %v, want 0", size, on, n)
			}
			if passed := p.srv.Passed(); on && passed < 251 || !on && passed != 0 {
				t.Errorf("%s, passthrough %v: %d answers passed through of 251", size, on, passed)
			}
		}
	}
}

// BenchmarkInProcessChatPaths is BenchmarkInProcessChat on each path: passthrough (the
// default) and decoding (SetPassthrough(false)), for ~1 KB and ~10 KB answers.
func BenchmarkInProcessChatPaths(b *testing.B) {
	for _, size := range []string{"1kb", "10kb"} {
		for _, path := range []string{"passthrough", "decoding"} {
			b.Run(size+"/"+path, func(b *testing.B) {
				p := newInProcess(b, mocks.Config{ResponseSize: size}, "")
				p.srv.SetPassthrough(path == "passthrough")
				ctx := newCtx("POST", "/v1/chat/completions", chatBody)
				for range 50 {
					p.do(ctx)
				}
				b.ReportAllocs()
				b.SetBytes(int64(len(chatBody)))
				b.ResetTimer()
				for range b.N {
					p.do(ctx)
					if ctx.Response.StatusCode() != 200 {
						b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
					}
				}
			})
		}
	}
}
