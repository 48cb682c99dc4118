package runtime_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/clock"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/valyala/fasthttp/fasthttputil"
)

const key = "sk-engine-test-abcdefghijklmnop"

// upstreams are mock providers reachable by host name (a.inmemory, b.inmemory, ...).
type upstreams map[string]*mocks.Server

func start(t *testing.T, cfgJSON string, mockCfgs map[string]mocks.Config) (*runtime.Engine, upstreams) {
	t.Helper()
	return startWith(t, cfgJSON, mockCfgs, runtime.Options{})
}

// startWith is start with opts; its Adapters and Dial are set here.
func startWith(t *testing.T, cfgJSON string, mockCfgs map[string]mocks.Config, opts runtime.Options) (*runtime.Engine, upstreams) {
	t.Helper()
	lns := map[string]*fasthttputil.InmemoryListener{}
	ups := upstreams{}
	for host, mc := range mockCfgs {
		switch mc.RequireKey {
		case "":
			mc.RequireKey = key
		case "-":
			mc.RequireKey = "" // any key
		}
		m, err := mocks.New(mc)
		if err != nil {
			t.Fatal(err)
		}
		ln := fasthttputil.NewInmemoryListener()
		go m.Serve(ln) //nolint:errcheck
		lns[host+":80"] = ln
		ups[host] = m
		t.Cleanup(func() { m.Close(); ln.Close() })
	}
	cfg, err := config.Parse("test.json", []byte(cfgJSON), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	opts.Adapters = adapters.All()
	opts.Dial = func(addr string) (net.Conn, error) {
		ln := lns[addr]
		if ln == nil {
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errRefused{}}
		}
		return ln.Dial()
	}
	e, err := runtime.NewWithOptions(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e, ups
}

type errRefused struct{}

func (errRefused) Error() string { return "connection refused" }

// provider returns a provider block pointing at host with the test key.
func provider(host, extra string) string {
	return `{"keys":[{"name":"k","value":"` + key + `","models":["*"],"weight":1}],
		"network_config":{"base_url":"http://` + host + `","retry_backoff_initial":100` + extra + `}}`
}

func chat(e *runtime.Engine, body string, gone func() bool) (*runtime.Call, *runtime.Error) {
	c := e.AcquireCall()
	c.Gone = gone
	if err := decodeChat(c, body); err != nil {
		panic(err)
	}
	return c, e.ChatCompletion(c)
}

const hello = `{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`

func TestRetries(t *testing.T) {
	cases := []struct {
		name      string
		failFirst []int
		retries   int
		status    int // 0: success
		attempts  int
	}{
		{"retried 500 and 503 then success", []int{500, 503}, 2, 0, 3},
		{"retries exhausted: the last failure", []int{500, 502, 500}, 1, 502, 2},
		{"429 is retried after its Retry-After", []int{429}, 1, 0, 2},
		{"400 is final", []int{400}, 3, 400, 1},
		{"401 is final", []int{401}, 3, 401, 1},
		{"no retries configured", []int{503}, 0, 503, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := clock.NewFake(fakeStart) // the backoff waits on it, moved 10 ms at a time
			e, _ := startWith(t, `{"providers":{"openai":`+provider("a.inmemory", `,"max_retries":`+strconv.Itoa(tc.retries))+`}}`,
				map[string]mocks.Config{"a.inmemory": {FailFirst: tc.failFirst}}, runtime.Options{Clock: f})
			var c *runtime.Call
			var err *runtime.Error
			driveClock(t, f, 10*time.Millisecond, func() { c, err = chat(e, hello, nil) })
			defer e.ReleaseCall(c)
			if tc.status == 0 {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				if len(c.ChatResp.Choices) != 1 || c.ChatResp.Model != "gpt-4o-mini" {
					t.Errorf("response %+v", c.ChatResp)
				}
			} else if err == nil || err.Status != tc.status {
				t.Fatalf("got %v, want status %d", err, tc.status)
			} else if !strings.HasPrefix(err.Body.Message, "provider openai: ") {
				t.Errorf("message %q does not name the provider", err.Body.Message)
			}
			if c.Attempts != tc.attempts {
				t.Errorf("attempts = %d, want %d", c.Attempts, tc.attempts)
			}
		})
	}
}

