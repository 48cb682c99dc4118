package runtime_test

import (
	"sync"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime"
)

// TestDroppedRequestsCounted checks that requests refused by admission (a full queue with
// drop_excess_requests) answer 429 queue_full and are counted in ProviderLoad.Dropped, the
// source of bifrost_dropped_requests_total.
func TestDroppedRequestsCounted(t *testing.T) {
	u := serveMock(t, mocks.Config{Latency: 300 * time.Millisecond})
	prov := rigProvider(u.addr, 0, "")
	prov = prov[:len(prov)-1] + `,"concurrency_and_buffer_size":{"concurrency":1,"buffer_size":1}}`
	cfg := `{"client":{"drop_excess_requests":true},"providers":{"openai":` + prov + `}}`
	e := newEngine(t, cfg, timeouts{}, runtime.Options{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := rigChat(t, e, chatBody("openai/gpt-4o-mini", false), nil)
			defer e.ReleaseCall(c)
			s := 200
			if err != nil {
				s = err.Status
				if s == 429 && err.Body.Code != "queue_full" {
					t.Errorf("429 with code %q", err.Body.Code)
				}
			}
			mu.Lock()
			statuses[s]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	var dropped uint64
	for _, l := range e.Load(nil) {
		dropped += l.Dropped
	}
	if statuses[429] == 0 || uint64(statuses[429]) != dropped || statuses[200]+statuses[429] != 6 {
		t.Errorf("statuses %v, dropped counted %d: want some 429 queue_full, each one counted", statuses, dropped)
	}
}
