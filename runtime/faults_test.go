package runtime_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime"
)

// TestFaults runs the engine against the fault cases of issue 6, each injected by a mock
// provider on 127.0.0.1 (or by no provider at all: connection refused). Every case states its
// expected behaviour, which is always a retry, a fallback or a clear error, reached within
// the request's time budget. After each case the leak checks assert that no Call is still
// acquired, that no connection is left open at any mock once the engine drops its idle
// connections, and that the goroutine count is back to where it was before the case.
//
// `go test -v -run TestFaults ./runtime` logs one line per case: what was expected and
// what happened.
func TestFaults(t *testing.T) {
	withFallback := chatBody(model, false, "groq/llama-3.1-8b-instant")
	plain := chatBody(model, false)
	cases := []faultCase{
		{
			name:    "429 storm",
			expect:  "each 429 cools its key (Retry-After 30s) and the retry takes the other key at once; with both cooling the request falls back, and later requests skip the provider until the cooldown ends",
			primary: &mocks.Config{Rate429: 1, RetryAfter: 30, RequireKey: "-"}, twoKeys: true, retries: 3,
			run: func(t *testing.T, f *faultRun) string {
				for i := 0; i < 5; i++ {
					c, err := f.chat(t, withFallback)
					if err != nil || c.Provider != "groq" {
						t.Fatalf("request %d: %v from %s, want the fallback's answer", i, err, c.Provider)
					}
					f.e.ReleaseCall(c)
				}
				if n := f.primary.requests(); n != 2 {
					t.Errorf("%d requests reached the rate-limited provider, want 2 (one per key)", n)
				}
				c, err := f.chat(t, plain)
				defer f.e.ReleaseCall(c)
				if err == nil || err.Status != 429 || string(err.Body.Code) != "all_keys_rate_limited" || err.RetryAfterSec < 1 {
					t.Fatalf("without a fallback: %+v, want 429 all_keys_rate_limited with Retry-After", err)
				}
				return "5 of 5 served by the fallback after 2 upstream 429s; then a clear 429 all_keys_rate_limited, Retry-After " + itoa(err.RetryAfterSec) + "s"
			},
		},
		statusCase(500), statusCase(502), statusCase(503), statusCase(529),
		{
			name:    "5xx on every attempt",
			expect:  "max_retries+1 attempts at the provider (never more), then the fallback answers",
			primary: &mocks.Config{Rate503: 1}, retries: 2,
			run: func(t *testing.T, f *faultRun) string {
				c, err := f.chat(t, withFallback)
				defer f.e.ReleaseCall(c)
				if err != nil || c.Provider != "groq" || f.primary.requests() != 3 || c.Fallbacks != 1 {
					t.Fatalf("%v from %s after %d attempts at the provider, want the fallback after 3", err, c.Provider, f.primary.requests())
				}
				return "3 attempts at the provider, then served by the fallback"
			},
		},
		{
			name:    "connection refused",
			expect:  "a retryable 502 upstream_unreachable, retried max_retries times, then the fallback answers",
			refused: true, retries: 2,
			run: func(t *testing.T, f *faultRun) string {
				c, err := f.chat(t, plain)
				if err == nil || err.Status != 502 || string(err.Body.Code) != "upstream_unreachable" || !err.Retryable || c.Attempts != 3 {
					t.Fatalf("%+v after %d attempts, want a retryable 502 upstream_unreachable after 3", err, c.Attempts)
				}
				f.e.ReleaseCall(c)
				c, err = f.chat(t, withFallback)
				defer f.e.ReleaseCall(c)
				if err != nil || c.Provider != "groq" || c.Attempts != 4 {
					t.Fatalf("%v from %s after %d attempts, want the fallback after 3 refused", err, c.Provider, c.Attempts)
				}
				return "502 upstream_unreachable after 3 attempts; with a fallback, served by it"
			},
		},
		{
			name:    "reset mid-body",
			expect:  "the half-read answer is a retryable 502; the retry on a new connection succeeds",
			primary: &mocks.Config{Fault: mocks.FaultResetMidBody, FaultCount: 1}, retries: 1,
			run: func(t *testing.T, f *faultRun) string {
				c, err := f.chat(t, plain)
				defer f.e.ReleaseCall(c)
				if err != nil || c.Attempts != 2 || f.primary.requests() != 2 || len(c.ChatResp.Choices) != 1 {
					t.Fatalf("%v after %d attempts, want success on the retry", err, c.Attempts)
				}
				return "retried once, then answered"
			},
		},
		{
			name:    "slow headers",
			expect:  "each attempt ends at response_header_timeout (100ms) with a retryable 504; after the retry the fallback answers",
			primary: &mocks.Config{Latency: 400 * time.Millisecond}, retries: 1,
			to: timeouts{total: 2 * time.Second, header: 100 * time.Millisecond},
			run: func(t *testing.T, f *faultRun) string {
				c, err := f.chat(t, plain)
				if err == nil || err.Status != 504 || string(err.Body.Code) != "upstream_timeout" || c.Attempts != 2 {
					t.Fatalf("%+v after %d attempts, want 504 upstream_timeout after 2", err, c.Attempts)
				}
				f.e.ReleaseCall(c)
				c, err = f.chat(t, withFallback)
				defer f.e.ReleaseCall(c)
				if err != nil || c.Provider != "groq" {
					t.Fatalf("with a fallback: %v from %s", err, c.Provider)
				}
				return "504 upstream_timeout after 2 attempts; with a fallback, served by it"
			},
		},
		{
			name:    "slow body",
			expect:  "a body still arriving at response_header_timeout (250ms, the body's pieces 100ms apart) ends the attempt with a retryable 504; the retry succeeds",
			primary: &mocks.Config{Fault: mocks.FaultSlowBody, FaultCount: 1, FaultDelay: 100 * time.Millisecond}, retries: 1,
			to: timeouts{total: 3 * time.Second, header: 250 * time.Millisecond},
			run: func(t *testing.T, f *faultRun) string {
				c, err := f.chat(t, plain)
				defer f.e.ReleaseCall(c)
				if err != nil || c.Attempts != 2 || len(c.ChatResp.Choices) != 1 {
					t.Fatalf("%v after %d attempts, want success on the retry", err, c.Attempts)
				}
				return "timed out mid-body, retried, answered"
			},
		},
		{
			name:    "stream cut halfway",
			expect:  "the stream opens and delivers its first chunks; the reset ends it with a clear 502 stream_interrupted (no retry once chunks went out)",
			primary: &mocks.Config{Fault: mocks.FaultStreamCut, StreamChunks: 10},
			run: func(t *testing.T, f *faultRun) string {
				c := f.stream(t)
				defer f.e.ReleaseCall(c)
				n, err := readStream(c, 0)
				if err == nil || err.Status != 502 || string(err.Body.Code) != "stream_interrupted" || n == 0 {
					t.Fatalf("after %d chunks: %+v, want 502 stream_interrupted after some chunks", n, err)
				}
				return itoa(n) + " chunks, then 502 stream_interrupted"
			},
		},
		{
			name:    "stream ended early",
			expect:  "a stream whose HTTP body ends cleanly before [DONE] and before any finish reason is a clear 502 stream_truncated, not a normal end",
			primary: &mocks.Config{Fault: mocks.FaultStreamEndEarly, StreamChunks: 10},
			run: func(t *testing.T, f *faultRun) string {
				c := f.stream(t)
				defer f.e.ReleaseCall(c)
				n, err := readStream(c, 0)
				if err == nil || err.Status != 502 || string(err.Body.Code) != "stream_truncated" || n == 0 {
					t.Fatalf("after %d chunks: %+v, want 502 stream_truncated after some chunks", n, err)
				}
				return itoa(n) + " chunks, then 502 stream_truncated"
			},
		},
		{
			name:    "malformed JSON",
			expect:  "a 200 whose body is not JSON is a clear, retryable 502 invalid_upstream_response; a fallback serves",
			primary: &mocks.Config{Fault: mocks.FaultMalformedJSON}, retries: 2,
			run: invalidResponse,
		},
		{
			name:    "truncated JSON",
			expect:  "a 200 whose JSON ends halfway is a clear, retryable 502 invalid_upstream_response; a fallback serves",
			primary: &mocks.Config{Fault: mocks.FaultTruncatedJSON}, retries: 2,
			run: invalidResponse,
		},
		{
			name:    "20 MB response",
			expect:  "a valid 20 MB answer is read and decoded whole",
			primary: &mocks.Config{Fault: mocks.FaultHugeBody},
			to:      timeouts{total: 20 * time.Second},
			run: func(t *testing.T, f *faultRun) string {
				c, err := f.chat(t, plain)
				defer f.e.ReleaseCall(c)
				if err != nil || len(c.ChatResp.Choices) != 1 {
					t.Fatalf("%v, want the answer", err)
				}
				n := len(c.ChatResp.Choices[0].Message.Content.Text.String())
				if n < mocks.DefaultFaultBodySize-1024 {
					t.Fatalf("content of %d bytes, want about 20 MB", n)
				}
				return "answered, " + strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB of content decoded"
			},
		},
		{
			name:    "endless stream",
			expect:  "a stream that keeps sending (every 10ms) is never cut by the request timeout (200ms): chunks flow for 700ms; when the client stops, the upstream connection is closed",
			primary: &mocks.Config{Fault: mocks.FaultEndlessStream, FaultDelay: 10 * time.Millisecond},
			to:      timeouts{total: 200 * time.Millisecond, idle: 500 * time.Millisecond},
			run: func(t *testing.T, f *faultRun) string {
				c := f.stream(t)
				defer f.e.ReleaseCall(c)
				chunks := 0
				for t0 := time.Now(); time.Since(t0) < 700*time.Millisecond; chunks++ {
					if n, err := readStream(c, 1); err != nil || n != 1 {
						t.Fatalf("cut after %d chunks: %+v", chunks, err)
					}
				}
				return itoa(chunks) + " chunks over 700ms, not cut; closed by the client"
			},
		},
		{
			name:    "silent stream",
			expect:  "a stream that goes quiet is cut after stream idle time (150ms) with a clear 504 stream_idle_timeout",
			primary: &mocks.Config{Fault: mocks.FaultSilentStream},
			to:      timeouts{total: 5 * time.Second, idle: 150 * time.Millisecond},
			run: func(t *testing.T, f *faultRun) string {
				c := f.stream(t)
				defer f.e.ReleaseCall(c)
				n, err := readStream(c, 0)
				if err == nil || err.Status != 504 || string(err.Body.Code) != "stream_idle_timeout" {
					t.Fatalf("after %d chunks: %+v, want 504 stream_idle_timeout", n, err)
				}
				return itoa(n) + " chunk, then 504 stream_idle_timeout"
			},
		},
		{
			name:    "accepts and never answers",
			expect:  "attempts end at response_header_timeout (100ms) and retries stop within the request budget (400ms) with a clear 504 upstream_timeout",
			primary: &mocks.Config{Fault: mocks.FaultHang}, retries: 10,
			to: timeouts{total: 400 * time.Millisecond, header: 100 * time.Millisecond},
			run: func(t *testing.T, f *faultRun) string {
				c, err := f.chat(t, plain)
				defer f.e.ReleaseCall(c)
				if err == nil || err.Status != 504 || string(err.Body.Code) != "upstream_timeout" || c.Attempts > 5 {
					t.Fatalf("%+v after %d attempts, want 504 upstream_timeout within the budget", err, c.Attempts)
				}
				return "504 upstream_timeout after " + itoa(c.Attempts) + " attempts"
			},
		},
		{
			name:    "accepts and never answers a stream",
			expect:  "a stream whose headers never come fails like a plain request (504 upstream_timeout) and falls back before any chunk",
			primary: &mocks.Config{Fault: mocks.FaultHang}, retries: 1,
			to: timeouts{total: 2 * time.Second, header: 100 * time.Millisecond},
			run: func(t *testing.T, f *faultRun) string {
				c := f.e.AcquireCall()
				defer f.e.ReleaseCall(c)
				if err := decodeChat(c, chatBody(model, true, "groq/llama-3.1-8b-instant")); err != nil {
					t.Fatal(err)
				}
				if err := f.timed(t, func() *runtime.Error { return f.e.ChatCompletionStream(c) }); err != nil || c.Provider != "groq" {
					t.Fatalf("%v from %s, want the fallback's stream", err, c.Provider)
				}
				n, err := readStream(c, 0)
				if err != nil || n == 0 {
					t.Fatalf("fallback stream: %d chunks, %v", n, err)
				}
				return "2 timed-out attempts, then the fallback streamed " + itoa(n) + " chunks"
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lc := newLeakCheck()
			f := tc.start(t)
			outcome := tc.run(t, f)
			lc.done(t, f.e, f.ups()...)
			if !t.Failed() {
				t.Logf("%s | expected: %s | got: %s; no leaks", tc.name, tc.expect, outcome)
			}
		})
	}
}

