package server

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/valyala/fasthttp"
)

// serveHTTP serves srv on a 127.0.0.1 port through a real fasthttp server (NewHTTPServer,
// as bifrost-http runs it) and returns its address.
func serveHTTP(t *testing.T, srv *Server) string {
	t.Helper()
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := srv.Listen(tcp)
	hs := srv.NewHTTPServer(0)
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	t.Cleanup(func() {
		hs.Shutdown() //nolint:errcheck
		<-done
	})
	return tcp.Addr().String()
}

// rawRequest sends raw on a new connection and reads the answer.
func rawRequest(t *testing.T, addr, raw string) (*http.Response, []byte) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second)) //nolint:errcheck
	go c.Write([]byte(raw))                         //nolint:errcheck // the server may answer before reading it all
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, body
}

func request(method, path string, headers []string, body []byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: gw\r\n", method, path)
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(body))
	b.Write(body)
	return b.String()
}

func chunked(method, path string, headers []string, body []byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n", method, path)
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	for len(body) > 0 {
		n := min(len(body), 32<<10)
		fmt.Fprintf(&b, "%x\r\n%s\r\n", n, body[:n])
		body = body[n:]
	}
	b.WriteString("0\r\n\r\n")
	return b.String()
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b) //nolint:errcheck
	zw.Close()  //nolint:errcheck
	return buf.Bytes()
}

// errorShape checks an error body: OpenAI's {"error":{"code"}} on /v1, Anthropic's
// {"type":"error","error":{"type"}} on /anthropic. want is the code or the Anthropic type.
func errorShape(t *testing.T, path string, body []byte, want string) {
	t.Helper()
	var e struct {
		Type  string `json:"type"`
		Error struct {
			Type string  `json:"type"`
			Code *string `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body is not JSON: %s", body)
	}
	if strings.HasPrefix(path, "/anthropic/") {
		if e.Type != "error" || e.Error.Type != want {
			t.Errorf("Anthropic error %s, want type %q", body, want)
		}
		return
	}
	if e.Error.Code == nil || *e.Error.Code != want {
		t.Errorf("OpenAI error %s, want code %q", body, want)
	}
}

const (
	chatPath     = "/v1/chat/completions"
	messagesPath = "/anthropic/v1/messages"
	jsonCT       = "Content-Type: application/json"
	messagesBody = `{"model":"openai/gpt-4o-mini","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`
)

// padded returns a chat request for route of n bytes (or the smallest one, if n is less).
func padded(route string, n int) []byte {
	head, tail := `{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"`, `"}]}`
	if route == messagesPath {
		head = `{"model":"openai/gpt-4o-mini","max_tokens":16,"messages":[{"role":"user","content":"`
	}
	return []byte(head + strings.Repeat("a", max(n-len(head)-len(tail), 0)) + tail)
}

// TestIntake covers what the server checks before it reads a body (issue 10, defects 10
// and 12 and the weak spots): media type, encoding, size, in each route's error format.
func TestIntake(t *testing.T) {
	p := newInProcess(t, mocks.Config{}, "")
	p.srv.Configure(config.Client{MaxRequestBodyMB: 1})
	addr := serveHTTP(t, p.srv)
	big := padded(chatPath, 1<<20+10)
	bomb := gzipped(padded(chatPath, 3<<20)) // small on the wire, 3 MiB inflated
	cases := []struct {
		name, raw, path string
		status          int
		code            string // error code (/v1) or type (/anthropic); "" for success
	}{
		{"json", request("POST", chatPath, []string{jsonCT}, chatBody), chatPath, 200, ""},
		{"json with charset", request("POST", chatPath, []string{"Content-Type: application/json; charset=UTF-8"}, chatBody), chatPath, 200, ""},
		{"text/plain", request("POST", chatPath, []string{"Content-Type: text/plain;charset=UTF-8"}, chatBody), chatPath, 415, "unsupported_media_type"},
		{"form", request("POST", chatPath, []string{"Content-Type: application/x-www-form-urlencoded"}, chatBody), chatPath, 415, "unsupported_media_type"},
		{"no content type", request("POST", chatPath, nil, chatBody), chatPath, 415, "unsupported_media_type"},
		{"other charset", request("POST", chatPath, []string{"Content-Type: application/json; charset=latin1"}, chatBody), chatPath, 415, "unsupported_media_type"},
		{"text/plain anthropic", request("POST", messagesPath, []string{"Content-Type: text/plain"}, []byte(messagesBody)), messagesPath, 415, "invalid_request_error"},
		{"json anthropic", request("POST", messagesPath, []string{jsonCT}, []byte(messagesBody)), messagesPath, 200, ""},
		{"over the limit", request("POST", chatPath, []string{jsonCT}, big), chatPath, 413, "request_too_large"},
		{"over the limit anthropic", request("POST", messagesPath, []string{jsonCT}, padded(messagesPath, 1<<20+10)), messagesPath, 413, "request_too_large"},
		{"chunked", chunked("POST", chatPath, []string{jsonCT}, chatBody), chatPath, 200, ""},
		{"chunked over the limit", chunked("POST", chatPath, []string{jsonCT}, big), chatPath, 413, "request_too_large"},
		{"gzip", request("POST", chatPath, []string{jsonCT, "Content-Encoding: gzip"}, gzipped(chatBody)), chatPath, 200, ""},
		{"gzip over the limit once inflated", request("POST", chatPath, []string{jsonCT, "Content-Encoding: gzip"}, bomb), chatPath, 413, "request_too_large"},
		{"not gzip", request("POST", chatPath, []string{jsonCT, "Content-Encoding: gzip"}, chatBody), chatPath, 400, "invalid_body"},
		{"brotli", request("POST", chatPath, []string{jsonCT, "Content-Encoding: br"}, chatBody), chatPath, 415, "unsupported_content_encoding"},
		{"16 KB of headers", request("POST", chatPath, []string{jsonCT, "X-Big: " + strings.Repeat("h", 16<<10)}, chatBody), chatPath, 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := rawRequest(t, addr, tc.raw)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %.300s", resp.StatusCode, tc.status, body)
			}
			if tc.code != "" {
				errorShape(t, tc.path, body, tc.code)
			}
		})
	}
	waitReleased(t, p.srv)
}

// waitReleased waits up to 5 s for srv to hold no reserved request bytes, and fails the
// test if it still does.
func waitReleased(t *testing.T, srv *Server) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); srv.buffered.Load() != 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d request bytes still reserved after every request ended", srv.buffered.Load())
		}
	}
}

