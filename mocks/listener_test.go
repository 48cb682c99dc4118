package mocks

import (
	"bufio"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// TestListener serves the mock on a real 127.0.0.1 listener and calls it
// with a fasthttp client.
func TestListener(t *testing.T) {
	s, err := New(Config{RequireKey: "sk-live", Latency: 5 * time.Millisecond, StreamChunks: 3})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	base := "http://" + ln.Addr().String()
	client := &fasthttp.Client{StreamResponseBody: true}

	do := func(method, path, body string) (int, string, []byte) {
		t.Helper()
		req := fasthttp.AcquireRequest()
		resp := fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.Header.SetMethod(method)
		req.SetRequestURI(base + path)
		req.Header.Set("Authorization", "Bearer sk-live")
		req.Header.SetContentType("application/json")
		req.SetBodyString(body)
		if err := client.DoTimeout(req, resp, 5*time.Second); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		var out []byte
		if stream := resp.BodyStream(); stream != nil {
			br := bufio.NewReader(stream)
			for {
				line, err := br.ReadBytes('\n')
				out = append(out, line...)
				if err != nil {
					break
				}
			}
		} else {
			out = append(out, resp.Body()...)
		}
		return resp.StatusCode(), string(resp.Header.ContentType()), out
	}

	status, _, body := do("POST", "/v1/chat/completions", chatBody)
	var c chatCompletion
	decode(t, body, &c)
	if status != 200 || c.Model != "gpt-4o-mini" || c.Choices[0].Message.Content == "" {
		t.Errorf("chat: status %d, %s", status, body)
	}

	status, ctype, body := do("POST", "/chat/completions", `{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`)
	events := parseEvents(t, body)
	if status != 200 || !strings.HasPrefix(ctype, "text/event-stream") || len(events) != 1+3+1+1+1 || events[len(events)-1] != "[DONE]" {
		t.Errorf("stream: status %d, content type %q, events %q", status, ctype, events)
	}

	status, _, body = do("POST", "/v1/embeddings", `{"model":"text-embedding-3-small","input":["a","b"],"dimensions":8}`)
	var l embeddingList
	decode(t, body, &l)
	if status != 200 || len(l.Data) != 2 {
		t.Errorf("embeddings: status %d, %s", status, body)
	}

	status, _, body = do("GET", "/v1/models", "")
	if status != 200 || !strings.Contains(string(body), `"object":"list"`) {
		t.Errorf("models: status %d, %s", status, body)
	}

	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve returned %v after Close, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after Close")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Serve(ln); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve after Close = %v, want ErrServerClosed", err)
	}
	if got := s.Stats().Requests["/v1/chat/completions"]; got != 2 {
		t.Errorf("Requests[/v1/chat/completions] = %d, want 2", got)
	}
}

// TestCloseRacingServe: a Close that comes while Serve is starting, after its closed
// check and before fasthttp has taken the listener (fasthttp's shutdown then has no
// listener to close), still makes Serve return.
func TestCloseRacingServe(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.beforeServe = func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve returned %v after Close, want nil", err)
		}
	case <-time.After(5 * time.Second):
		ln.Close() //nolint:errcheck // lets the stuck Serve end
		t.Fatal("Serve did not return after a Close during its start")
	}
}
