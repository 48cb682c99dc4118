package runtime_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/clock"
	"github.com/bifrost-gw/bifrost/runtime/config"
)

// The tests in this file show each resilience rule of the runtime against the mock's
// injected failures, on real 127.0.0.1 connections: retry classes and counts, key
// cooldowns, fallbacks, the circuit breaker, the separate timeouts and the stale-connection
// resend. Each test's comment states the behaviour it expects.

const model = "openai/gpt-4o-mini"

// twoKeys is a provider block with two keys, A and B, for a mock at addr that takes any key.
func twoKeys(addr string, retries int, extra string) string {
	return `{"keys":[{"name":"a","value":"sk-key-a-0000000000000","weight":1},{"name":"b","value":"sk-key-b-0000000000000","weight":1}],
		"circuit_breaker":{"enabled":false},
		"network_config":{"base_url":"http://` + addr + `","max_retries":` + strconv.Itoa(retries) +
		`,"retry_backoff_initial":10,"retry_backoff_max":20` + extra + `}}`
}

// TestRetryClassification: 408, 429, 500, 502, 503, 504 and 529 are retried (here once,
// then the mock answers); 400, 404 and 422 are final: one attempt, the provider's status.
// The mock counts what reached it.
func TestRetryClassification(t *testing.T) {
	cases := []struct {
		status  int
		retried bool
	}{
		{408, true}, {429, true}, {500, true}, {502, true}, {503, true}, {504, true}, {529, true},
		{400, false}, {404, false}, {422, false},
	}
	for _, tc := range cases {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			// Two keys: a 429 cools its key and the retry goes at once to the other one.
			up := serveMock(t, mocks.Config{FailFirst: []int{tc.status}, RequireKey: "-"})
			e := newEngine(t, `{"providers":{"openai":`+twoKeys(up.addr, 2, "")+`}}`, timeouts{}, runtime.Options{})
			c, err := rigChat(t, e, chatBody(model, false), nil)
			defer e.ReleaseCall(c)
			want := 1
			if tc.retried {
				want = 2
				if err != nil {
					t.Fatalf("a %d was retried and the retry succeeded, yet: %v", tc.status, err)
				}
			} else if err == nil || err.Status != tc.status || err.Retryable {
				t.Fatalf("got %v, want the final %d", err, tc.status)
			}
			if c.Attempts != want || up.requests() != uint64(want) {
				t.Errorf("%d attempts, %d at the mock; want %d", c.Attempts, up.requests(), want)
			}
		})
	}
}

// TestMaxRetriesNeverExceeded: against a provider that always fails, a request makes exactly
// max_retries+1 attempts, as counted by the mock, and gets the provider's last error.
func TestMaxRetriesNeverExceeded(t *testing.T) {
	for _, retries := range []int{0, 1, 3, 5} {
		t.Run("max_retries="+strconv.Itoa(retries), func(t *testing.T) {
			up := serveMock(t, mocks.Config{Rate500: 1})
			e := newEngine(t, `{"providers":{"openai":`+rigProvider(up.addr, retries, "")+`}}`, timeouts{}, runtime.Options{})
			c, err := rigChat(t, e, chatBody(model, false), nil)
			defer e.ReleaseCall(c)
			if err == nil || err.Status != 500 {
				t.Fatalf("got %v, want 500", err)
			}
			if c.Attempts != retries+1 || up.requests() != uint64(retries+1) {
				t.Errorf("%d attempts, %d at the mock; want %d", c.Attempts, up.requests(), retries+1)
			}
		})
	}
}