// TestBodyLimitReload is defect 12: a reload that lowers client.max_request_body_size_mb
// applies to the next request.
func TestBodyLimitReload(t *testing.T) {
	p := newInProcess(t, mocks.Config{}, "")
	p.srv.Configure(config.Client{MaxRequestBodyMB: 2})
	addr := serveHTTP(t, p.srv)
	body := padded(chatPath, 3<<19) // 1.5 MiB: between the two limits
	if resp, b := rawRequest(t, addr, request("POST", chatPath, []string{jsonCT}, body)); resp.StatusCode != 200 {
		t.Fatalf("under the 2 MiB limit: %d %.300s", resp.StatusCode, b)
	}
	p.srv.Configure(config.Client{MaxRequestBodyMB: 1}) // as a reload does
	resp, b := rawRequest(t, addr, request("POST", chatPath, []string{jsonCT}, body))
	if resp.StatusCode != 413 {
		t.Fatalf("after the reload to 1 MiB: %d %.300s, want 413", resp.StatusCode, b)
	}
	errorShape(t, chatPath, b, "request_too_large")
}

// TestBufferedRequestCap is defect 8: request bodies buffered at once are capped
// (client.max_buffered_request_mb). Two uploads that stall mid-body hold 1.8 MiB of a
// 2 MiB cap; a third large one gets 503 with Retry-After at once, while a small request
// still fits and passes. Once the stalled uploads end, their bytes are free again.
func TestBufferedRequestCap(t *testing.T) {
	p := newInProcess(t, mocks.Config{}, "")
	p.srv.Configure(config.Client{MaxRequestBodyMB: 1, MaxBufferedRequestMB: 2})
	addr := serveHTTP(t, p.srv)
	const large = 900 << 10
	var stalled []net.Conn
	defer func() {
		for _, c := range stalled {
			c.Close()
		}
	}()
	for i := 0; i < 2; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		stalled = append(stalled, c)
		// The headers and a first part of the body, then nothing: the header reserved the
		// whole body.
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: gw\r\n%s\r\nContent-Length: %d\r\n\r\n%s", chatPath, jsonCT, large, strings.Repeat("a", 10000))
	}
	for deadline := time.Now().Add(5 * time.Second); p.srv.buffered.Load() < 2*large; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the stalled uploads reserved %d bytes, want %d", p.srv.buffered.Load(), 2*large)
		}
	}
	for _, path := range []string{chatPath, messagesPath} {
		resp, body := rawRequest(t, addr, request("POST", path, []string{jsonCT}, padded(path, large)))
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("%s: a large upload over the cap: %d, Retry-After %q: %.300s; want 503 with Retry-After",
				path, resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
		want := "request_buffer_full"
		if path == messagesPath {
			want = "overloaded_error"
		}
		errorShape(t, path, body, want)
	}
	if resp, body := rawRequest(t, addr, request("POST", chatPath, []string{jsonCT}, chatBody)); resp.StatusCode != 200 {
		t.Fatalf("a small request beside the stalled uploads: %d %.300s", resp.StatusCode, body)
	}
	if got := refusedCount(t, p.srv.Metrics(), "buffer_full"); got != 2 {
		t.Errorf("buffer_full = %v, want 2", got)
	}
	for _, c := range stalled {
		c.Close()
	}
	stalled = nil
	waitReleased(t, p.srv)
	if resp, body := rawRequest(t, addr, request("POST", chatPath, []string{jsonCT}, padded(chatPath, large))); resp.StatusCode != 200 {
		t.Fatalf("a large upload once the cap is free: %d %.300s", resp.StatusCode, body)
	}
}

