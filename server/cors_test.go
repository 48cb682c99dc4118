package server

import (
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime/config"
)

// TestCORS checks preflights and CORS headers for each kind of client.allowed_origins
// (issue 10, defect 10).
func TestCORS(t *testing.T) {
	p := newInProcess(t, mocks.Config{}, "")
	const page, other = "https://app.example.com", "http://evil.example"
	type hdrs map[string]string
	cases := []struct {
		name         string
		origins      []string
		method, path string
		headers      hdrs
		status       int
		allowOrigin  string // the Access-Control-Allow-Origin wanted ("" for none)
		vary         bool   // Vary: Origin wanted
	}{
		{"default: preflight refused", nil, "OPTIONS", chatPath, hdrs{"Origin": page, "Access-Control-Request-Method": "POST"}, 403, "", true},
		{"default: POST from a page refused", nil, "POST", chatPath, hdrs{"Origin": page}, 403, "", false},
		{"default: GET from a page answered without CORS", nil, "GET", "/v1/models", hdrs{"Origin": page}, 200, "", false},
		{"default: no Origin, not a browser", nil, "POST", chatPath, nil, 200, "", false},
		{"listed: preflight", []string{page}, "OPTIONS", chatPath, hdrs{"Origin": page, "Access-Control-Request-Method": "POST",
			"Access-Control-Request-Headers": "authorization,content-type,x-stainless-os"}, 204, page, true},
		{"listed: preflight on /anthropic", []string{page}, "OPTIONS", messagesPath, hdrs{"Origin": page, "Access-Control-Request-Method": "POST"}, 204, page, true},
		{"listed: POST", []string{page}, "POST", chatPath, hdrs{"Origin": page}, 200, page, true},
		{"listed, trailing slash and case in the config", []string{"HTTPS://App.Example.com/"}, "POST", chatPath, hdrs{"Origin": page}, 200, page, true},
		{"listed: another origin's preflight", []string{page}, "OPTIONS", chatPath, hdrs{"Origin": other, "Access-Control-Request-Method": "POST"}, 403, "", true},
		{"listed: another origin's POST", []string{page}, "POST", chatPath, hdrs{"Origin": other}, 403, "", true},
		{"listed: an error carries the headers", []string{page}, "POST", "/v2/nothing", hdrs{"Origin": page}, 404, page, true},
		{"any: preflight", []string{"*"}, "OPTIONS", chatPath, hdrs{"Origin": other, "Access-Control-Request-Method": "POST"}, 204, "*", true},
		{"any: POST", []string{"*"}, "POST", chatPath, hdrs{"Origin": other}, 200, "*", false},
		{"OPTIONS that is no preflight", []string{"*"}, "OPTIONS", chatPath, hdrs{"Origin": other}, 405, "*", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p.srv.Configure(config.Client{AllowedOrigins: tc.origins})
			body := chatBody
			if tc.method != "POST" {
				body = nil
			}
			ctx := newCtx(tc.method, tc.path, body)
			for k, v := range tc.headers {
				ctx.Request.Header.Set(k, v)
			}
			p.do(ctx)
			h := &ctx.Response.Header
			if got := ctx.Response.StatusCode(); got != tc.status {
				t.Fatalf("status %d, want %d: %s", got, tc.status, ctx.Response.Body())
			}
			if got := string(h.Peek("Access-Control-Allow-Origin")); got != tc.allowOrigin {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tc.allowOrigin)
			}
			if got := strings.Contains(string(h.Peek("Vary")), "Origin"); got != tc.vary {
				t.Errorf("Vary %q, want Origin in it: %v", h.Peek("Vary"), tc.vary)
			}
			if tc.status == 204 {
				if !strings.Contains(string(h.Peek("Access-Control-Allow-Methods")), "POST") || len(h.Peek("Access-Control-Max-Age")) == 0 {
					t.Errorf("preflight headers: %s", h.String())
				}
				want := tc.headers["Access-Control-Request-Headers"]
				if want == "" {
					want = "authorization"
				}
				if !strings.Contains(string(h.Peek("Access-Control-Allow-Headers")), want) {
					t.Errorf("Access-Control-Allow-Headers %q, want %q in it", h.Peek("Access-Control-Allow-Headers"), want)
				}
			}
			if tc.allowOrigin != "" && tc.status < 300 && tc.method == "POST" && !strings.Contains(string(h.Peek("Access-Control-Expose-Headers")), OverheadHeader) {
				t.Errorf("Access-Control-Expose-Headers %q", h.Peek("Access-Control-Expose-Headers"))
			}
		})
	}
}

// TestLargeBodyBufferDropped: a body over bigBody does not keep its buffer for the
// connection's next request (issue 10, defect 8: memory that was never released).
func TestLargeBodyBufferDropped(t *testing.T) {
	p := newInProcess(t, mocks.Config{}, "")
	for _, tc := range []struct {
		size int
		kept bool
	}{{size: 4 << 10, kept: true}, {size: 3 << 20, kept: false}} {
		ctx := newCtx("POST", chatPath, padded(chatPath, tc.size))
		p.do(ctx)
		if ctx.Response.StatusCode() != 200 {
			t.Fatalf("%d bytes: status %d: %.300s", tc.size, ctx.Response.StatusCode(), ctx.Response.Body())
		}
		if kept := cap(ctx.Request.Body()) >= tc.size; kept != tc.kept {
			t.Errorf("%d bytes: buffer of %d bytes kept after the request: %v, want %v", tc.size, cap(ctx.Request.Body()), kept, tc.kept)
		}
	}
	if n := p.srv.buffered.Load(); n != 0 {
		t.Errorf("%d bytes still reserved", n)
	}
}

// TestJSONContentType: only application/json, with a UTF-8 charset if any, is JSON.
func TestJSONContentType(t *testing.T) {
	for ct, want := range map[string]bool{
		"application/json":                    true,
		"Application/JSON":                    true,
		"application/json; charset=utf-8":     true,
		`application/json;charset="UTF-8"`:    true,
		"application/json; foo=bar":           true,
		"application/json; charset=latin1":    false,
		"text/plain;charset=UTF-8":            false,
		"application/x-www-form-urlencoded":   false,
		"multipart/form-data; boundary=x":     false,
		"application/jsonp":                   false,
		"":                                    false,
		"application/json-seq":                false,
		"application/vnd.api+json":            false,
		" application/json ; charset = utf8 ": true,
	} {
		if got := jsonContentType([]byte(ct)); got != want {
			t.Errorf("jsonContentType(%q) = %v, want %v", ct, got, want)
		}
	}
}