// TestRetryAfterIsHonoured: the mock's 429 carries Retry-After: 1, and the retry waits that
// second on the engine's clock (a fake one here, moved 10 ms at a time while the engine
// waits); the backoff alone would wait at most 100 ms.
func TestRetryAfterIsHonoured(t *testing.T) {
	f := clock.NewFake(fakeStart)
	e, ups := startWith(t, `{"providers":{"openai":`+provider("a.inmemory", `,"max_retries":1,"retry_backoff_max":2000`)+`}}`,
		map[string]mocks.Config{"a.inmemory": {FailFirst: []int{429}}}, runtime.Options{Clock: f})
	var c *runtime.Call
	var err *runtime.Error
	waited := driveClock(t, f, 10*time.Millisecond, func() { c, err = chat(e, hello, nil) })
	defer e.ReleaseCall(c)
	if err != nil || c.Attempts != 2 || ups["a.inmemory"].Stats().Total != 2 {
		t.Fatalf("%v after %d attempts; want the retry's answer", err, c.Attempts)
	}
	if waited < time.Second || waited > time.Second+50*time.Millisecond {
		t.Errorf("retried after %v, want the provider's Retry-After of 1s", waited)
	}
}

// A Retry-After longer than retry_backoff_max is not waited for: the request fails at once
// (or goes to a fallback) instead of holding the client.
func TestRetryAfterBeyondBackoffMax(t *testing.T) {
	e, _ := start(t, `{"providers":{"openai":`+provider("a.inmemory", `,"max_retries":3,"retry_backoff_max":200`)+`}}`,
		map[string]mocks.Config{"a.inmemory": {FailFirst: []int{429}}})
	c, err := chat(e, hello, nil)
	defer e.ReleaseCall(c)
	if err == nil || err.Status != 429 || c.Attempts != 1 || err.RetryAfterSec != 1 {
		t.Fatalf("got %v after %d attempts, want the 429 with Retry-After 1 after one attempt", err, c.Attempts)
	}
}

func TestNoRetryAfterClientIsGone(t *testing.T) {
	e, _ := start(t, `{"providers":{"openai":`+provider("a.inmemory", `,"max_retries":3`)+`,"groq":`+provider("a.inmemory", "")+`}}`,
		map[string]mocks.Config{"a.inmemory": {FailFirst: []int{500, 500, 500}}})
	body := `{"model":"openai/gpt-4o-mini","fallbacks":["groq/llama"],"messages":[{"role":"user","content":"hi"}]}`
	c, err := chat(e, body, func() bool { return true })
	defer e.ReleaseCall(c)
	if err == nil || c.Attempts != 1 || c.Fallbacks != 0 {
		t.Fatalf("err %v after %d attempts and %d fallbacks, want one attempt and no fallback", err, c.Attempts, c.Fallbacks)
	}
}

func TestFallbacks(t *testing.T) {
	cfg := `{"providers":{
		"openai":` + provider("a.inmemory", "") + `,
		"groq":` + provider("b.inmemory", "") + `,
		"mistral":` + provider("c.inmemory", "") + `},
		"aliases":{"smart":["openai/gpt-4o","mistral/mistral-large-latest"]}}`
	cases := []struct {
		name      string
		body      string
		mocks     map[string]mocks.Config
		status    int
		provider  string
		model     string
		fallbacks int
	}{
		{"first fails, second answers",
			`{"model":"openai/gpt-4o-mini","fallbacks":["groq/llama-3.1-8b-instant"],"messages":[{"role":"user","content":"hi"}]}`,
			map[string]mocks.Config{"a.inmemory": {Rate500: 1}, "b.inmemory": {}, "c.inmemory": {}}, 0, "groq", "llama-3.1-8b-instant", 1},
		{"in order: two fail, third answers",
			`{"model":"openai/gpt-4o-mini","fallbacks":["groq/x","mistral/y"],"messages":[{"role":"user","content":"hi"}]}`,
			map[string]mocks.Config{"a.inmemory": {Rate503: 1}, "b.inmemory": {Rate500: 1}, "c.inmemory": {}}, 0, "mistral", "y", 2},
		{"final 400 does not fall back",
			`{"model":"openai/gpt-4o-mini","fallbacks":["groq/x"],"messages":[{"role":"user","content":"hi"}]}`,
			map[string]mocks.Config{"a.inmemory": {FailFirst: []int{400}}, "b.inmemory": {}, "c.inmemory": {}}, 400, "openai", "gpt-4o-mini", 0},
		{"alias lists its fallbacks",
			`{"model":"smart","messages":[{"role":"user","content":"hi"}]}`,
			map[string]mocks.Config{"a.inmemory": {Rate500: 1}, "b.inmemory": {}, "c.inmemory": {}}, 0, "mistral", "mistral-large-latest", 1},
		{"unsupported operation falls back",
			`{"model":"openai/gpt-4o-mini","fallbacks":["groq/x"],"messages":[{"role":"user","content":"hi"}]}`,
			map[string]mocks.Config{"a.inmemory": {}, "b.inmemory": {}, "c.inmemory": {}}, 0, "openai", "gpt-4o-mini", 0},
		{"all fail: the last error",
			`{"model":"openai/gpt-4o-mini","fallbacks":["groq/x"],"messages":[{"role":"user","content":"hi"}]}`,
			map[string]mocks.Config{"a.inmemory": {Rate500: 1}, "b.inmemory": {Rate503: 1}, "c.inmemory": {}}, 503, "groq", "x", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := start(t, cfg, tc.mocks)
			c, err := chat(e, tc.body, nil)
			defer e.ReleaseCall(c)
			switch {
			case tc.status == 0 && err != nil:
				t.Fatalf("error %v", err)
			case tc.status != 0 && (err == nil || err.Status != tc.status):
				t.Fatalf("got %v, want status %d", err, tc.status)
			}
			if c.Provider != tc.provider || c.Model != tc.model || c.Fallbacks != tc.fallbacks {
				t.Errorf("answered by %s/%s after %d fallbacks, want %s/%s after %d", c.Provider, c.Model, c.Fallbacks, tc.provider, tc.model, tc.fallbacks)
			}
		})
	}
}