// TestIntakeAtHeader checks the intake on large and chunked bodies, which it judges on
// their header before fasthttp reads them (early.go): a refused upload is answered while
// its body is still on its way (the client sends the header and a first part, then waits
// for the answer), in its route's format, chunked or not; an admitted chunked body gives
// back what it reserved beyond its size; and nothing stays reserved or booked afterwards.
func TestIntakeAtHeader(t *testing.T) {
	p := newInProcess(t, mocks.Config{}, "")
	p.srv.Configure(config.Client{APIKeys: []string{"gw-key"}, AllowedOrigins: []string{"https://app.example"}, MaxRequestBodyMB: 1})
	addr := serveHTTP(t, p.srv)
	const key = "Authorization: Bearer gw-key"
	large := padded(chatPath, 200<<10)
	refused := []struct {
		name, path string
		headers    []string
		chunked    bool
		status     int
		code       string
	}{
		// "Expect: 100-continue": the client sends the header only, and waits.
		{"no key, Expect: 100-continue", messagesPath, []string{jsonCT, "Expect: 100-continue"}, false, 401, "authentication_error"},
		{"no key", chatPath, []string{jsonCT}, false, 401, "invalid_api_key"},
		{"no key, chunked, anthropic", messagesPath, []string{jsonCT}, true, 401, "authentication_error"},
		{"text/plain", chatPath, []string{key, "Content-Type: text/plain"}, false, 415, "unsupported_media_type"},
		{"text/plain, chunked", chatPath, []string{key, "Content-Type: text/plain"}, true, 415, "unsupported_media_type"},
		{"brotli", messagesPath, []string{key, jsonCT, "Content-Encoding: br"}, false, 415, "invalid_request_error"},
		{"origin not allowed", chatPath, []string{key, jsonCT, "Origin: https://evil.example"}, false, 403, "origin_not_allowed"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			raw := request("POST", tc.path, tc.headers, large)
			if tc.chunked {
				raw = chunked("POST", tc.path, tc.headers, large)
			}
			c := dial(t, addr)
			sent := strings.Index(raw, "\r\n\r\n") + 4 // the header
			if !strings.Contains(raw, "Expect:") {
				sent += 1024 // and 1 KB of the body; the rest is never sent
			}
			if _, err := io.WriteString(c, raw[:sent]); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatalf("no answer while the body is unsent: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %.300s", resp.StatusCode, tc.status, body)
			}
			errorShape(t, tc.path, body, tc.code)
		})
	}
	t.Run("admitted, Expect: 100-continue", func(t *testing.T) {
		c := dial(t, addr)
		raw := request("POST", chatPath, []string{key, jsonCT, "Expect: 100-continue"}, large)
		head := strings.Index(raw, "\r\n\r\n") + 4
		if _, err := io.WriteString(c, raw[:head]); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(c)
		resp, err := http.ReadResponse(r, nil)
		if err != nil || resp.StatusCode != 100 {
			t.Fatalf("want 100 Continue first: %v %v", resp, err)
		}
		if _, err := io.WriteString(c, raw[head:]); err != nil {
			t.Fatal(err)
		}
		if resp, err = http.ReadResponse(r, nil); err != nil || resp.StatusCode != 200 {
			t.Fatalf("after the body: %v %v", resp, err)
		}
		resp.Body.Close()
	})
	t.Run("admitted, chunked", func(t *testing.T) {
		resp, body := rawRequest(t, addr, chunked("POST", chatPath, []string{key, jsonCT}, large))
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %.300s", resp.StatusCode, body)
		}
	})
	t.Run("admitted, chunked and empty", func(t *testing.T) {
		// Its header reserves the limit; fasthttp then says Content-Length 0.
		if resp, body := rawRequest(t, addr, chunked("POST", chatPath, []string{key, jsonCT}, nil)); resp.StatusCode != 400 {
			t.Fatalf("status %d, want 400 for an empty body: %.300s", resp.StatusCode, body)
		}
	})
	t.Run("admitted, with an allowed Origin", func(t *testing.T) {
		resp, body := rawRequest(t, addr, request("POST", chatPath, []string{key, jsonCT, "Origin: https://app.example"}, large))
		if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" {
			t.Fatalf("status %d, Access-Control-Allow-Origin %q: %.300s", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), body)
		}
	})
	waitReleased(t, p.srv)
	p.srv.early.mu.Lock()
	n := len(p.srv.early.m)
	p.srv.early.mu.Unlock()
	if n != 0 {
		t.Errorf("%d entries left in the early book", n)
	}
}

