//go:build !race

package server

import (
	"testing"
)

// TestResponsesNativeAllocs: a native non-streaming POST /v1/responses allocates nothing
// in steady state, stored by the provider (the default) or not, as a passthrough chat
// completion (TestPassthroughAllocs). The upstream answers a constant Response object (the
// mock's own), so that the count is the gateway's.
func TestResponsesNativeAllocs(t *testing.T) {
	for _, extra := range []string{``, `"store":false,`} {
		p := newConstInProcess(t, mockResponse(t))
		ctx := newCtx("POST", "/v1/responses", responsesBody("openai/gpt-4o-mini", extra))
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
			t.Errorf("%q: allocs per request = %v, want 0", extra, n)
		}
		if passed := p.srv.Passed(); passed < 251 {
			t.Errorf("%q: %d answers passed natively of 251", extra, passed)
		}
	}
}
