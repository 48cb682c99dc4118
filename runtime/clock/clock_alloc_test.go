//go:build !race

package clock_test

import (
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/clock"
)

// TestRealNowAllocs: reading the real clock through the interface allocates nothing, so the
// engine can use it on its hot path.
func TestRealNowAllocs(t *testing.T) {
	var c clock.Clock = clock.Real{}
	if n := testing.AllocsPerRun(100, func() { _ = c.Now() }); n != 0 {
		t.Errorf("Real.Now: %v allocs/op, want 0", n)
	}
}