func TestRoutingErrors(t *testing.T) {
	cfg := `{"providers":{"openai":` + provider("a.inmemory", "") + `,
		"groq":{"keys":[{"name":"k","value":"` + key + `","models":["llama-3.1-8b-instant"],"weight":1}],"network_config":{"base_url":"http://a.inmemory"}}}}`
	e, _ := start(t, cfg, map[string]mocks.Config{"a.inmemory": {}})
	cases := []struct {
		body, code string
		status     int
	}{
		{`{"model":"nope/x","messages":[]}`, "unknown_provider", 400},
		{`{"model":"gpt-4o","messages":[]}`, "unknown_model", 400},
		{`{"messages":[]}`, "missing_model", 400},
		{`{"model":"openai/","messages":[]}`, "unknown_model", 400},
		{`{"model":"gpt-4o","provider":"nope","messages":[]}`, "unknown_provider", 400},
		{`{"model":"openai/x","fallbacks":["bad"],"messages":[]}`, "invalid_fallback", 400},
		{`{"model":"groq/mixtral","messages":[]}`, "model_not_found", 404},
	}
	for _, tc := range cases {
		c, err := chat(e, tc.body, nil)
		if err == nil || err.Status != tc.status || string(err.Body.Code) != tc.code {
			t.Errorf("%s: got %+v, want %d %s", tc.body, err, tc.status, tc.code)
		}
		e.ReleaseCall(c)
	}
	// The provider field routes a bare model name.
	c, err := chat(e, `{"model":"gpt-4o","provider":"openai","messages":[{"role":"user","content":"hi"}]}`, nil)
	if err != nil || c.Provider != "openai" || c.Model != "gpt-4o" {
		t.Errorf("provider field: %v, %s/%s", err, c.Provider, c.Model)
	}
	e.ReleaseCall(c)
	// Embeddings on a provider without them.
	c = e.AcquireCall()
	if err := decodeEmbedding(c, `{"model":"groq/llama-3.1-8b-instant","input":"x"}`); err != nil {
		t.Fatal(err)
	}
	if err := e.Embedding(c); err == nil || err.Status != 400 || !strings.Contains(err.Body.Message, "provider groq does not support embeddings") {
		t.Errorf("embeddings on groq: %+v", err)
	}
	e.ReleaseCall(c)
}

func TestKeysNeverEchoed(t *testing.T) {
	// The mock wants another key, so it answers 401; whatever it says, our key is not repeated.
	e, _ := start(t, `{"providers":{"openai":`+provider("a.inmemory", "")+`}}`,
		map[string]mocks.Config{"a.inmemory": {RequireKey: "sk-some-other-key-zzzzzzzzzz"}})
	c, err := chat(e, hello, nil)
	defer e.ReleaseCall(c)
	if err == nil || err.Status != 401 {
		t.Fatalf("got %v, want 401", err)
	}
	if strings.Contains(err.Error(), key) || strings.Contains(err.Error(), key[len(key)-4:]) {
		t.Errorf("error echoes the key: %s", err.Error())
	}
}