// faultCase is one fault: the provider's behaviour, the engine's settings, and run, which
// checks the expected behaviour and returns a one-line account of what happened.
type faultCase struct {
	name, expect string
	primary      *mocks.Config // the failing provider, "openai"
	refused      bool          // no provider at all: connections are refused
	twoKeys      bool          // the provider has two keys (and the mock takes any)
	retries      int
	to           timeouts // zero fields: a 2 s request budget
	run          func(t *testing.T, f *faultRun) string
}

// faultRun is a started case: the engine, the failing provider and a healthy fallback,
// "groq".
type faultRun struct {
	e                 *runtime.Engine
	primary, fallback *upstream // primary is nil when refused
	budget            time.Duration
}

func (tc *faultCase) start(t *testing.T) *faultRun {
	t.Helper()
	f := &faultRun{fallback: serveMock(t, mocks.Config{StreamChunks: 5})}
	addr := ""
	if tc.refused {
		addr = refusedAddr(t)
	} else {
		f.primary = serveMock(t, *tc.primary)
		addr = f.primary.addr
	}
	prov := rigProvider(addr, tc.retries, "")
	if tc.twoKeys {
		prov = twoKeys(addr, tc.retries, "")
	}
	to := tc.to
	if to.total == 0 {
		to.total = 2 * time.Second
	}
	f.budget = to.total
	f.e = newEngine(t, `{"providers":{"openai":`+prov+`,"groq":`+rigProvider(f.fallback.addr, 0, "")+`}}`, to, runtime.Options{})
	return f
}

