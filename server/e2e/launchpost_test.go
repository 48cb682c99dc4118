package e2e

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
)

// launchPostConfig is the launch post's config.json, copied from issue 15 as written.
const launchPostConfig = `{
"openai": {
"keys": [{
"value": "env.OPENAI_API_KEY",
"models": ["gpt-4o-mini"],
"weight": 1.0
}]
}
}
`

// launchPostBody is the body of the launch post's curl example.
const launchPostBody = `{
"provider": "openai",
"model": "gpt-4o-mini",
"messages": [
{"role": "system", "content": "You are a helpful assistant."},
{"role": "user", "content": "Tell me about Bifrost in Norse mythology."}
]
}`

// TestLaunchPostHTTPServer follows the launch post's "Using Bifrost as an HTTP Server"
// steps: its config.json, OPENAI_API_KEY in the environment, `bifrost-http -config
// config.json -port PORT`, and its curl. The only addition is BIFROST_BASE_URL_OPENAI,
// which points the openai provider at the mock instead of api.openai.com.
func TestLaunchPostHTTPServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the gateway; skipped with -short")
	}
	mock, mockURL := startMock(t, mocks.Config{RequireKey: mockKey, Record: true})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	bin := buildGateway(t, ctx)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(launchPostConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("OPENAI_API_KEY", mockKey)
	t.Setenv("BIFROST_BASE_URL_OPENAI", mockURL)
	t.Chdir(dir) // the post's command line names config.json in the current directory
	gw := startBinary(t, ctx, bin, "-config", "config.json", "-port", strconv.Itoa(freePort(t)))

	client := &http.Client{Timeout: 30 * time.Second}
	t.Cleanup(client.CloseIdleConnections)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, gw+"/v1/chat/completions", strings.NewReader(launchPostBody))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var out struct {
		Model   string `json:"model"`
		Choices []struct {
			Message struct {
				Role    string `json:"role"`
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if len(out.Choices) == 0 || out.Choices[0].Message.Content == "" {
		t.Errorf("no answer: %s", body)
	}
	if got := lastRequest(t, mock); !strings.Contains(string(got.Body), `"gpt-4o-mini"`) {
		t.Errorf("the mock got %s, want the model gpt-4o-mini", got.Body)
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
