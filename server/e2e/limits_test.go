package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
)

// TestRequestLimits sends what fasthttp itself rejects through a real connection: a body over
// client.max_request_body_size_mb gets 413, a flood of headers 431, a request that is not HTTP
// 400, each in OpenAI's error shape; the gateway keeps serving.
func TestRequestLimits(t *testing.T) {
	_, mockURL := startMock(t, mocks.Config{RequireKey: mockKey})
	gw := startGateway(t, `{"client":{"max_request_body_size_mb":1},"providers":{`+providerJSON("openai", mockURL)+`}}`, nil)
	addr := strings.TrimPrefix(gw, "http://")

	bigBody := `{"model":"openai/x","messages":[{"role":"user","content":"` + strings.Repeat("a", 2<<20) + `"}]}`
	var flood strings.Builder
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&flood, "X-Flood-%d: %s\r\n", i, strings.Repeat("v", 40))
	}
	cases := []struct {
		name, raw string
		status    int
		code      string
	}{
		{"body over the limit", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
			fmt.Sprint(len(bigBody)) + "\r\n\r\n" + bigBody, 413, "request_too_large"},
		{"header flood", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + flood.String() + "Content-Length: 2\r\n\r\n{}", 431, "headers_too_large"},
		{"not HTTP", "HELLO\r\n\r\n", 400, "bad_request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second)) //nolint:errcheck
			go conn.Write([]byte(c.raw))                       //nolint:errcheck // the server may answer before reading it all
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Error struct{ Message, Code string } `json:"error"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatalf("status %d, body not JSON: %v", resp.StatusCode, err)
			}
			if resp.StatusCode != c.status || body.Error.Code != c.code {
				t.Errorf("status %d code %q (%s), want %d %q", resp.StatusCode, body.Error.Code, body.Error.Message, c.status, c.code)
			}
		})
	}
	resp, body := post(t, &http.Client{Timeout: 10 * time.Second}, gw+"/v1/chat/completions", `{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("after the limits, a normal request: %s %s", resp.Status, body)
	}
}
