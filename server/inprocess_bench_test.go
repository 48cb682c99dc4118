package server

import (
	"testing"

	"github.com/bifrost-gw/bifrost/mocks"
)

// BenchmarkInProcessChat measures a non-streaming chat completion through the whole gateway
// in one process (handler -> runtime -> OpenAI adapter -> in-memory mock -> back), for ~1 KB
// and ~10 KB responses. The mock's own work is included; compare with BenchmarkMockOnly.
func BenchmarkInProcessChat(b *testing.B) {
	for _, size := range []string{"1kb", "10kb"} {
		b.Run(size, func(b *testing.B) {
			p := newInProcess(b, mocks.Config{ResponseSize: size}, "")
			ctx := newCtx("POST", "/v1/chat/completions", chatBody)
			for i := 0; i < 50; i++ {
				p.do(ctx)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(chatBody)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p.do(ctx)
				if ctx.Response.StatusCode() != 200 {
					b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
				}
			}
		})
	}
}
