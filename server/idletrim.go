package server

import (
	"context"
	"runtime"
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

// trimIdle is how long the gateway must have served nothing before TrimWhenIdle trims;
// it trims again at trimAgain idle periods, once fasthttp has ended the idle workers of
// the connections gone (its MaxIdleWorkerDuration is 10 s), whose stacks are then free.
const (
	trimIdle  = 3 * time.Second
	trimAgain = 5
)

// TrimWhenIdle runs until ctx ends: every trimIdle it looks at the requests served, and
// once some were served and then none for trimIdle (and again for trimAgain periods), it
// gives memory back: two garbage collections (a sync.Pool keeps its objects through one)
// and debug.FreeOSMemory, so that memory follows the load down. A steady load never
// triggers it; it costs three collections per burst.
func (s *Server) TrimWhenIdle(ctx context.Context) {
	t := time.NewTicker(trimIdle)
	defer t.Stop()
	last, idle := s.served.Load(), -1 // -1: no traffic yet since the last trims
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n := s.served.Load()
		switch {
		case n != last:
			idle = 0
		case idle >= 0:
			idle++
			if idle == 1 || idle == trimAgain {
				runtime.GC()
				debug.FreeOSMemory()
			}
			if idle == trimAgain {
				idle = -1
			}
		}
		last = n
	}
}
