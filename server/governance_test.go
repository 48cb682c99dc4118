package server

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/governance"
	"github.com/bifrost-gw/bifrost/governance/memstore"
	"github.com/bifrost-gw/bifrost/governance/redisstore"
	"github.com/bifrost-gw/bifrost/governance/redistest"
	"github.com/bifrost-gw/bifrost/governance/state"
	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/valyala/fasthttp"
)

const (
	govAlice = "vk-alice-0123456789"
	govBob   = "vk-bob-0123456789"
)

// govConfig is the in-process config with a governance block gov (JSON).
func govConfig(gov string) string {
	return `{"providers":{"openai":{"keys":[{"name":"k","value":"` + inProcessKey + `","models":["*"],"weight":1}],
		"network_config":{"base_url":"http://mock.inmemory"}}},"governance":` + gov + `}`
}

// newGovInProcess is newInProcess with governance on, its counters in st (in memory at
// the time now gives, if st is a func() time.Time).
func newGovInProcess(t testing.TB, gov string, st any) (*inProcess, *governance.Governor) {
	t.Helper()
	cfgJSON := govConfig(gov)
	p := newInProcess(t, mocks.Config{}, cfgJSON)
	cfg, err := config.Parse("gov.json", []byte(cfgJSON), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	var store state.State
	switch st := st.(type) {
	case state.State:
		store = st
	case func() time.Time:
		store = memstore.New(st)
	default:
		store = memstore.New(nil)
	}
	g := governance.New(store)
	if err := g.Configure(cfg); err != nil {
		t.Fatal(err)
	}
	p.srv.SetGovernor(g)
	return p, g
}

func fixedClock() func() time.Time {
	at := time.Date(2026, 12, 4, 12, 0, 30, 0, time.UTC)
	return func() time.Time { return at }
}

// govRequest sends one request with header name: value and returns the context.
func govRequest(p *inProcess, method, path, header, value string, body []byte) *fasthttp.RequestCtx {
	ctx := newCtx(method, path, body)
	if header != "" {
		ctx.Request.Header.Set(header, value)
	}
	p.do(ctx)
	return ctx
}

// errorType returns the error's type from an OpenAI or an Anthropic error body.
func errorType(t *testing.T, body []byte) (typ, code string) {
	t.Helper()
	var e struct {
		Error struct {
			Type string `json:"type"`
			Code string `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	return e.Error.Type, e.Error.Code
}

func TestGovernanceAuth(t *testing.T) {
	p, _ := newGovInProcess(t, `{"virtual_keys":[
		{"name":"alice","value":"`+govAlice+`","models":["openai/*"]},
		{"name":"bob","value":"`+govBob+`","models":["openai/gpt-4o"]}]}`, fixedClock())
	anth := []byte(`{"model":"openai/gpt-4o-mini","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`)
	for _, tc := range []struct {
		name, path, header, value string
		body                      []byte
		status                    int
		typ, code                 string
	}{
		{"no key", "/v1/chat/completions", "", "", chatBody, 401, "invalid_request_error", "invalid_api_key"},
		{"unknown key", "/v1/chat/completions", "Authorization", "Bearer vk-nobody", chatBody, 401, "invalid_request_error", "invalid_api_key"},
		{"malformed bearer", "/v1/chat/completions", "Authorization", "Bearer", chatBody, 401, "invalid_request_error", "invalid_api_key"},
		{"provider key is no virtual key", "/v1/chat/completions", "Authorization", "Bearer " + inProcessKey, chatBody, 401, "invalid_request_error", "invalid_api_key"},
		{"bearer", "/v1/chat/completions", "Authorization", "Bearer " + govAlice, chatBody, 200, "", ""},
		{"x-api-key", "/v1/chat/completions", "x-api-key", govAlice, chatBody, 200, "", ""},
		{"azure api-key", "/openai/v1/chat/completions", "api-key", govAlice, chatBody, 200, "", ""},
		{"model not allowed", "/v1/chat/completions", "Authorization", "Bearer " + govBob, chatBody, 403, "permission_error", "model_not_allowed"},
		{"fallback not allowed", "/v1/chat/completions", "Authorization", "Bearer " + govAlice,
			[]byte(`{"model":"openai/gpt-4o-mini","fallbacks":["anthropic/claude-3-5-haiku-20241022"],"messages":[{"role":"user","content":"hi"}]}`), 403, "permission_error", "model_not_allowed"},
		{"models list", "/v1/models", "Authorization", "Bearer vk-nobody", nil, 401, "invalid_request_error", "invalid_api_key"},
		{"anthropic unknown key", "/anthropic/v1/messages", "x-api-key", "vk-nobody", anth, 401, "authentication_error", ""},
		{"anthropic model not allowed", "/anthropic/v1/messages", "x-api-key", govBob, anth, 403, "permission_error", ""},
		{"anthropic ok", "/anthropic/v1/messages", "x-api-key", govAlice, anth, 200, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := "POST"
			if tc.body == nil {
				method = "GET"
			}
			ctx := govRequest(p, method, tc.path, tc.header, tc.value, tc.body)
			if got := ctx.Response.StatusCode(); got != tc.status {
				t.Fatalf("status %d, want %d: %s", got, tc.status, ctx.Response.Body())
			}
			if tc.status == 200 {
				return
			}
			typ, code := errorType(t, ctx.Response.Body())
			if typ != tc.typ || code != tc.code {
				t.Errorf("type %q code %q, want %q %q", typ, code, tc.typ, tc.code)
			}
			if strings.Contains(string(ctx.Response.Body()), "vk-") {
				t.Errorf("error body quotes a key: %s", ctx.Response.Body())
			}
		})
	}
}

// TestGovernanceRevokedByReload: a key removed by a reload gets 401 at once; a key kept
// keeps its counters, with its new limit applied to the next request.
func TestGovernanceRevokedByReload(t *testing.T) {
	p, g := newGovInProcess(t, `{"virtual_keys":[{"name":"alice","value":"`+govAlice+`","rpm":5},{"name":"bob","value":"`+govBob+`"}]}`, fixedClock())
	for i := 0; i < 3; i++ {
		if ctx := govRequest(p, "POST", "/v1/chat/completions", "x-api-key", govAlice, chatBody); ctx.Response.StatusCode() != 200 {
			t.Fatalf("status %d", ctx.Response.StatusCode())
		}
	}
	cfg, err := config.Parse("gov.json", []byte(govConfig(`{"virtual_keys":[{"name":"alice","value":"`+govAlice+`","rpm":4}]}`)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Configure(cfg); err != nil {
		t.Fatal(err)
	}
	if ctx := govRequest(p, "POST", "/v1/chat/completions", "x-api-key", govBob, chatBody); ctx.Response.StatusCode() != 401 {
		t.Errorf("revoked key: status %d, want 401", ctx.Response.StatusCode())
	}
	if ctx := govRequest(p, "POST", "/v1/chat/completions", "x-api-key", govAlice, chatBody); ctx.Response.StatusCode() != 200 {
		t.Errorf("4th request under rpm 4: status %d", ctx.Response.StatusCode())
	}
	var log bytes.Buffer
	p.srv.SetAccessLog(NewAccessLog(&log, false))
	ctx := govRequest(p, "POST", "/v1/chat/completions", "x-api-key", govAlice, chatBody)
	if ctx.Response.StatusCode() != 429 {
		t.Fatalf("5th request under rpm 4 (counters kept): status %d", ctx.Response.StatusCode())
	}
	if l := log.String(); !strings.Contains(l, "virtual_key=alice") || !strings.Contains(l, "error=rate_limit_exceeded") || strings.Contains(l, govAlice) {
		t.Errorf("access line of the refusal: %s", l)
	}
	if typ, code := errorType(t, ctx.Response.Body()); typ != "requests" || code != "rate_limit_exceeded" {
		t.Errorf("type %q code %q", typ, code)
	}
	// The fixed clock is 30 s into its minute.
	for h, want := range map[string]string{"Retry-After": "30", "x-ratelimit-limit-requests": "4",
		"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "30s"} {
		if got := string(ctx.Response.Header.Peek(h)); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	cfg.Governance = nil // governance off: the gateway is open again, as without the block
	if err := g.Configure(cfg); err != nil {
		t.Fatal(err)
	}
	if ctx := govRequest(p, "POST", "/v1/chat/completions", "", "", chatBody); ctx.Response.StatusCode() != 200 {
		t.Errorf("governance off: status %d", ctx.Response.StatusCode())
	}
}

// probeCompletionTokens returns the completion tokens the mock answers with.
func probeCompletionTokens(t *testing.T, p *inProcess, key string) int {
	t.Helper()
	ctx := govRequest(p, "POST", "/v1/chat/completions", "x-api-key", key, chatBody)
	var r struct {
		Usage struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(ctx.Response.Body(), &r); err != nil || r.Usage.CompletionTokens == 0 {
		t.Fatalf("probe: %v %s", err, ctx.Response.Body())
	}
	return r.Usage.CompletionTokens
}

// TestGovernanceCostHeader: the cost header is the price table times the usage.
func TestGovernanceCostHeader(t *testing.T) {
	p, _ := newGovInProcess(t, `{"virtual_keys":[{"name":"alice","value":"`+govAlice+`"}],
		"prices":{"openai/gpt-4o-mini":{"input":0.15,"output":0.6}}}`, fixedClock())
	var log bytes.Buffer
	p.srv.SetAccessLog(NewAccessLog(&log, false))
	ctx := govRequest(p, "POST", "/v1/chat/completions", "x-api-key", govAlice, chatBody)
	var r struct {
		Usage struct {
			PromptTokens     int64 `json:"prompt_tokens"`
			CompletionTokens int64 `json:"completion_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(ctx.Response.Body(), &r); err != nil {
		t.Fatal(err)
	}
	// 0.15 USD/M = 150 nano-USD per token; 0.6 USD/M = 600.
	want := string(governance.AppendUSD(nil, r.Usage.PromptTokens*150+r.Usage.CompletionTokens*600))
	if got := string(ctx.Response.Header.Peek(CostHeader)); got != want {
		t.Errorf("%s: %q, want %q (usage %+v)", CostHeader, got, want, r.Usage)
	}
	if !strings.Contains(log.String(), "cost_usd="+want) {
		t.Errorf("access line without cost_usd=%s: %s", want, log.String())
	}
}

// TestGovernanceBudgetExact: a budget with room for exactly n requests, hit by 50
// concurrent clients, admits n; the others get 429 insufficient_quota.
func TestGovernanceBudgetExact(t *testing.T) {
	const n, clients = 7, 50
	// Input is free and output costs 1 USD per million tokens (1,000 nano-USD per token),
	// and max_tokens is the mock's completion tokens: the worst case is the real cost.
	base := `{"virtual_keys":[{"name":"alice","value":"` + govAlice + `"},{"name":"bob","value":"` + govBob + `","team":"t"%s}],
		"teams":[{"name":"t"%s}],"prices":{"openai/gpt-4o-mini":{"input":0,"output":1}}}`
	probe, _ := newGovInProcess(t, strings.ReplaceAll(base, "%s", ""), fixedClock())
	completion := probeCompletionTokens(t, probe, govAlice)
	budget := `,"budget":{"daily_usd":` + strconv.FormatFloat(float64(n*completion)/1e6, 'f', -1, 64) + `}`
	body := []byte(`{"model":"openai/gpt-4o-mini","max_tokens":` + strconv.Itoa(completion) + `,"messages":[{"role":"user","content":"hi"}]}`)
	for _, level := range []string{"key/memory", "team/memory", "key/redis", "team/redis"} {
		t.Run(level, func(t *testing.T) {
			store := govStore(t, strings.HasSuffix(level, "redis"), fixedClock())
			cfg := strings.Replace(base, "%s", budget, 1)
			cfg = strings.Replace(cfg, "%s", "", 1)
			if strings.HasPrefix(level, "team") {
				cfg = strings.Replace(strings.Replace(base, "%s", "", 1), "%s", budget, 1)
			}
			p, _ := newGovInProcess(t, cfg, store)
			var ok, quota, other atomic.Int64
			var wg sync.WaitGroup
			for i := 0; i < clients; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ctx := newCtx("POST", "/v1/chat/completions", body)
					ctx.Request.Header.Set("Authorization", "Bearer "+govBob)
					p.handler(ctx)
					switch ctx.Response.StatusCode() {
					case 200:
						ok.Add(1)
					case 429:
						if typ, code := errorType(t, ctx.Response.Body()); typ == "insufficient_quota" && code == "insufficient_quota" {
							quota.Add(1)
							return
						}
						other.Add(1)
					default:
						other.Add(1)
					}
				}()
			}
			wg.Wait()
			if ok.Load() != n || quota.Load() != clients-n || other.Load() != 0 {
				t.Errorf("admitted %d, refused for budget %d, other %d; want %d, %d, 0", ok.Load(), quota.Load(), other.Load(), n, clients-n)
			}
		})
	}
}

// TestGovernanceRPMExact: an rpm limit admits exactly its limit in a minute, under 50
// concurrent clients, and the next minute admits again.
func TestGovernanceRPMExact(t *testing.T) {
	for _, redis := range []bool{false, true} {
		t.Run(map[bool]string{false: "memory", true: "redis"}[redis], func(t *testing.T) { testRPMExact(t, redis) })
	}
}

func testRPMExact(t *testing.T, redis bool) {
	const limit, clients = 9, 50
	var now atomic.Int64
	now.Store(time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC).UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	p, _ := newGovInProcess(t, `{"virtual_keys":[{"name":"alice","value":"`+govAlice+`","rpm":`+strconv.Itoa(limit)+`}]}`, govStore(t, redis, clock))
	burst := func() (ok int64) {
		var n atomic.Int64
		var wg sync.WaitGroup
		for i := 0; i < clients; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx := newCtx("POST", "/v1/chat/completions", chatBody)
				ctx.Request.Header.Set("x-api-key", govAlice)
				p.handler(ctx)
				if ctx.Response.StatusCode() == 200 {
					n.Add(1)
				}
			}()
		}
		wg.Wait()
		return n.Load()
	}
	if got := burst(); got != limit {
		t.Errorf("first minute: admitted %d, want %d", got, limit)
	}
	now.Add(int64(59 * time.Second))
	if got := burst(); got != 0 {
		t.Errorf("same minute, 59 s later: admitted %d, want 0", got)
	}
	now.Add(int64(time.Second))
	if got := burst(); got != limit {
		t.Errorf("next minute: admitted %d, want %d", got, limit)
	}
}

// govStore returns a memory store, or a Redis store on a private redis-server (settling
// in the background if async), on clock now.
func govStore(t testing.TB, redis bool, now func() time.Time, async ...bool) state.State {
	t.Helper()
	if !redis {
		return memstore.New(now)
	}
	srv := redistest.Start(t)
	st, err := redisstore.New(redisstore.Options{URL: srv.URL, Timeout: time.Second, Now: now, AsyncSettle: len(async) > 0 && async[0]})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestGovernanceStream: a stream is accounted from the usage the gateway asked the
// provider for, while the client, which did not ask for usage, gets no usage chunk; its
// cost is in the access line, and its reservation is settled (max_in_flight 1 admits the
// next request).
func TestGovernanceStream(t *testing.T) {
	p, _ := newGovInProcess(t, `{"virtual_keys":[{"name":"alice","value":"`+govAlice+`","max_in_flight":1,"budget":{"daily_usd":10}}],
		"prices":{"openai/gpt-4o-mini":{"input":1,"output":1}}}`, fixedClock())
	var log bytes.Buffer
	p.srv.SetAccessLog(NewAccessLog(&log, false))
	for _, withUsage := range []bool{false, true} {
		log.Reset()
		opts := ""
		if withUsage {
			opts = `,"stream_options":{"include_usage":true}`
		}
		body := []byte(`{"model":"openai/gpt-4o-mini","stream":true` + opts + `,"messages":[{"role":"user","content":"hi"}]}`)
		ctx := govRequest(p, "POST", "/v1/chat/completions", "x-api-key", govAlice, body)
		if ctx.Response.StatusCode() != 200 {
			t.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
		var out bytes.Buffer
		if err := ctx.Response.BodyWriteTo(&out); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(out.String(), `"usage":{"prompt_tokens"`); got != withUsage {
			t.Errorf("include_usage %v: usage in the client's stream: %v\n%s", withUsage, got, out.String())
		}
		if !strings.Contains(log.String(), "cost_usd=0.000") || strings.Contains(log.String(), "cost_usd=0.000000000") {
			t.Errorf("include_usage %v: access line without a cost: %s", withUsage, log.String())
		}
	}
}

// TestGovernanceUsageAPI: the usage API needs an admin key, and shows each key's and
// team's limits, this minute's use and each budget's spent and remaining amounts with
// its UTC reset time.
func TestGovernanceUsageAPI(t *testing.T) {
	p, _ := newGovInProcess(t, `{"admin_keys":["adm-0123456789"],"teams":[{"name":"t","budget":{"monthly_usd":100}}],
		"virtual_keys":[{"name":"alice","value":"`+govAlice+`","team":"t","rpm":60,"budget":{"daily_usd":1}}],
		"prices":{"openai/gpt-4o-mini":{"input":1000,"output":1000}}}`, fixedClock())
	ctx := govRequest(p, "POST", "/v1/chat/completions", "x-api-key", govAlice, chatBody)
	cost := string(ctx.Response.Header.Peek(CostHeader))
	for _, tc := range []struct {
		key    string
		status int
	}{{"", 401}, {govAlice, 401}, {"adm-0123456789", 200}} {
		ctx = govRequest(p, "GET", UsagePath, "Authorization", "Bearer "+tc.key, nil)
		if ctx.Response.StatusCode() != tc.status {
			t.Fatalf("key %q: status %d, want %d", tc.key, ctx.Response.StatusCode(), tc.status)
		}
	}
	var r governance.Report
	if err := json.Unmarshal(ctx.Response.Body(), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.VirtualKeys) != 1 || len(r.Teams) != 1 {
		t.Fatalf("%s", ctx.Response.Body())
	}
	k := r.VirtualKeys[0]
	if k.Name != "alice" || k.Team != "t" || k.RPM != 60 || k.Requests != 1 || k.InFlight != 0 ||
		!k.MinuteResets.Equal(time.Date(2026, 12, 4, 12, 1, 0, 0, time.UTC)) || len(k.Budgets) != 1 {
		t.Fatalf("key %+v", k)
	}
	b := k.Budgets[0]
	if b.Period != "daily" || b.LimitUSD != "1.000000000" || b.SpentUSD != cost || !b.ResetsAt.Equal(time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("budget %+v, cost %s", b, cost)
	}
	if tb := r.Teams[0].Budgets[0]; tb.SpentUSD != cost || !tb.ResetsAt.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("team budget %+v", tb)
	}
	if strings.Contains(string(ctx.Response.Body()), govAlice) {
		t.Error("usage report shows a key")
	}
}

// TestGovernanceRedisDown: with Redis killed, a request gets governance.state.on_error's
// answer at once: 503 governance_unavailable (with Retry-After) in the route's shape when
// fail_closed, the provider's answer when fail_open.
func TestGovernanceRedisDown(t *testing.T) {
	for _, policy := range []string{"fail_closed", "fail_open"} {
		t.Run(policy, func(t *testing.T) {
			srv := redistest.Start(t)
			st, err := redisstore.New(redisstore.Options{URL: srv.URL, Timeout: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			p, _ := newGovInProcess(t, `{"virtual_keys":[{"name":"alice","value":"`+govAlice+`","rpm":100}],"state":{"on_error":"`+policy+`"}}`, st)
			anth := []byte(`{"model":"openai/gpt-4o-mini","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`)
			if ctx := govRequest(p, "POST", "/v1/chat/completions", "x-api-key", govAlice, chatBody); ctx.Response.StatusCode() != 200 {
				t.Fatalf("redis up: %d", ctx.Response.StatusCode())
			}
			srv.Kill()
			for _, path := range []string{"/v1/chat/completions", "/anthropic/v1/messages"} {
				body := chatBody
				if strings.HasPrefix(path, "/anthropic") {
					body = anth
				}
				start := time.Now()
				ctx := govRequest(p, "POST", path, "x-api-key", govAlice, body)
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("%s: answered after %v", path, d)
				}
				want := 200
				if policy == "fail_closed" {
					want = 503
				}
				if got := ctx.Response.StatusCode(); got != want {
					t.Fatalf("%s: status %d, want %d: %s", path, got, want, ctx.Response.Body())
				}
				if want == 503 {
					typ, code := errorType(t, ctx.Response.Body())
					if path == "/v1/chat/completions" && (typ != "server_error" || code != "governance_unavailable") ||
						path != "/v1/chat/completions" && typ != "api_error" || len(ctx.Response.Header.Peek("Retry-After")) == 0 {
						t.Errorf("%s: type %q code %q: %s", path, typ, code, ctx.Response.Body())
					}
				}
			}
		})
	}
}

// TestGovernanceRedisDownLeases: with shares of the limits (lease_ms), a replica keeps
// admitting from the share it holds when Redis dies, until the share ends; then
// governance.state.on_error applies (fail_closed: 503).
func TestGovernanceRedisDownLeases(t *testing.T) {
	srv := redistest.Start(t)
	st, err := redisstore.New(redisstore.Options{URL: srv.URL, Timeout: 100 * time.Millisecond, AsyncSettle: true, LeaseAge: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p, _ := newGovInProcess(t, `{"virtual_keys":[{"name":"alice","value":"`+govAlice+`","rpm":100000}],"state":{"on_error":"fail_closed"}}`, st)
	if ctx := govRequest(p, "POST", "/v1/chat/completions", "x-api-key", govAlice, chatBody); ctx.Response.StatusCode() != 200 {
		t.Fatalf("redis up: %d", ctx.Response.StatusCode())
	}
	srv.Kill()
	if ctx := govRequest(p, "POST", "/v1/chat/completions", "x-api-key", govAlice, chatBody); ctx.Response.StatusCode() != 200 {
		t.Errorf("redis down, from the share: %d %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	time.Sleep(150 * time.Millisecond) // the share ends (lease_ms)
	if ctx := govRequest(p, "POST", "/v1/chat/completions", "x-api-key", govAlice, chatBody); ctx.Response.StatusCode() != 503 {
		t.Errorf("redis down, the share ended: %d %s, want 503", ctx.Response.StatusCode(), ctx.Response.Body())
	}
}
