package mocks

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

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

// faultServer serves a mock with cfg on 127.0.0.1 and returns its address.
func faultServer(t *testing.T, cfg Config) string {
	t.Helper()
	s := newServer(t, cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln) //nolint:errcheck // ends with Close
	return ln.Addr().String()
}

// rawChat sends one chat request on a new connection to addr and returns the connection
// and a reader positioned at the response.
func rawChat(t *testing.T, addr string, stream bool) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	body := chatBody
	if stream {
		body = `{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}`
	}
	req := "POST /v1/chat/completions HTTP/1.1\r\nHost: mock\r\nContent-Type: application/json\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck // a failure shows as a hang
	return c, bufio.NewReader(c)
}

// readAnswer reads one response from br: its status, its body as far as it could be read,
// and the error that stopped the body, if any.
func readAnswer(t *testing.T, br *bufio.Reader) (*http.Response, []byte, error) {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("reading the response head: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

// TestFaultModes shows what each fault mode does on the wire.
func TestFaultModes(t *testing.T) {
	t.Run("hang: the request is read and never answered", func(t *testing.T) {
		c, br := rawChat(t, faultServer(t, Config{Fault: FaultHang}), false)
		c.SetReadDeadline(time.Now().Add(100 * time.Millisecond)) //nolint:errcheck
		if _, err := br.ReadByte(); !isTimeout(err) {
			t.Errorf("read: %v, want a timeout", err)
		}
	})
	t.Run("reset mid-body: half the body, then a reset", func(t *testing.T) {
		_, br := rawChat(t, faultServer(t, Config{Fault: FaultResetMidBody}), false)
		resp, body, err := readAnswer(t, br)
		if resp.StatusCode != 200 || err == nil || len(body) == 0 || int64(len(body)) >= resp.ContentLength {
			t.Errorf("status %d, %d of %d bytes, err %v; want a 200 cut short", resp.StatusCode, len(body), resp.ContentLength, err)
		}
		if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("body error %v, want a reset", err)
		}
	})
	t.Run("slow body: a valid body in pieces", func(t *testing.T) {
		_, br := rawChat(t, faultServer(t, Config{Fault: FaultSlowBody, FaultDelay: 5 * time.Millisecond}), false)
		resp, body, err := readAnswer(t, br)
		if resp.StatusCode != 200 || err != nil || !json.Valid(body) {
			t.Errorf("status %d, err %v, valid JSON %v", resp.StatusCode, err, json.Valid(body))
		}
	})
	for _, mode := range []FaultMode{FaultMalformedJSON, FaultTruncatedJSON} {
		t.Run(string(mode)+": a 200 whose body is not valid JSON", func(t *testing.T) {
			_, br := rawChat(t, faultServer(t, Config{Fault: mode}), false)
			resp, body, err := readAnswer(t, br)
			if resp.StatusCode != 200 || err != nil || len(body) == 0 || json.Valid(body) {
				t.Errorf("status %d, err %v, body %q", resp.StatusCode, err, body)
			}
		})
	}
	t.Run("huge body: a valid completion of the set size", func(t *testing.T) {
		_, br := rawChat(t, faultServer(t, Config{Fault: FaultHugeBody, FaultBodySize: 1 << 20}), false)
		resp, body, err := readAnswer(t, br)
		var v struct {
			Choices []struct {
				Message struct{ Content string } `json:"message"`
			} `json:"choices"`
		}
		if resp.StatusCode != 200 || err != nil || json.Unmarshal(body, &v) != nil || len(v.Choices) != 1 {
			t.Fatalf("status %d, err %v, %d bytes", resp.StatusCode, err, len(body))
		}
		if len(body) < 1<<20 || len(body) > 1<<20+64 {
			t.Errorf("body of %d bytes, want about %d", len(body), 1<<20)
		}
	})
	t.Run("stream cut: some chunks, no [DONE], a reset", func(t *testing.T) {
		_, br := rawChat(t, faultServer(t, Config{Fault: FaultStreamCut, StreamChunks: 10}), true)
		_, body, err := readAnswer(t, br)
		events := strings.Count(string(body), "data: ")
		if err == nil || events < 2 || strings.Contains(string(body), "[DONE]") {
			t.Errorf("%d events, err %v; want some events, then an error", events, err)
		}
	})
	t.Run("stream ended early: some chunks, no [DONE], a clean end", func(t *testing.T) {
		_, br := rawChat(t, faultServer(t, Config{Fault: FaultStreamEndEarly, StreamChunks: 10}), true)
		_, body, err := readAnswer(t, br)
		events := strings.Count(string(body), "data: ")
		if err != nil || events < 2 || strings.Contains(string(body), "[DONE]") || strings.Contains(string(body), `"finish_reason":"`) {
			t.Errorf("%d events, err %v; want some events without a finish, then a clean end:\n%s", events, err, body)
		}
	})
	t.Run("endless stream: chunks keep coming", func(t *testing.T) {
		_, br := rawChat(t, faultServer(t, Config{Fault: FaultEndlessStream, FaultDelay: time.Millisecond}), true)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(resp.Body)
		for events := 0; events < 50; {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("after %d events: %v", events, err)
			}
			if strings.HasPrefix(line, "data: ") {
				events++
			}
		}
	})
	t.Run("silent stream: the role chunk, then nothing", func(t *testing.T) {
		c, br := rawChat(t, faultServer(t, Config{Fault: FaultSilentStream}), true)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(resp.Body)
		line, err := r.ReadString('\n')
		if err != nil || !strings.Contains(line, `"role":"assistant"`) {
			t.Fatalf("first line %q, %v", line, err)
		}
		c.SetReadDeadline(time.Now().Add(100 * time.Millisecond)) //nolint:errcheck
		if _, err := r.ReadString('\n'); err != nil && !isTimeout(err) {
			t.Fatalf("read: %v", err)
		}
		if _, err := io.ReadAll(r); !isTimeout(err) {
			t.Errorf("read after the role chunk: %v, want a timeout", err)
		}
	})
	t.Run("close after response: answered, then the connection closes silently", func(t *testing.T) {
		_, br := rawChat(t, faultServer(t, Config{Fault: FaultCloseAfterResponse}), false)
		resp, body, err := readAnswer(t, br)
		if resp.StatusCode != 200 || err != nil || !json.Valid(body) || resp.Close {
			t.Fatalf("status %d, err %v, close %v", resp.StatusCode, err, resp.Close)
		}
		if _, err := br.ReadByte(); err != io.EOF {
			t.Errorf("after the answer: %v, want EOF", err)
		}
	})
	t.Run("FaultCount: only the first requests", func(t *testing.T) {
		addr := faultServer(t, Config{Fault: FaultMalformedJSON, FaultCount: 1, FailFirst: []int{503}})
		for i, want := range []string{"503", "malformed", "ok", "ok"} {
			_, br := rawChat(t, addr, false)
			resp, body, err := readAnswer(t, br)
			got := "ok"
			switch {
			case err != nil:
				got = err.Error()
			case resp.StatusCode == 503:
				got = "503"
			case !json.Valid(body):
				got = "malformed"
			}
			if got != want {
				t.Errorf("request %d: %s, want %s", i, got, want)
			}
		}
	})
}

// TestRetryAfter: an injected 429 carries Config.RetryAfter, 1 by default.
func TestRetryAfter(t *testing.T) {
	for _, tc := range []struct{ set, want int }{{0, 1}, {1, 1}, {30, 30}} {
		s := newServer(t, Config{FailFirst: []int{429}, RetryAfter: tc.set})
		r := call(t, s, "POST", "/v1/chat/completions", chatBody, "")
		if r.status != 429 || r.retryAfter != strconv.Itoa(tc.want) {
			t.Errorf("RetryAfter %d: status %d, Retry-After %q; want 429, %d", tc.set, r.status, r.retryAfter, tc.want)
		}
	}
}

// TestFaultConfigErrors: New refuses invalid fault settings.
func TestFaultConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{Fault: "melt"},
		{Fault: FaultHang, FaultCount: -1},
		{FaultCount: 2},
		{Fault: FaultSlowBody, FaultDelay: -time.Second},
		{Fault: FaultHugeBody, FaultBodySize: -1},
		{Fault: FaultHugeBody, FaultBodySize: 1 << 30},
		{RetryAfter: -1},
		{RetryAfter: 86401},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New accepted %+v", cfg)
		}
	}
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}
