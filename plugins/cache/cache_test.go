package cache_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/plugins/cache"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/clock"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/mailru/easyjson/jlexer"
	"github.com/valyala/fasthttp/fasthttputil"
)

const testKey = "sk-cache-test-0123456789abcdef"

// engine returns an engine with plugin p in front of a mock provider that records requests.
func engine(t *testing.T, mc mocks.Config, p runtime.Plugin) (*runtime.Engine, *mocks.Server) {
	t.Helper()
	mc.RequireKey, mc.Record = testKey, true
	m, err := mocks.New(mc)
	if err != nil {
		t.Fatal(err)
	}
	ln := fasthttputil.NewInmemoryListener()
	go m.Serve(ln) //nolint:errcheck // ends when the listener closes
	cfg, err := config.Parse("cache.json", []byte(`{"providers":{"openai":{"keys":[{"name":"k","value":"`+testKey+`","models":["*"],"weight":1}],
		"network_config":{"base_url":"http://mock.inmemory"}}}}`), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	e, err := runtime.NewWithOptions(cfg, runtime.Options{Adapters: adapters.All(), Plugins: []runtime.Plugin{p},
		Dial: func(string) (net.Conn, error) { return ln.Dial() }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.Shutdown() //nolint:errcheck // the memory store closes without error
		m.Close()    //nolint:errcheck
		ln.Close()
	})
	return e, m
}

type result struct {
	status int    // 0: success
	text   string // the answer's content, or the error code
	by     string // ShortCircuitedBy
}

// do runs one request of the given kind ("chat", "text", "embedding", "stream").
func do(t *testing.T, e *runtime.Engine, kind, body string) result {
	t.Helper()
	c := e.AcquireCall()
	defer e.ReleaseCall(c)
	l := jlexer.Lexer{Data: []byte(body)}
	var err *runtime.Error
	switch kind {
	case "chat":
		c.Chat.UnmarshalEasyJSON(&l)
		err = e.ChatCompletion(c)
	case "text":
		c.Text.UnmarshalEasyJSON(&l)
		err = e.TextCompletion(c)
	case "embedding":
		c.Embedding.UnmarshalEasyJSON(&l)
		err = e.Embedding(c)
	case "stream":
		c.Chat.UnmarshalEasyJSON(&l)
		if err = e.ChatCompletionStream(c); err == nil {
			var b strings.Builder
			for {
				done, serr := c.Recv()
				if serr != nil {
					t.Fatal(serr)
				}
				if done {
					break
				}
				for _, ch := range c.Chunk.Choices {
					b.WriteString(ch.Delta.Content.Text.String())
				}
			}
			return result{text: b.String(), by: c.ShortCircuitedBy()}
		}
	}
	if l.Error() != nil {
		t.Fatal(l.Error())
	}
	if err != nil {
		return result{status: err.Status, text: string(err.Body.Code), by: c.ShortCircuitedBy()}
	}
	r := result{by: c.ShortCircuitedBy()}
	switch kind {
	case "chat":
		r.text = c.ChatResp.ID + ":" + c.ChatResp.Choices[0].Message.Content.Text.String()
	case "text":
		r.text = c.TextResp.ID + ":" + c.TextResp.Choices[0].Text.String()
	case "embedding":
		r.text = c.EmbeddingResp.Model + ":" + string(rune('0'+len(c.EmbeddingResp.Data)))
	}
	return r
}

const (
	chatA        = `{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"temperature":0}`
	chatASpaced  = "{ \"temperature\" : 0,\n \"model\":\"openai/gpt-4o-mini\", \"messages\":[{\"content\":\"hi\",\"role\":\"user\"}], \"stream\": false }"
	chatB        = `{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hello"}],"temperature":0}`
	chatOtherMod = `{"model":"openai/gpt-4o","messages":[{"role":"user","content":"hi"}],"temperature":0}`
	textA        = `{"model":"openai/gpt-3.5-turbo-instruct","prompt":"Say hi"}`
	embedA       = `{"model":"openai/text-embedding-3-small","input":["a","b"]}`
	streamA      = `{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"temperature":0,"stream":true}`
)

func TestCache(t *testing.T) {
	type step struct {
		kind, body string
		hit        bool // answered from the cache (same answer as the first time)
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"same chat twice", []step{{"chat", chatA, false}, {"chat", chatA, true}}},
		{"whitespace, key order and stream:false do not matter", []step{{"chat", chatA, false}, {"chat", chatASpaced, true}}},
		{"another prompt misses", []step{{"chat", chatA, false}, {"chat", chatB, false}, {"chat", chatB, true}, {"chat", chatA, true}}},
		{"another model misses", []step{{"chat", chatA, false}, {"chat", chatOtherMod, false}}},
		{"text completions", []step{{"text", textA, false}, {"text", textA, true}}},
		{"embeddings", []step{{"embedding", embedA, false}, {"embedding", embedA, true}}},
		{"streams pass through", []step{{"stream", streamA, false}, {"stream", streamA, false}}},
		{"a stream neither fills nor reads the cache", []step{{"stream", streamA, false}, {"chat", chatA, false}, {"stream", streamA, false}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := cache.New(cache.Config{})
			e, m := engine(t, mocks.Config{StreamChunks: 3}, p)
			first := map[string]string{}
			upstream := 0
			for i, s := range tc.steps {
				r := do(t, e, s.kind, s.body)
				if r.status != 0 {
					t.Fatalf("step %d: error %d %s", i, r.status, r.text)
				}
				if !s.hit {
					upstream++
				}
				wantBy := ""
				if s.hit {
					wantBy = cache.Name
					if prev := first[s.kind+s.body]; r.text != prev && s.body != chatASpaced {
						t.Errorf("step %d: answer %q, want the cached %q", i, r.text, prev)
					}
				}
				if r.by != wantBy {
					t.Errorf("step %d: short-circuited by %q, want %q", i, r.by, wantBy)
				}
				if _, ok := first[s.kind+s.body]; !ok {
					first[s.kind+s.body] = r.text
				}
				if got := len(m.Requests()); got != upstream {
					t.Fatalf("step %d: %d requests reached the provider, want %d", i, got, upstream)
				}
			}
		})
	}
}

