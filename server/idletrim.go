package server

import (
	"context"
	"runtime/debug"
	"time"
)

// Memory after load. A burst of traffic leaves the gateway holding what it needed at the
// peak: fasthttp's per-connection contexts and buffers and the pooled Calls with their
// body buffers (sync.Pools, emptied only by garbage collections), and the stacks of the
// goroutines that served the connections. An idle gateway that allocates nothing runs no
// collection until Go's forced one, every two minutes, and the runtime then gives pages
// back to the OS gradually. TrimWhenIdle gives it all back at once, a few seconds after the
// traffic stops.

// trimIdle is how long the gateway must have served nothing before TrimWhenIdle trims.
const trimIdle = 3 * time.Second

// TrimWhenIdle runs until ctx ends: every trimIdle it looks at the requests served, and
// when some were served before and none since, it runs debug.FreeOSMemory once (a garbage
// collection, then the free memory returned to the OS), so that memory follows the load
// down. A steady load never triggers it; it costs one collection per burst.
func (s *Server) TrimWhenIdle(ctx context.Context) {
	t := time.NewTicker(trimIdle)
	defer t.Stop()
	last, busy := s.served.Load(), false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n := s.served.Load()
		switch {
		case n != last:
			busy = true
		case busy:
			debug.FreeOSMemory()
			busy = false
		}
		last = n
	}
}
