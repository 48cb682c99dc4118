//go:build !race

package google

import (
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// TestAuthorizeAllocs: authorizing with a cached, valid token allocates nothing.
func TestAuthorizeAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	a, _ := newTestGCP(t)
	var req fasthttp.Request
	now := time.Now()
	if err := a.Authorize(&req, now); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { a.Authorize(&req, now) }); n != 0 { //nolint:errcheck // checked above
		t.Errorf("allocs per Authorize = %v, want 0", n)
	}
}
