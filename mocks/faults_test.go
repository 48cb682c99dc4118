package mocks

import (
	"math"
	"testing"

	"github.com/valyala/fasthttp"
)

func TestAuth(t *testing.T) {
	s := newServer(t, Config{RequireKey: "sk-test"})
	tests := []struct {
		name, header string
		status       int
	}{
		{"no key", "", fasthttp.StatusUnauthorized},
		{"wrong key", "Bearer sk-wrong", fasthttp.StatusUnauthorized},
		{"no scheme", "sk-test", fasthttp.StatusUnauthorized},
		{"key as prefix", "Bearer sk-test2", fasthttp.StatusUnauthorized},
		{"right key", "Bearer sk-test", fasthttp.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := newChatCtx(chatBody, "")
			if tt.header != "" {
				ctx.Request.Header.Set("Authorization", tt.header)
			}
			s.Handler()(ctx)
			r := response{
				status:      ctx.Response.StatusCode(),
				contentType: string(ctx.Response.Header.ContentType()),
				body:        ctx.Response.Body(),
			}
			if tt.status == fasthttp.StatusOK {
				if r.status != tt.status {
					t.Fatalf("status %d, body %s", r.status, r.body)
				}
				return
			}
			e := checkError(t, r, tt.status, "invalid_api_key")
			if e.Error.Type != "invalid_request_error" {
				t.Errorf("type %q", e.Error.Type)
			}
		})
	}
	if got := s.Stats().Unauthorized; got != 4 {
		t.Errorf("Stats().Unauthorized = %d, want 4", got)
	}
}

func TestFailFirst(t *testing.T) {
	s := newServer(t, Config{FailFirst: []int{429, 500, 503, 502}, RequireKey: "k"})

	// A request rejected for its key does not use up FailFirst.
	checkError(t, call(t, s, "POST", "/v1/chat/completions", chatBody, ""), 401, "invalid_api_key")

	tests := []struct {
		status int
		code   string
		typ    string
	}{
		{429, "rate_limit_exceeded", "requests"},
		{500, "", "server_error"},
		{503, "", "server_error"},
		{502, "", "server_error"},
		{200, "", ""},
		{200, "", ""},
	}
	for i, tt := range tests {
		r := call(t, s, "POST", "/v1/chat/completions", chatBody, "k")
		if tt.status == 200 {
			if r.status != 200 {
				t.Fatalf("request %d: status %d, want 200", i, r.status)
			}
			continue
		}
		e := checkError(t, r, tt.status, tt.code)
		if e.Error.Type != tt.typ {
			t.Errorf("request %d: type %q, want %q", i, e.Error.Type, tt.typ)
		}
		if wantRetry := tt.status == 429; (r.retryAfter == "1") != wantRetry {
			t.Errorf("request %d: Retry-After %q", i, r.retryAfter)
		}
	}
	got := s.Stats().Injected
	for _, code := range []int{429, 500, 503, 502} {
		if got[code] != 1 {
			t.Errorf("Injected[%d] = %d, want 1", code, got[code])
		}
	}
}

func TestFailureRates(t *testing.T) {
	const n = 4000
	tests := []struct {
		name                      string
		r429, r500, r503          float64
		want429, want500, want503 float64
	}{
		{"none", 0, 0, 0, 0, 0, 0},
		{"all 429", 1, 0, 0, 1, 0, 0},
		{"all 503", 0, 0, 1, 0, 0, 1},
		{"mixed", 0.1, 0.2, 0.3, 0.1, 0.2, 0.3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, Config{Rate429: tt.r429, Rate500: tt.r500, Rate503: tt.r503, Seed: 7})
			counts := map[int]int{}
			for range n {
				r := call(t, s, "POST", "/v1/chat/completions", chatBody, "")
				counts[r.status]++
				if r.status == 429 && r.retryAfter != "1" {
					t.Fatalf("429 without Retry-After: 1")
				}
			}
			for _, c := range []struct {
				status int
				want   float64
			}{{429, tt.want429}, {500, tt.want500}, {503, tt.want503}} {
				got := float64(counts[c.status]) / n
				if math.Abs(got-c.want) > 0.03 {
					t.Errorf("status %d on %.3f of requests, want %.3f", c.status, got, c.want)
				}
				if inj := s.Stats().Injected[c.status]; int(inj) != counts[c.status] {
					t.Errorf("Injected[%d] = %d, counted %d", c.status, inj, counts[c.status])
				}
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"negative latency", Config{Latency: -1}},
		{"negative jitter", Config{Jitter: -1}},
		{"bad size", Config{ResponseSize: "big"}},
		{"zero size", Config{ResponseSize: "0kb"}},
		{"bytes size", Config{ResponseSize: "100"}},
		{"negative chunks", Config{StreamChunks: -1}},
		{"negative dims", Config{EmbeddingDimensions: -5}},
		{"rate above 1", Config{Rate500: 1.5}},
		{"negative rate", Config{Rate429: -0.1}},
		{"NaN rate", Config{Rate503: math.NaN()}},
		{"rates sum above 1", Config{Rate429: 0.5, Rate500: 0.6}},
		{"FailFirst 200", Config{FailFirst: []int{500, 200}}},
	}
	for _, tt := range tests {
		if _, err := New(tt.cfg); err == nil {
			t.Errorf("%s: New accepted %+v", tt.name, tt.cfg)
		}
	}
}

func TestJitter(t *testing.T) {
	s := newServer(t, Config{Latency: 10, Jitter: 30, Seed: 1})
	seen := map[int64]bool{}
	for range 5000 {
		d := s.latency()
		if d < 0 || d > 40 {
			t.Fatalf("latency %v outside [0, 40ns]", d)
		}
		seen[int64(d)] = true
	}
	if !seen[0] || !seen[40] || !seen[25] {
		t.Errorf("latencies do not cover [0, 40]: %v", seen)
	}
}