func (f *faultRun) ups() []*upstream {
	if f.primary == nil {
		return []*upstream{f.fallback}
	}
	return []*upstream{f.primary, f.fallback}
}

// timed runs one engine call and fails the test if it did not end within the request budget
// of its two targets (with a second of slack for a loaded machine).
func (f *faultRun) timed(t *testing.T, call func() *runtime.Error) *runtime.Error {
	t.Helper()
	t0 := time.Now()
	err := call()
	if d := time.Since(t0); d > 2*f.budget+time.Second {
		t.Errorf("the call took %v, beyond its budget of 2 x %v", d, f.budget)
	}
	return err
}

// chat runs a chat completion with body; the caller releases the call.
func (f *faultRun) chat(t *testing.T, body string) (*runtime.Call, *runtime.Error) {
	t.Helper()
	c := f.e.AcquireCall()
	if err := decodeChat(c, body); err != nil {
		t.Fatal(err)
	}
	return c, f.timed(t, func() *runtime.Error { return f.e.ChatCompletion(c) })
}

// stream opens a chat stream without fallbacks; the caller releases the call.
func (f *faultRun) stream(t *testing.T) *runtime.Call {
	t.Helper()
	c := f.e.AcquireCall()
	if err := decodeChat(c, chatBody(model, true)); err != nil {
		t.Fatal(err)
	}
	if err := f.timed(t, func() *runtime.Error { return f.e.ChatCompletionStream(c) }); err != nil {
		f.e.ReleaseCall(c)
		t.Fatalf("the stream did not open: %v", err)
	}
	return c
}