func TestWeightedKeys(t *testing.T) {
	cfg := `{"providers":{"openai":{"keys":[
		{"name":"a","value":"sk-key-a-000000000000","weight":1},
		{"name":"b","value":"sk-key-b-000000000000","weight":3},
		{"name":"off","value":"sk-key-off-0000000000","weight":0}],
		"network_config":{"base_url":"http://a.inmemory"}}}}`
	e, ups := start(t, cfg, map[string]mocks.Config{"a.inmemory": {RequireKey: "-", Record: true}})
	counts := map[string]int{}
	const n = 400
	for i := 0; i < n; i++ {
		c, _ := chat(e, hello, nil)
		e.ReleaseCall(c)
		reqs := ups["a.inmemory"].Requests()
		counts[reqs[len(reqs)-1].Header["Authorization"]]++
	}
	a, b := counts["Bearer sk-key-a-000000000000"], counts["Bearer sk-key-b-000000000000"]
	if counts["Bearer sk-key-off-0000000000"] != 0 || a+b != n {
		t.Fatalf("keys used: %v", counts)
	}
	// Expect 25% / 75%; 400 draws stay within 60..140 for key a with overwhelming probability.
	if a < 60 || a > 140 {
		t.Errorf("key a served %d of %d requests, want about %d", a, n, n/4)
	}
}

// TestQueueFullIsDropped: with concurrency 1 and buffer_size 1, a request that finds one in
// flight and one queued is dropped with a 429. Admission waits on a fake clock, so the test
// knows the second request is queued once it waits on that clock; the mock's latency (real
// time at the mock) keeps the first in flight meanwhile.
func TestQueueFullIsDropped(t *testing.T) {
	cfg := `{"client":{"drop_excess_requests":true},"providers":{"openai":` +
		strings.Replace(provider("a.inmemory", ""), `"network_config"`, `"concurrency_and_buffer_size":{"concurrency":1,"buffer_size":1},"network_config"`, 1) + `}}`
	f := clock.NewFake(fakeStart)
	e, _ := startWith(t, cfg, map[string]mocks.Config{"a.inmemory": {Latency: 500 * time.Millisecond}}, runtime.Options{Clock: f})
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	send := func(i int) {
		defer wg.Done()
		c, err := chat(e, hello, nil)
		statuses[i] = 200
		if err != nil {
			statuses[i] = err.Status
		}
		e.ReleaseCall(c)
	}
	wg.Add(2)
	go send(0)
	go send(1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.BlockUntil(ctx, 1); err != nil {
		t.Fatalf("neither request waited for a slot: %v", err)
	}
	if l := e.Load(nil); l[0].InFlight != 1 || l[0].Queued != 1 {
		t.Fatalf("load %+v, want 1 in flight and 1 queued", l[0])
	}
	// One in flight and one queued fill concurrency 1 + buffer_size 1: the third is dropped.
	c, err := chat(e, hello, nil)
	if err == nil || err.Status != 429 || !strings.Contains(err.Body.Message, "at capacity") {
		t.Errorf("third request: %v, want a 429 saying the provider is at capacity", err)
	}
	e.ReleaseCall(c)
	wg.Wait()
	if statuses[0] != 200 || statuses[1] != 200 {
		t.Errorf("statuses of the first two: %v, want [200 200]", statuses)
	}
}

func TestStream(t *testing.T) {
	e, _ := start(t, `{"providers":{"openai":`+provider("a.inmemory", "")+`}}`, map[string]mocks.Config{"a.inmemory": {StreamChunks: 5}})
	c := e.AcquireCall()
	defer e.ReleaseCall(c)
	if err := decodeChat(c, `{"model":"openai/gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`); err != nil {
		t.Fatal(err)
	}
	if err := e.ChatCompletionStream(c); err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	events, usage := 0, 0
	for {
		done, err := c.Next()
		if err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
		events++
		for _, ch := range c.Chunk.Choices {
			text.WriteString(ch.Delta.Content.Text.String())
		}
		if c.Chunk.Usage.IsDefined() {
			usage = c.Chunk.Usage.TotalTokens
		}
	}
	if events < 7 || text.Len() == 0 || usage == 0 {
		t.Errorf("%d events, text %q, usage %d", events, text.String(), usage)
	}
}

func TestReloadKeepsServing(t *testing.T) {
	e, _ := start(t, `{"providers":{"openai":`+provider("a.inmemory", "")+`}}`, map[string]mocks.Config{"a.inmemory": {}, "b.inmemory": {}})
	bad, _ := config.Parse("bad.json", []byte(`{"providers":{"nosuch":{"keys":[{"name":"k","value":"v","weight":1}]}}}`), func(string) string { return "" })
	if bad != nil {
		if err := e.Reload(bad); err == nil {
			t.Error("a config with an unknown provider was accepted")
		}
	}
	good, err := config.Parse("good.json", []byte(`{"providers":{"groq":`+provider("b.inmemory", "")+`}}`), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Reload(good); err != nil {
		t.Fatal(err)
	}
	c, cerr := chat(e, `{"model":"groq/x","messages":[{"role":"user","content":"hi"}]}`, nil)
	if cerr != nil {
		t.Fatalf("after reload: %v", cerr)
	}
	e.ReleaseCall(c)
}