// dial opens a connection to addr, closed when the test ends, with a 5 s deadline.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck
	return c
}

// TestEarlyBook checks that an entry left behind by a request that never reached the
// handler is handed back for release: when its header is booked again, or by the sweep
// once it is older than earlyExpiry.
func TestEarlyBook(t *testing.T) {
	var b earlyBook
	h1, h2, h3 := new(fasthttp.RequestHeader), new(fasthttp.RequestHeader), new(fasthttp.RequestHeader)
	t0 := time.Unix(1000, 0)
	if stale := b.put(h1, early{held: 10, at: t0}); len(stale) != 0 {
		t.Fatalf("stale %v from an empty book", stale)
	}
	b.put(h2, early{held: 20, at: t0})
	if stale := b.put(h1, early{held: 30, at: t0.Add(time.Second)}); len(stale) != 1 || stale[0].held != 10 {
		t.Fatalf("booking h1 again: stale %v, want its old entry (10)", stale)
	}
	if stale := b.put(h3, early{held: 40, at: t0.Add(earlyExpiry + 2*time.Second)}); len(stale) != 2 || stale[0].held+stale[1].held != 50 {
		t.Fatalf("the sweep: stale %v, want h2's (20) and h1's (30)", stale)
	}
	if e, ok := b.take(h3); !ok || e.held != 40 {
		t.Fatalf("take h3: %v %v", e, ok)
	}
	if _, ok := b.take(h1); ok {
		t.Fatal("h1 is still booked after the sweep")
	}
}

// TestReleaseByWrapper checks that a handler wrapped around the server's that answers a
// large request itself gives back what the intake reserved at the header (Release), as
// bifrost-http's admin endpoints do.
func TestReleaseByWrapper(t *testing.T) {
	p := newInProcess(t, mocks.Config{}, "")
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := p.srv.NewHTTPServer(0)
	next := hs.Handler
	hs.Handler = func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) != "/wrapped" {
			next(ctx)
			return
		}
		p.srv.Release(ctx)
		ctx.SetStatusCode(204)
	}
	go hs.Serve(tcp)                    //nolint:errcheck // ends at Shutdown
	t.Cleanup(func() { hs.Shutdown() }) //nolint:errcheck
	resp, body := rawRequest(t, tcp.Addr().String(), request("POST", "/wrapped", []string{jsonCT}, padded(chatPath, 100<<10)))
	if resp.StatusCode != 204 {
		t.Fatalf("status %d: %.300s", resp.StatusCode, body)
	}
	if n := p.srv.buffered.Load(); n != 0 {
		t.Errorf("%d request bytes still reserved after the wrapper answered", n)
	}
}

// TestChunkedMax checks the bound on chunked bodies when the body limit is higher: a chunked
// body reserves its largest size at its header, up to chunkedMax (8 MiB), so one of 2 MiB
// passes and one of 9 MiB gets 413 saying to send a Content-Length, in its route's format,
// while a Content-Length body of 9 MiB passes the intake (status 0: anything but 413; the
// in-memory mock behind takes at most fasthttp's default 4 MiB); nothing stays reserved.
func TestChunkedMax(t *testing.T) {
	p := newInProcess(t, mocks.Config{}, "")
	p.srv.Configure(config.Client{MaxRequestBodyMB: 16})
	addr := serveHTTP(t, p.srv)
	cases := []struct {
		name, raw, path string
		status          int
	}{
		{"chunked 2 MiB", chunked("POST", chatPath, []string{jsonCT}, padded(chatPath, 2<<20)), chatPath, 200},
		{"chunked 9 MiB", chunked("POST", chatPath, []string{jsonCT}, padded(chatPath, 9<<20)), chatPath, 413},
		{"chunked 9 MiB, anthropic", chunked("POST", messagesPath, []string{jsonCT}, padded(messagesPath, 9<<20)), messagesPath, 413},
		{"Content-Length 9 MiB", request("POST", chatPath, []string{jsonCT}, padded(chatPath, 9<<20)), chatPath, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := rawRequest(t, addr, tc.raw)
			if tc.status == 0 && resp.StatusCode == 413 || tc.status != 0 && resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %.300s", resp.StatusCode, tc.status, body)
			}
			if tc.status == 413 {
				errorShape(t, tc.path, body, "request_too_large")
				if !bytes.Contains(body, []byte("Content-Length")) {
					t.Errorf("the 413 does not say to send a Content-Length: %s", body)
				}
			}
		})
	}
	waitReleased(t, p.srv)
}