// TestKeyCooldownAfterAuthFailure: a key answered 401 is left out for
// auth_failure_key_cooldown (the request retries at once with the other key), and comes back
// by itself when the cooldown ends. The cooldown runs on a fake clock that the test moves.
func TestKeyCooldownAfterAuthFailure(t *testing.T) {
	const cooldown = 400 * time.Millisecond
	f := clock.NewFake(fakeStart)
	up := serveMock(t, mocks.Config{RequireKey: "sk-key-b-0000000000000"}) // key A is refused
	e := newEngine(t, `{"providers":{"openai":`+twoKeys(up.addr, 1, `,"auth_failure_key_cooldown":`+strconv.Itoa(int(cooldown/time.Millisecond)))+`}}`,
		timeouts{}, runtime.Options{Clock: f})
	send := func() {
		t.Helper()
		c, err := rigChat(t, e, chatBody(model, false), nil)
		if err != nil {
			t.Fatalf("request failed: %v (the retry should have used key B)", err)
		}
		e.ReleaseCall(c)
	}
	unauthorized := func() uint64 { return up.m.Stats().Unauthorized }
	// Until key A is picked once: it gets 401 and the same request succeeds with key B.
	for i := 0; unauthorized() == 0; i++ {
		if i == 200 {
			t.Fatal("key A was never picked in 200 requests")
		}
		send()
	}
	// While A cools down (checked at its start and 1 ms before its end), only B is used.
	for _, by := range []time.Duration{0, cooldown - time.Millisecond} {
		f.Advance(by)
		for i := 0; i < 30; i++ {
			send()
		}
		if n := unauthorized(); n != 1 {
			t.Fatalf("key A was tried %d times during its cooldown, want it left out", n-1)
		}
	}
	// After the cooldown A comes back by itself: it is picked (and refused) again.
	f.Advance(time.Millisecond)
	for i := 0; unauthorized() == 1; i++ {
		if i == 200 {
			t.Fatal("key A did not come back after its cooldown")
		}
		send()
	}
	if l := e.Load(nil); l[0].KeyCooldowns != 2 {
		t.Errorf("KeyCooldowns = %d, want 2", l[0].KeyCooldowns)
	}
}

// TestAllKeysCooling: when every key of a provider is cooling down, a request is not sent to
// it: it gets a clear 429 (rate-limited keys, Retry-After from the provider's) or 503 (keys
// refused by the provider), marked retryable, and goes to its fallback when it has one. A
// 429's Retry-After (30 s from the mock) decides the cooldown over rate_limit_key_cooldown
// (50 ms here).
func TestAllKeysCooling(t *testing.T) {
	cases := []struct {
		name   string
		mock   mocks.Config
		status int
		code   string
	}{
		{"429 with Retry-After", mocks.Config{FailFirst: []int{429}, RetryAfter: 30}, 429, "all_keys_rate_limited"},
		{"401", mocks.Config{RequireKey: "sk-some-other-key-0000000"}, 503, "all_keys_failing_auth"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			up := serveMock(t, tc.mock)
			fb := serveMock(t, mocks.Config{})
			f := clock.NewFake(fakeStart)
			e := newEngine(t, `{"providers":{"openai":`+rigProvider(up.addr, 0, `,"rate_limit_key_cooldown":50`)+
				`,"groq":`+rigProvider(fb.addr, 0, "")+`}}`, timeouts{}, runtime.Options{Clock: f})
			c, err := rigChat(t, e, chatBody(model, false), nil)
			if err == nil || string(err.Body.Code) == tc.code {
				t.Fatalf("first request: %v, want the provider's own failure", err)
			}
			e.ReleaseCall(c)
			f.Advance(60 * time.Millisecond) // past rate_limit_key_cooldown, within Retry-After

			c, err = rigChat(t, e, chatBody(model, false), nil)
			if err == nil || err.Status != tc.status || string(err.Body.Code) != tc.code || !err.Retryable ||
				err.RetryAfterSec < 1 || tc.status == 429 && err.RetryAfterSec < 20 {
				t.Fatalf("while the key cools: %+v, want a retryable %d %s with Retry-After", err, tc.status, tc.code)
			}
			e.ReleaseCall(c)
			if up.requests() != 1 {
				t.Errorf("%d requests reached the provider, want only the first", up.requests())
			}

			c, err = rigChat(t, e, chatBody(model, false, "groq/llama-3.1-8b-instant"), nil)
			if err != nil || c.Provider != "groq" || c.Fallbacks != 1 {
				t.Fatalf("with a fallback: %v, answered by %s after %d fallbacks; want groq", err, c.Provider, c.Fallbacks)
			}
			e.ReleaseCall(c)
			if up.requests() != 1 {
				t.Errorf("%d requests reached the cooling provider, want 1", up.requests())
			}

		})
	}
}

