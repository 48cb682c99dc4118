//go:build !race

package runtime

import (
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/provider"
)

// TestModelRouteAllocs checks that picking a model route and building its URL allocate
// nothing once the call's buffers have grown.
func TestModelRouteAllocs(t *testing.T) {
	p := routedProvider(t, "us-east5", true)
	c := &Call{op: provider.OpChat, key: 0}
	models := []string{"claude-3-5-haiku@20241022", "gemini-2.0-flash"}
	for _, m := range models {
		if err := c.setKey(p, m); err != nil {
			t.Fatal(err)
		}
	}
	i := 0
	if n := testing.AllocsPerRun(200, func() {
		c.setKey(p, models[i%2])
		i++
	}); n != 0 {
		t.Errorf("setKey with model routes: %v allocs/op, want 0", n)
	}
}
