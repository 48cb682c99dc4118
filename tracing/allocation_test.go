//go:build !race

package tracing_test

import (
	"testing"

	"github.com/bifrost-gw/bifrost/tracing"
)

// Tracing off costs nothing: a chat through the traced handler and an engine with the
// tracer as its observer allocates nothing, as without them (server's
// TestInProcessChatAllocs). Both ways off are checked: no observer, and an observer with
// tracing off.
func TestTracingOffAllocs(t *testing.T) {
	for _, observe := range []bool{false, true} {
		tr := tracing.New(tracing.Options{Getenv: func(string) string { return "" }})
		h := inProcess(t, tr, observe, `,"tracing":{"enabled":false}`)
		ctx := newCtx(chatBody)
		run := func() { chat(t, h, ctx) }
		for i := 0; i < 50; i++ {
			run()
		}
		if n := testing.AllocsPerRun(200, run); n != 0 {
			t.Errorf("observer=%v: allocs per request with tracing off = %v, want 0", observe, n)
		}
	}
}