// TestRateLimitedKeyComesBack: a key cooled by a 429 with Retry-After: 1 serves again by
// itself once that second has passed (on a fake clock that the test moves), not before.
func TestRateLimitedKeyComesBack(t *testing.T) {
	f := clock.NewFake(fakeStart)
	up := serveMock(t, mocks.Config{FailFirst: []int{429}})
	e := newEngine(t, `{"providers":{"openai":`+rigProvider(up.addr, 0, "")+`}}`, timeouts{}, runtime.Options{Clock: f})
	c, err := rigChat(t, e, chatBody(model, false), nil)
	if err == nil || err.Status != 429 || err.RetryAfterSec != 1 {
		t.Fatalf("first request: %v, want the provider's 429 with Retry-After 1", err)
	}
	e.ReleaseCall(c)
	f.Advance(time.Second - time.Millisecond)
	c, err = rigChat(t, e, chatBody(model, false), nil)
	if err == nil || err.Status != 429 || up.requests() != 1 {
		t.Fatalf("within Retry-After: %v, %d requests at the provider; want a 429 from the engine", err, up.requests())
	}
	e.ReleaseCall(c)
	f.Advance(time.Millisecond)
	c, err = rigChat(t, e, chatBody(model, false), nil)
	defer e.ReleaseCall(c)
	if err != nil || up.requests() != 2 {
		t.Fatalf("after Retry-After: %v, %d requests at the provider; want its answer", err, up.requests())
	}
}

// TestZeroWeightKeys: keys of weight 0 are disabled; a provider left with none fails at
// build time with a clear error (no panic), and one usable key among zero-weight ones
// serves every request.
func TestZeroWeightKeys(t *testing.T) {
	up := serveMock(t, mocks.Config{})
	zero := `{"keys":[{"name":"a","value":"sk-a","weight":0},{"name":"b","value":"sk-b","weight":0}],"network_config":{"base_url":"http://` + up.addr + `"}}`
	cfg, err := config.Parse("zero.json", []byte(`{"providers":{"openai":`+zero+`}}`), func(string) string { return "" })
	if err == nil {
		if _, err := runtime.New(cfg, adapters.All()); err == nil || !strings.Contains(err.Error(), "weight above 0") {
			t.Errorf("all keys of weight 0: %v, want a clear config error", err)
		}
	}
	mixed := `{"keys":[{"name":"a","value":"sk-zero-0000000000","weight":0},{"name":"b","value":"` + rigKey + `","weight":1}],"network_config":{"base_url":"http://` + up.addr + `"}}`
	e := newEngine(t, `{"providers":{"openai":`+mixed+`}}`, timeouts{}, runtime.Options{})
	for i := 0; i < 20; i++ {
		c, err := rigChat(t, e, chatBody(model, false), nil)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		e.ReleaseCall(c)
	}
}

