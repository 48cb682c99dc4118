//go:build !race

package runtime

import (
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/config"
)

// TestKeysAndBreakersAllocs: picking a key while a denial is remembered, looking a model's
// breaker up and counting a request's outcome allocate nothing.
func TestKeysAndBreakersAllocs(t *testing.T) {
	p := keysOf(1, 1)
	p.denyModel(0, "m", 0)
	now := int64(time.Millisecond)
	if a := testing.AllocsPerRun(100, func() { p.pickKey("m", -1, now) }); a != 0 {
		t.Errorf("pickKey with a denial allocates %v", a)
	}
	if a := testing.AllocsPerRun(100, func() { p.deniedModel(1, "m", now) }); a != 0 {
		t.Errorf("deniedModel allocates %v", a)
	}
	s := newBreakerSet(config.CircuitBreaker{})
	s.record("bad", nil, now, true, false) // the failing model gets its breaker
	if a := testing.AllocsPerRun(100, func() {
		for _, m := range []string{"bad", "good"} {
			b := s.lookup(m)
			b.allow(now)
			s.record(m, b, now, false, false)
		}
	}); a != 0 {
		t.Errorf("breaker lookup and record allocate %v", a)
	}
}
