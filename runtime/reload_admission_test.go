package runtime_test

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
)

// TestReloadKeepsConcurrencyLimit (issue 10, defect 7): a reload carries the requests in
// flight over to the new snapshot's admission, so the concurrency limit holds across
// reloads, and a changed limit applies to every request in flight, admitted before the
// reload or after. The mock counts the requests it holds at once.
//
//  1. concurrency 4: four requests are in flight (the mock holds each 600 ms);
//  2. three reloads, then four more requests: they queue, none reaches the mock;
//  3. a reload to concurrency 6 admits two of them at once;
//  4. a reload to concurrency 2 while six are in flight: once the first four are done, at
//     most two are ever in flight.
//
// Load reports the true numbers at each step, and a reload that fails changes nothing.
func TestReloadKeepsConcurrencyLimit(t *testing.T) {
	lc := newLeakCheck()
	up := serveMock(t, mocks.Config{Latency: 600 * time.Millisecond})
	cfgFor := func(concurrency int, badAlias bool) *config.Config {
		t.Helper()
		prov := rigProvider(up.addr, 0, "")
		prov = prov[:len(prov)-1] + `,"concurrency_and_buffer_size":{"concurrency":` + strconv.Itoa(concurrency) + `,"buffer_size":10}}`
		js := `{"providers":{"openai":` + prov + `}}`
		cfg, err := config.Parse("rig.json", []byte(js), func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		if badAlias {
			cfg.Aliases = map[string][]string{"x": {"nowhere/m"}} // fails buildSnapshot at its end
		}
		return cfg
	}
	e, err := runtime.New(cfgFor(4, false), adapters.All())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	load := func() (inFlight, queued int) {
		l := providerLoad(t, e, "openai")
		return l.InFlight, l.Queued
	}
	upstream := func() int64 { return up.m.Stats().InFlight }

	var wg sync.WaitGroup
	var failures atomic.Int64
	var doneA atomic.Int64
	start := func(n int, done *atomic.Int64) {
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := rigChat(t, e, chatBody(model, false), nil)
				if err != nil {
					failures.Add(1)
					t.Errorf("request: %v", err)
				}
				e.ReleaseCall(c)
				if done != nil {
					done.Add(1)
				}
			}()
		}
	}

	// 1.
	start(4, &doneA)
	if !eventually(func() bool { return upstream() == 4 }) {
		t.Fatalf("%d requests in flight at the mock, want 4", upstream())
	}
	// 2.
	for i := 0; i < 3; i++ {
		if err := e.Reload(cfgFor(4, false)); err != nil {
			t.Fatal(err)
		}
	}
	start(4, nil)
	eventually(func() bool {
		f, q := load()
		return upstream() > 4 || f == 4 && q == 4
	})
	if n := upstream(); n != 4 {
		t.Fatalf("after 3 reloads: %d requests in flight at the mock, want 4 (concurrency 4)", n)
	}
	if f, q := load(); f != 4 || q != 4 {
		t.Fatalf("after 3 reloads: Load says %d in flight and %d queued, want 4 and 4", f, q)
	}
	if err := e.Reload(cfgFor(8, true)); err == nil {
		t.Fatal("a config with a bad alias reloaded")
	}
	if f, q := load(); f != 4 || q != 4 {
		t.Fatalf("after a failed reload: %d in flight and %d queued, want 4 and 4 (limits unchanged)", f, q)
	}
	// 3.
	if err := e.Reload(cfgFor(6, false)); err != nil {
		t.Fatal(err)
	}
	if !eventually(func() bool { f, q := load(); return f == 6 && q == 2 && upstream() == 6 }) {
		f, q := load()
		t.Fatalf("concurrency raised to 6: %d in flight (%d at the mock) and %d queued, want 6 and 2", f, upstream(), q)
	}
	// 4.
	if err := e.Reload(cfgFor(2, false)); err != nil {
		t.Fatal(err)
	}
	doneAll := make(chan struct{})
	go func() { wg.Wait(); close(doneAll) }()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	peak := int64(0) // the most in flight once the four requests from step 1 were done
	for running := true; running; {
		select {
		case <-doneAll:
			running = false
		case <-tick.C:
			if doneA.Load() < 4 {
				continue
			}
			if f, _ := load(); int64(f) > peak {
				peak = int64(f)
			}
			if n := upstream(); n > peak {
				peak = n
			}
		}
	}
	if peak > 2 {
		t.Errorf("concurrency lowered to 2: %d in flight once the requests from before were done", peak)
	}
	if m := up.m.Stats().MaxInFlight; m != 6 {
		t.Errorf("at most %d requests were in flight at the mock at once, want 6", m)
	}
	if failures.Load() != 0 {
		t.Errorf("%d requests failed", failures.Load())
	}
	// The clients of the snapshots retired by the reloads keep the connections that their
	// requests in flight returned after the swap, idle, until fasthttp's idle timeout: close
	// the mock first, then check the rest.
	up.close()
	lc.done(t, e)
}