// TestFallbackOnClientErrors: a final 4xx (400, 422) does not go to the fallback unless
// client.fallback_on_client_errors is on; then the fallback answers. A client that has gone
// (499) never falls back.
func TestFallbackOnClientErrors(t *testing.T) {
	for _, on := range []bool{false, true} {
		for _, status := range []int{400, 422} {
			t.Run("switch="+strconv.FormatBool(on)+"/"+strconv.Itoa(status), func(t *testing.T) {
				up := serveMock(t, mocks.Config{FailFirst: []int{status}})
				fb := serveMock(t, mocks.Config{})
				e := newEngine(t, `{"client":{"fallback_on_client_errors":`+strconv.FormatBool(on)+`},"providers":{"openai":`+
					rigProvider(up.addr, 2, "")+`,"groq":`+rigProvider(fb.addr, 0, "")+`}}`, timeouts{}, runtime.Options{})
				c, err := rigChat(t, e, chatBody(model, false, "groq/llama-3.1-8b-instant"), nil)
				defer e.ReleaseCall(c)
				if up.requests() != 1 {
					t.Errorf("the final %d was retried: %d requests at the provider", status, up.requests())
				}
				if on {
					if err != nil || c.Provider != "groq" || fb.requests() != 1 {
						t.Fatalf("switch on: %v from %s, want the fallback's answer", err, c.Provider)
					}
					return
				}
				if err == nil || err.Status != status || fb.requests() != 0 {
					t.Fatalf("switch off: %v, %d requests at the fallback; want the provider's %d and no fallback", err, fb.requests(), status)
				}
			})
		}
	}
}

