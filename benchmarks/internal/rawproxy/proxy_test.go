package rawproxy

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
)

func start(t *testing.T, serve func(net.Listener) error) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go serve(ln) //nolint:errcheck
	t.Cleanup(func() { ln.Close() })
	return "http://" + ln.Addr().String()
}

func TestProxyForwardsBytes(t *testing.T) {
	mock, err := mocks.New(mocks.Config{Latency: 5 * time.Millisecond, RequireKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mock.Close() })
	mockURL := start(t, mock.Serve)
	p, err := New(mockURL)
	if err != nil {
		t.Fatal(err)
	}
	proxyURL := start(t, p.Serve)

	body := `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`
	do := func(base, auth, body string) (int, string, http.Header) {
		req, _ := http.NewRequest("POST", base+"/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", auth)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	code, got, _ := do(proxyURL, "Bearer k", body)
	if code != 200 || !strings.Contains(got, `"object":"chat.completion"`) || !strings.Contains(got, `"model":"gpt-4o-mini"`) {
		t.Fatalf("via proxy: %d %s", code, got)
	}
	if code, got, _ := do(proxyURL, "Bearer wrong", body); code != 401 || !strings.Contains(got, "invalid_api_key") {
		t.Errorf("upstream 401 not forwarded: %d %s", code, got)
	}

	// A stream arrives as events, paced, ending with [DONE].
	stream := `{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`
	req, _ := http.NewRequest("POST", proxyURL+"/v1/chat/completions", strings.NewReader(stream))
	req.Header.Set("Authorization", "Bearer k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Errorf("stream content type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	events, last := 0, ""
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "data: ") {
			events++
			last = line
		}
	}
	if events < 20 || last != "data: [DONE]" {
		t.Errorf("stream: %d events, last %q", events, last)
	}

	// Upstream down: 502.
	p2, _ := New("http://127.0.0.1:1")
	if code, got, _ := do(start(t, p2.Serve), "", body); code != 502 || !bytes.Contains([]byte(got), []byte("rawproxy")) {
		t.Errorf("dead upstream: %d %s", code, got)
	}
}
