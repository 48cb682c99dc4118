//go:build !race

package mocks

import (
	"testing"

	"github.com/valyala/fasthttp"
)

// TestChatAllocations checks that a plain chat completion allocates
// nothing per request once warm.
func TestChatAllocations(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"1kb", Config{ResponseSize: "1kb"}},
		{"10kb", Config{ResponseSize: "10kb"}},
		{"key", Config{RequireKey: "sk-test"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx := newChatCtx(chatBody, tt.cfg.RequireKey)
			// fasthttp's server keeps each context's body buffer unless
			// ReduceMemoryUsage is set; do the same.
			ctx.Response.KeepBodyBuffer = true
			h := s.Handler()
			run := func() {
				ctx.Response.Reset()
				h(ctx)
			}
			run()
			if got := ctx.Response.StatusCode(); got != fasthttp.StatusOK {
				t.Fatalf("status %d, body %s", got, ctx.Response.Body())
			}
			if allocs := testing.AllocsPerRun(1000, run); allocs != 0 {
				t.Errorf("plain chat completion: %v allocs per request, want 0", allocs)
			}
		})
	}
}