func TestCacheTTLAndErrors(t *testing.T) {
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	p := cache.New(cache.Config{TTL: 50 * time.Millisecond, Clock: clk})
	e, m := engine(t, mocks.Config{FailFirst: []int{400}}, p)
	if r := do(t, e, "chat", chatA); r.status != 400 {
		t.Fatalf("first request: %+v, want the injected 400", r)
	}
	if r := do(t, e, "chat", chatA); r.status != 0 || r.by != "" {
		t.Fatalf("after an error: %+v, want a provider answer (errors are not cached)", r)
	}
	if r := do(t, e, "chat", chatA); r.by != cache.Name {
		t.Fatalf("within the TTL: %+v, want a cache hit", r)
	}
	clk.Advance(49 * time.Millisecond)
	if r := do(t, e, "chat", chatA); r.by != cache.Name {
		t.Fatalf("1 ms before the TTL ends: %+v, want a cache hit", r)
	}
	clk.Advance(time.Millisecond)
	if r := do(t, e, "chat", chatA); r.by != "" {
		t.Fatalf("after the TTL: %+v, want a provider answer", r)
	}
	if n := len(m.Requests()); n != 3 {
		t.Errorf("%d requests reached the provider, want 3", n)
	}
	if st := p.Stats(); st.Hits != 2 || st.Misses != 3 || st.Stores != 2 {
		t.Errorf("stats %+v", st)
	}
}

// failingStore fails every operation.
type failingStore struct{}

func (failingStore) Get(context.Context, string) ([]byte, bool, error) {
	return nil, false, errors.New("store down")
}
func (failingStore) Set(context.Context, string, []byte, time.Duration) error {
	return errors.New("store down")
}
func (failingStore) Close() error { return errors.New("close failed") }

func TestCacheStoreFailureDoesNotFailRequests(t *testing.T) {
	p := cache.New(cache.Config{Store: failingStore{}})
	e, _ := engine(t, mocks.Config{}, p)
	for i := 0; i < 2; i++ {
		if r := do(t, e, "chat", chatA); r.status != 0 || r.by != "" {
			t.Fatalf("request %d: %+v", i, r)
		}
	}
	if err := p.Cleanup(); err == nil || !strings.Contains(err.Error(), "close failed") {
		t.Errorf("Cleanup error %v", err)
	}
}

func TestKeyIgnoresStreamFlagOnly(t *testing.T) {
	e, _ := engine(t, mocks.Config{}, cache.New(cache.Config{}))
	key := func(body string) string {
		c := e.AcquireCall()
		defer e.ReleaseCall(c)
		l := jlexer.Lexer{Data: []byte(body)}
		c.Chat.UnmarshalEasyJSON(&l)
		return cache.Key(c) // a fresh call's Op is chat
	}
	a, b, s := key(chatA), key(chatB), key(chatASpaced)
	if a != s || a == b || !strings.HasPrefix(a, "bifrost:cache:v1:") || len(a) != len("bifrost:cache:v1:")+64 {
		t.Errorf("keys %q %q %q", a, s, b)
	}
}

func TestFromConfig(t *testing.T) {
	cases := []struct {
		name    string
		in      map[string]any
		want    cache.Config
		wantErr string
	}{
		{"empty", nil, cache.Config{}, ""},
		{"all", map[string]any{"ttl_seconds": 60, "max_entries": 100.0, "max_bytes": 4096}, cache.Config{TTL: time.Minute, MaxEntries: 100, MaxBytes: 4096}, ""},
		{"fractional", map[string]any{"ttl_seconds": 1.5}, cache.Config{}, "ttl_seconds: must be a whole number"},
		{"zero", map[string]any{"max_entries": 0}, cache.Config{}, "max_entries: must be between 1 and"},
		{"string", map[string]any{"ttl_seconds": "60"}, cache.Config{}, "ttl_seconds: must be a number"},
		{"unknown", map[string]any{"ttl": 60}, cache.Config{}, "ttl: unknown field"},
		{"redis", map[string]any{"redis_url": "redis://127.0.0.1:6379/0", "redis_timeout_ms": 20},
			cache.Config{RedisURL: "redis://127.0.0.1:6379/0", RedisTimeout: 20 * time.Millisecond}, ""},
		{"redis http", map[string]any{"redis_url": "http://x"}, cache.Config{}, "redis_url: must be a redis:// or rediss:// URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cache.FromConfig(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}