// TestNothingAfterClientGone: once the client has gone, nothing more is sent: no retry and no
// fallback after a failed attempt, and a retry's backoff wait ends early with 499.
func TestNothingAfterClientGone(t *testing.T) {
	t.Run("after a failed attempt", func(t *testing.T) {
		up := serveMock(t, mocks.Config{Rate500: 1})
		fb := serveMock(t, mocks.Config{})
		e := newEngine(t, `{"client":{"fallback_on_client_errors":true},"providers":{"openai":`+rigProvider(up.addr, 3, "")+
			`,"groq":`+rigProvider(fb.addr, 0, "")+`}}`, timeouts{}, runtime.Options{})
		gone := func() bool { return up.requests() >= 1 } // the client leaves during the first attempt
		c, err := rigChat(t, e, chatBody(model, false, "groq/llama-3.1-8b-instant"), gone)
		defer e.ReleaseCall(c)
		if err == nil || up.requests() != 1 || fb.requests() != 0 || c.Fallbacks != 0 {
			t.Fatalf("%v after %d attempts at the provider and %d at the fallback; want one attempt and nothing more",
				err, up.requests(), fb.requests())
		}
	})
	t.Run("during the backoff", func(t *testing.T) {
		// The backoff (2 to 4 s) waits on a fake clock; the client leaves once the engine
		// waits on it, and the next poll of Gone (50 ms of fake time later) ends the request.
		f := clock.NewFake(fakeStart)
		up := serveMock(t, mocks.Config{Rate503: 1})
		e := newEngine(t, `{"providers":{"openai":`+strings.Replace(rigProvider(up.addr, 3, ""),
			`"retry_backoff_initial":10,"retry_backoff_max":20`, `"retry_backoff_initial":2000,"retry_backoff_max":4000`, 1)+`}}`,
			timeouts{}, runtime.Options{Clock: f})
		var left atomic.Bool
		var c *runtime.Call
		var err *runtime.Error
		done := make(chan struct{})
		go func() {
			defer close(done)
			c, err = rigChat(t, e, chatBody(model, false), left.Load)
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := f.BlockUntil(ctx, 1); err != nil {
			t.Fatalf("the engine never waited for its backoff: %v", err)
		}
		left.Store(true)
		f.Advance(50 * time.Millisecond)
		<-done
		defer e.ReleaseCall(c)
		if err == nil || err.Status != 499 || up.requests() != 1 {
			t.Fatalf("%v after %d attempts; want 499 after one attempt, the backoff cut short", err, up.requests())
		}
	})
}

// TestTotalDeadline: all attempts and their backoff fit in the request timeout. Against a
// provider that never answers, each attempt ends at response_header_timeout (100 ms) and the
// retries stop when the 350 ms budget is spent, long before max_retries (10).
func TestTotalDeadline(t *testing.T) {
	up := serveMock(t, mocks.Config{Fault: mocks.FaultHang})
	e := newEngine(t, `{"providers":{"openai":`+rigProvider(up.addr, 10, "")+`}}`,
		timeouts{total: 350 * time.Millisecond, header: 100 * time.Millisecond}, runtime.Options{})
	t0 := time.Now()
	c, err := rigChat(t, e, chatBody(model, false), nil)
	elapsed := time.Since(t0)
	defer e.ReleaseCall(c)
	if err == nil || err.Status != 504 || string(err.Body.Code) != "upstream_timeout" || !err.Retryable {
		t.Fatalf("got %+v, want a retryable 504 upstream_timeout", err)
	}
	if c.Attempts > 4 {
		t.Errorf("%d attempts, want at most 4 in a 350 ms budget of 100 ms attempts", c.Attempts)
	}
	if elapsed > 350*time.Millisecond+time.Second {
		t.Errorf("the request took %v, far beyond its 350 ms budget", elapsed)
	}
}

// TestStreamTimeouts: once a stream's headers are in, only the idle timeout applies: a
// stream that goes silent is cut after stream idle time with a 504 stream_idle_timeout,
// while a stream that keeps sending runs well past the request timeout and is not cut.
func TestStreamTimeouts(t *testing.T) {
	t.Run("silent stream is cut", func(t *testing.T) {
		lc := newLeakCheck()
		up := serveMock(t, mocks.Config{Fault: mocks.FaultSilentStream})
		e := newEngine(t, `{"providers":{"openai":`+rigProvider(up.addr, 0, "")+`}}`,
			timeouts{total: 5 * time.Second, idle: 150 * time.Millisecond}, runtime.Options{})
		c := e.AcquireCall()
		if err := decodeChat(c, chatBody(model, true)); err != nil {
			t.Fatal(err)
		}
		if err := e.ChatCompletionStream(c); err != nil {
			t.Fatal(err)
		}
		n, err := readStream(c, 0)
		if err == nil || err.Status != 504 || string(err.Body.Code) != "stream_idle_timeout" {
			t.Fatalf("after %d chunks: %+v, want 504 stream_idle_timeout", n, err)
		}
		e.ReleaseCall(c)
		lc.done(t, e, up)
	})
	t.Run("busy stream outlives the request timeout", func(t *testing.T) {
		lc := newLeakCheck()
		up := serveMock(t, mocks.Config{Fault: mocks.FaultEndlessStream, FaultDelay: 10 * time.Millisecond})
		e := newEngine(t, `{"providers":{"openai":`+rigProvider(up.addr, 0, "")+`}}`,
			timeouts{total: 200 * time.Millisecond, idle: 500 * time.Millisecond}, runtime.Options{})
		c := e.AcquireCall()
		if err := decodeChat(c, chatBody(model, true)); err != nil {
			t.Fatal(err)
		}
		if err := e.ChatCompletionStream(c); err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		chunks := 0
		for time.Since(t0) < 700*time.Millisecond { // three and a half request timeouts
			n, err := readStream(c, 1)
			if err != nil || n != 1 {
				t.Fatalf("after %d chunks and %v: %+v, want the stream to go on", chunks, time.Since(t0), err)
			}
			chunks++
		}
		e.ReleaseCall(c) // the client stops reading: the stream's connection is closed
		lc.done(t, e, up)
	})
}

// TestStaleConnectionResend: a provider that closes idle keep-alive connections without
// saying so makes the next request fail on the pooled connection before any response byte.
// That request goes out again at once on a new connection: it succeeds with max_retries 0,
// is counted in Reconnects, and reached the provider once.
func TestStaleConnectionResend(t *testing.T) {
	up := serveMock(t, mocks.Config{Fault: mocks.FaultCloseAfterResponse})
	e := newEngine(t, `{"providers":{"openai":`+rigProvider(up.addr, 0, "")+`}}`, timeouts{}, runtime.Options{})
	for i := 0; i < 3; i++ {
		// Wait until the provider has closed the connection the last answer came on.
		if !eventually(func() bool { return up.ln.open.Load() == 0 }) {
			t.Fatal("the mock did not close its connection")
		}
		before := up.requests()
		c, err := rigChat(t, e, chatBody(model, false), nil)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		wantReconnects := 1
		if i == 0 {
			wantReconnects = 0 // nothing pooled yet
		}
		if c.Reconnects != wantReconnects || c.Attempts != 1+wantReconnects || up.requests() != before+1 {
			t.Errorf("request %d: %d reconnects, %d attempts, %d requests at the mock; want %d, %d, 1",
				i, c.Reconnects, c.Attempts, up.requests()-before, wantReconnects, 1+wantReconnects)
		}
		e.ReleaseCall(c)
	}
}

// TestConnectTimeout: opening a connection is bounded by connect_timeout, apart from the
// request timeout: a connect that hangs fails as a retryable 504 connect_timeout, is retried
// as max_retries says, and the request then goes to its fallback.
func TestConnectTimeout(t *testing.T) {
	t.Run("TCP dial", func(t *testing.T) {
		addr := blackhole(t)
		fb := serveMock(t, mocks.Config{})
		e := newEngine(t, `{"providers":{"openai":`+rigProvider(addr, 1, "")+`,"groq":`+rigProvider(fb.addr, 0, "")+`}}`,
			timeouts{total: 5 * time.Second, connect: 100 * time.Millisecond}, runtime.Options{})
		c, err := rigChat(t, e, chatBody(model, false), nil)
		if err == nil || err.Status != 504 || string(err.Body.Code) != "connect_timeout" || !err.Retryable || c.Attempts != 2 {
			t.Fatalf("%+v after %d attempts, want a retryable 504 connect_timeout after 2", err, c.Attempts)
		}
		e.ReleaseCall(c)
		c, err = rigChat(t, e, chatBody(model, false, "groq/llama-3.1-8b-instant"), nil)
		if err != nil || c.Provider != "groq" {
			t.Fatalf("with a fallback: %v from %s, want groq's answer", err, c.Provider)
		}
		e.ReleaseCall(c)
	})
	t.Run("custom dialer", func(t *testing.T) {
		release := make(chan struct{})
		var dialing atomic.Int64
		dial := func(addr string) (net.Conn, error) {
			dialing.Add(1)
			defer dialing.Add(-1)
			<-release // hangs until the test ends
			return nil, errors.New("released")
		}
		defer func() {
			close(release)
			if !eventually(func() bool { return dialing.Load() == 0 }) {
				t.Error("a dial goroutine is still running")
			}
		}()
		e := newEngine(t, `{"providers":{"openai":`+rigProvider("hang.invalid", 0, "")+`}}`,
			timeouts{total: 5 * time.Second, connect: 80 * time.Millisecond}, runtime.Options{Dial: dial})
		c, err := rigChat(t, e, chatBody(model, false), nil)
		defer e.ReleaseCall(c)
		if err == nil || err.Status != 504 || string(err.Body.Code) != "connect_timeout" {
			t.Fatalf("%+v, want 504 connect_timeout", err)
		}
	})
}

// blackhole returns a 127.0.0.1 address whose listener's accept queue is full, so that a
// new connection's SYN is dropped and connecting hangs (Linux: a backlog of 0 queues one
// connection). The listener is closed at the end of the test.
func blackhole(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Skip("raw socket:", err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Skip("bind:", err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Skip("listen:", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Skip("getsockname:", err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(sa.(*syscall.SockaddrInet4).Port)
	// Fill the queue until a connect hangs.
	for i := 0; i < 8; i++ {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			return addr
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Skip("the accept queue never filled: this kernel does not drop SYNs for a full queue")
	return ""
}

// TestBreakerInEngine: after min_requests attempts with enough failures the provider's
// breaker opens: requests no longer reach it and go to their fallback, or get a retryable
// 503 circuit_open with Retry-After. After open_for one probe goes through; its success
// closes the breaker, its failure opens it again.
func TestBreakerInEngine(t *testing.T) {
	for _, probeFails := range []bool{false, true} {
		t.Run("probe fails="+strconv.FormatBool(probeFails), func(t *testing.T) {
			fail := []int{500, 500, 500, 500}
			if probeFails {
				fail = append(fail, 503)
			}
			up := serveMock(t, mocks.Config{FailFirst: fail})
			fb := serveMock(t, mocks.Config{})
			breaker := `"circuit_breaker":{"enabled":true,"failure_ratio":0.5,"min_requests":4,"window":60000,"open_for":600}`
			f := clock.NewFake(fakeStart) // open_for runs on it
			e := newEngine(t, `{"providers":{"openai":`+strings.Replace(rigProvider(up.addr, 0, ""), `"circuit_breaker":{"enabled":false}`, breaker, 1)+
				`,"groq":`+rigProvider(fb.addr, 0, "")+`}}`, timeouts{}, runtime.Options{Clock: f})
			state := func() int {
				for _, l := range e.Load(nil) {
					if l.Name == "openai" {
						return l.Breaker
					}
				}
				return -1
			}
			withFallback := chatBody(model, false, "groq/llama-3.1-8b-instant")
			for i := 0; i < 4; i++ {
				c, err := rigChat(t, e, withFallback, nil)
				if err != nil || c.Provider != "groq" {
					t.Fatalf("request %d: %v from %s, want the fallback's answer", i, err, c.Provider)
				}
				e.ReleaseCall(c)
			}
			if state() != runtime.BreakerOpen {
				t.Fatalf("breaker state %d after 4 of 4 failed, want open", state())
			}
			c, err := rigChat(t, e, chatBody(model, false), nil)
			if err == nil || err.Status != 503 || string(err.Body.Code) != "circuit_open" || !err.Retryable || err.RetryAfterSec < 1 {
				t.Fatalf("open breaker: %+v, want a retryable 503 circuit_open with Retry-After", err)
			}
			e.ReleaseCall(c)
			c, err = rigChat(t, e, withFallback, nil)
			if err != nil || c.Provider != "groq" {
				t.Fatalf("open breaker with a fallback: %v from %s", err, c.Provider)
			}
			e.ReleaseCall(c)
			if up.requests() != 4 {
				t.Errorf("%d requests reached the provider, want 4: none while open", up.requests())
			}
			f.Advance(599 * time.Millisecond) // still open 1 ms before open_for ends
			c, err = rigChat(t, e, chatBody(model, false), nil)
			if err == nil || string(err.Body.Code) != "circuit_open" || up.requests() != 4 {
				t.Fatalf("1 ms before open_for: %+v, %d requests at the provider; want circuit_open, 4", err, up.requests())
			}
			e.ReleaseCall(c)
			f.Advance(time.Millisecond)
			c, err = rigChat(t, e, withFallback, nil) // the probe
			defer e.ReleaseCall(c)
			if up.requests() != 5 {
				t.Fatalf("%d requests reached the provider, want the probe as the 5th", up.requests())
			}
			if probeFails {
				if err != nil || c.Fallbacks != 1 || state() != runtime.BreakerOpen {
					t.Errorf("failed probe: %v, %d fallbacks, state %d; want the fallback's answer and the breaker open", err, c.Fallbacks, state())
				}
				return
			}
			if err != nil || state() != runtime.BreakerClosed {
				t.Errorf("successful probe: %v, state %d; want closed", err, state())
			}
		})
	}
}
