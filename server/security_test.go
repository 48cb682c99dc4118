package server

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/valyala/fasthttp"
)

// rawGateway serves p's handler with the production server settings on a real 127.0.0.1
// socket, for tests that must control the bytes on the wire.
func rawGateway(t *testing.T, p *inProcess) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveRaw(t, p, ln)
}

// serveRaw serves p's gateway on ln until the test ends and returns ln's address.
func serveRaw(t *testing.T, p *inProcess, ln net.Listener) string {
	t.Helper()
	srv := p.srv.NewHTTPServer(1 << 20)
	go srv.Serve(ln)                     //nolint:errcheck // ends at Shutdown
	t.Cleanup(func() { srv.Shutdown() }) //nolint:errcheck // the test is over
	return ln.Addr().String()
}

// exchangeRaw writes raw to addr and returns everything the server sends back until it closes
// the connection or goes quiet for 500ms.
func exchangeRaw(t *testing.T, addr, raw string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	r := bufio.NewReader(c)
	for {
		c.SetReadDeadline(time.Now().Add(500 * time.Millisecond)) //nolint:errcheck
		line, err := r.ReadString('\n')
		out.WriteString(line)
		if err != nil {
			return out.String()
		}
	}
}

// TestRequestSmuggling sends the classic desync shapes: a body framed two ways, or framed
// ambiguously. The gateway must answer each with one 400 and close the connection, so that
// nothing after the ambiguous body is read as a second request that reaches a provider.
func TestRequestSmuggling(t *testing.T) {
	p := newInProcess(t, mocks.Config{Record: true}, "")
	addr := rawGateway(t, p)
	body := `{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`
	smuggled := "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body
	cases := []struct{ name, raw string }{
		{"CL.TE: Content-Length and chunked",
			"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled},
		{"TE.CL: chunked then Content-Length",
			"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: 200\r\n\r\n0\r\n\r\n" + smuggled},
		{"two different Content-Lengths",
			"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 90\r\n\r\n{}" + smuggled},
		{"obfuscated Transfer-Encoding",
			"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" + smuggled},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(p.mock.Requests())
			out := exchangeRaw(t, addr, tc.raw)
			if n := strings.Count(out, "HTTP/1.1 "); n != 1 {
				t.Fatalf("want exactly one response, got %d:\n%s", n, out)
			}
			if !strings.HasPrefix(out, "HTTP/1.1 400") {
				t.Fatalf("want 400, got:\n%s", out)
			}
			if !strings.Contains(out, `"error"`) {
				t.Errorf("the 400 is not in OpenAI's error shape:\n%s", out)
			}
			if after := len(p.mock.Requests()); after != before {
				t.Errorf("%d request(s) reached the provider", after-before)
			}
		})
	}
	// And the server still serves a well-formed request.
	if out := exchangeRaw(t, addr, smuggled); !strings.HasPrefix(out, "HTTP/1.1 200") {
		t.Fatalf("after the smuggling attempts a plain request got:\n%s", out)
	}
}

// TestNoSSRF checks that a client cannot choose where the gateway connects: headers and body
// fields that name hosts or URLs are not followed, and a model name cannot climb out of its
// path segment.
func TestNoSSRF(t *testing.T) {
	var mu sync.Mutex
	dialed := map[string]int{}
	q := newInProcess(t, mocks.Config{Record: true}, "", func(addr string) {
		mu.Lock()
		dialed[addr]++
		mu.Unlock()
	})
	msgs := `"messages":[{"role":"user","content":"hi"}]`
	cases := []struct {
		name, body string
		headers    []string
	}{
		{"Host and forwarding headers", `{"model":"openai/gpt-4o-mini",` + msgs + `}`,
			[]string{"X-Forwarded-Host", "evil.example", "X-Forwarded-Proto", "http", "Forwarded", "host=evil.example", "X-Original-URL", "http://evil.example/", "X-Bifrost-Base-Url", "http://evil.example"}},
		{"URL fields in the body", `{"model":"openai/gpt-4o-mini",` + msgs + `,"base_url":"http://evil.example","api_base":"http://evil.example","url":"http://169.254.169.254/"}`, nil},
		{"a URL as the model", `{"model":"openai/http://evil.example/x",` + msgs + `}`, nil},
		{"a path-climbing model", `{"model":"openai/../../../evil",` + msgs + `}`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := newCtx("POST", "http://gateway.local/v1/chat/completions", []byte(tc.body))
			for i := 0; i+1 < len(tc.headers); i += 2 {
				ctx.Request.Header.Set(tc.headers[i], tc.headers[i+1])
			}
			q.do(ctx)
			if s := ctx.Response.StatusCode(); s != 200 {
				t.Fatalf("status %d: %s", s, ctx.Response.Body())
			}
			reqs := q.mock.Requests()
			last := reqs[len(reqs)-1]
			if last.Path != "/v1/chat/completions" {
				t.Errorf("the provider got path %q", last.Path)
			}
			for h, v := range last.Header {
				if strings.Contains(v, "evil.example") {
					t.Errorf("header %s: %q was forwarded to the provider", h, v)
				}
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	for addr := range dialed {
		if addr != "mock.inmemory:80" {
			t.Errorf("the gateway dialed %q; only the configured provider may be dialed", addr)
		}
	}
	if len(dialed) == 0 {
		t.Fatal("the dialer saw no connection at all")
	}
}

// TestNoDebugEndpoints checks that no debug or management surface is reachable: profiling,
// expvar and admin paths are 404 in OpenAI's error shape.
func TestNoDebugEndpoints(t *testing.T) {
	p := newInProcess(t, mocks.Config{}, "")
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/vars", "/admin", "/api/config", "/config", "/v1/config", "/keys", "/api/providers"} {
		for _, method := range []string{"GET", "POST", "PUT", "DELETE"} {
			ctx := newCtx(method, "http://gateway.local"+path, nil)
			p.do(ctx)
			if s := ctx.Response.StatusCode(); s != fasthttp.StatusNotFound && s != fasthttp.StatusMethodNotAllowed {
				t.Errorf("%s %s: status %d, want 404 or 405", method, path, s)
			}
			if !strings.Contains(string(ctx.Response.Body()), `"error"`) {
				t.Errorf("%s %s: body %q is not an OpenAI error", method, path, ctx.Response.Body())
			}
		}
	}
}
