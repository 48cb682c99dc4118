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

// TestAnthropicPassthroughAllocs: a non-streaming POST /anthropic/v1/messages to Anthropic
// allocates nothing in steady state on the passthrough path, for ~1 KB and ~10 KB answers.
// The decoding path's count is logged, for comparison (TestAnthropicMessagesAllocs pins it).
func TestAnthropicPassthroughAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	body := anthropicBody("anthropic/claude-3-5-haiku-20241022")
	for _, size := range []string{"1kb", "10kb"} {
		for _, on := range []bool{true, false} {
			p := newInProcess(t, mocks.Config{Format: mocks.FormatAnthropic, ResponseSize: size}, anthropicOnly)
			p.srv.SetPassthrough(on)
			ctx := newCtx("POST", "/anthropic/v1/messages", body)
			run := func() {
				p.do(ctx)
				if ctx.Response.StatusCode() != 200 {
					t.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
				}
			}
			for range 50 {
				run()
			}
			n := testing.AllocsPerRun(200, run)
			if on && n != 0 {
				t.Errorf("%s, passthrough: allocs per request = %v, want 0", size, n)
			}
			if !on {
				t.Logf("%s, decoding path: %v allocs per request", size, n)
			}
			if passed := p.srv.Passed(); on && passed < 251 || !on && passed != 0 {
				t.Errorf("%s, passthrough %v: %d answers passed through of 251", size, on, passed)
			}
		}
	}
}

// BenchmarkAnthropicPaths is a non-streaming POST /anthropic/v1/messages to Anthropic on
// each path: passthrough (the default) and decoding (SetPassthrough(false)), for ~1 KB and
// ~10 KB answers.
func BenchmarkAnthropicPaths(b *testing.B) {
	body := anthropicBody("anthropic/claude-3-5-haiku-20241022")
	for _, size := range []string{"1kb", "10kb"} {
		for _, path := range []string{"passthrough", "decoding"} {
			b.Run(size+"/"+path, func(b *testing.B) {
				p := newInProcess(b, mocks.Config{Format: mocks.FormatAnthropic, ResponseSize: size}, anthropicOnly)
				p.srv.SetPassthrough(path == "passthrough")
				ctx := newCtx("POST", "/anthropic/v1/messages", body)
				for range 50 {
					p.do(ctx)
				}
				b.ReportAllocs()
				b.SetBytes(int64(len(body)))
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