// statusCase is the case of a provider that answers status once: retried, then answered.
func statusCase(status int) faultCase {
	s := itoa(status)
	return faultCase{
		name:    "upstream " + s,
		expect:  "a " + s + " is retryable: the retry succeeds",
		primary: &mocks.Config{FailFirst: []int{status}}, retries: 1,
		run: func(t *testing.T, f *faultRun) string {
			c, err := f.chat(t, chatBody(model, false))
			defer f.e.ReleaseCall(c)
			if err != nil || c.Attempts != 2 || f.primary.requests() != 2 {
				t.Fatalf("%v after %d attempts, want success on the retry", err, c.Attempts)
			}
			return "retried once, then answered"
		},
	}
}

// invalidResponse expects a clear, retryable 502 invalid_upstream_response for a 200 whose
// body does not decode, after max_retries+1 attempts (issue 10: such a 200 is retried and
// falls back like a 5xx); with a fallback, the fallback answers.
func invalidResponse(t *testing.T, f *faultRun) string {
	c, err := f.chat(t, chatBody(model, false))
	if err == nil || err.Status != 502 || string(err.Body.Code) != "invalid_upstream_response" || !err.Retryable || c.Attempts != 3 {
		t.Fatalf("%+v after %d attempts, want a retryable 502 invalid_upstream_response after 3", err, c.Attempts)
	}
	if !strings.HasPrefix(err.Body.Message, "provider openai") {
		t.Errorf("message %q does not name the provider", err.Body.Message)
	}
	f.e.ReleaseCall(c)
	c, err = f.chat(t, chatBody(model, false, "groq/llama-3.1-8b-instant"))
	defer f.e.ReleaseCall(c)
	if err != nil || c.Provider != "groq" || len(c.ChatResp.Choices) != 1 {
		t.Fatalf("with a fallback: %v from %s, want the fallback's answer", err, c.Provider)
	}
	return "502 invalid_upstream_response after 3 attempts; with a fallback, served by it"
}
