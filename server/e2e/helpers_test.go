// Package e2e holds Bifrost's end-to-end tests: the gateway used through real clients (the
// official OpenAI Node SDK, a freshly built bifrost-http binary) against the mock provider.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
)

// mockKey is the key the mock provider requires; a request that reaches it without
// "Authorization: Bearer <mockKey>" fails with 401.
const mockKey = "sk-bifrost-e2e-9f3c71d2a4b8"

// startMock starts a mock OpenAI provider on a 127.0.0.1 listener and returns it with its
// base URL (http://127.0.0.1:PORT, without /v1). It is closed when the test ends.
func startMock(t *testing.T, cfg mocks.Config) (*mocks.Server, string) {
	t.Helper()
	m, err := mocks.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Serve(ln) }()
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("closing the mock provider: %v", err)
		}
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, mocks.ErrServerClosed) {
				t.Errorf("mock provider: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("the mock provider's Serve did not return after Close")
		}
	})
	return m, "http://" + ln.Addr().String()
}

// repoRoot returns the repository root: the directory above this package's that holds go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Clean(filepath.Join(wd, "..", ".."))
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root %s: %v", root, err)
	}
	return root
}

// checkNoGoroutineLeak records the goroutines running now and, when the test and all its
// later cleanups are done, fails if goroutines started since are still running after a grace
// period. Call it first in a test so that its cleanup runs last.
func checkNoGoroutineLeak(t *testing.T) {
	t.Helper()
	before := map[string]bool{}
	for _, g := range goroutines() {
		before[g.id] = true
	}
	t.Cleanup(func() {
		var leaked []goroutine
		deadline := time.Now().Add(15 * time.Second)
		for {
			leaked = leaked[:0]
			for _, g := range goroutines() {
				if !before[g.id] && !processWide(g.stack) {
					leaked = append(leaked, g)
				}
			}
			if len(leaked) == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		for _, g := range leaked {
			t.Errorf("goroutine left running after the test:\n%s", g.stack)
		}
	})
}

type goroutine struct {
	id    string // "goroutine 123"
	stack string
}

// goroutines returns every goroutine but the caller's, parsed from runtime.Stack.
func goroutines() []goroutine {
	buf := make([]byte, 1<<20)
	for {
		n := goruntime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []goroutine
	for i, block := range bytes.Split(buf, []byte("\n\n")) {
		if i == 0 { // the calling goroutine
			continue
		}
		s := string(block)
		head, _, _ := strings.Cut(s, "\n")
		id, _, _ := strings.Cut(head, " [")
		out = append(out, goroutine{id: id, stack: s})
	}
	return out
}

// processWide reports whether a goroutine is not this test's to stop: one of the testing
// package's own, or one that fasthttp runs and ends on its own schedule, asleep and holding
// nothing once the servers and clients it belongs to are shut down:
//   - updateServerDate runs for the life of the process;
//   - the default TCPDialer's DNS cache cleaner runs while the process-wide cache has entries
//     (a minute after the last dial);
//   - a server's worker pool cleaner, a Client's host client cleaner (mCleaner) and a
//     HostClient's idle connection cleaner (connsCleaner) sleep between rounds
//     (MaxIdleWorkerDuration, 10 s; 10 s; MaxIdleConnDuration) and exit on the first round
//     after their server stopped or their connections were closed. fasthttp has no way to
//     wake them, so they linger for up to that long.
//
// A server that was not shut down, a connection still open or a stream still being read
// shows up as other goroutines (Serve, a worker serving the connection, a reader), which
// are reported.
func processWide(stack string) bool {
	for _, s := range []string{
		"testing.tRunner(",
		"testing.(*T).Run(",
		"os/signal.signal_recv",
		"github.com/valyala/fasthttp.updateServerDate",
		"github.com/valyala/fasthttp.(*TCPDialer).tcpAddrsClean(",
		"github.com/valyala/fasthttp.(*workerPool).Start.func2(",
		"github.com/valyala/fasthttp.(*Client).mCleaner(",
		"github.com/valyala/fasthttp.(*HostClient).connsCleaner(",
	} {
		if strings.Contains(stack, s) {
			return true
		}
	}
	return false
}

// startBuiltGateway builds bifrost-http, runs it with cfgJSON as its config file on a
// 127.0.0.1 port and returns its base URL and a client for it (its idle connections closed
// when the test ends). It skips the test with -short, and gives the build and the process
// three minutes.
func startBuiltGateway(t *testing.T, cfgJSON string) (string, *http.Client) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the gateway; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	cfgPath := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(cfgPath, []byte(cfgJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	gw := startBinary(t, ctx, buildGateway(t, ctx), "-config", cfgPath, "-host", "127.0.0.1", "-port", "0")
	client := &http.Client{Timeout: 30 * time.Second}
	t.Cleanup(client.CloseIdleConnections)
	return gw, client
}

// oneKeyConfig is a gateway config with one provider at baseURL, one key for all its models
// and no retries.
func oneKeyConfig(provider, key, baseURL string) string {
	return fmt.Sprintf(`{"providers":{%q:{"keys":[{"value":%q,"models":["*"],"weight":1}],
  "network_config":{"base_url":%q,"max_retries":0}}}}`, provider, key, baseURL)
}

// lastRequest returns the last request the mock recorded, failing the test when there is none.
func lastRequest(t *testing.T, m *mocks.Server) mocks.RecordedRequest {
	t.Helper()
	reqs := m.Requests()
	if len(reqs) == 0 {
		t.Fatal("the mock provider received nothing")
	}
	return reqs[len(reqs)-1]
}

// chatStream is what a streamed chat completion said, read by readChatStream.
type chatStream struct {
	role                       bool // a chunk had the assistant role
	content, finish            string
	toolName, toolArgs, toolID string // the tool calls' pieces, joined; toolID is the last call's
	usage                      int    // total_tokens of the usage chunk, 0 without one
	sameID                     bool   // every chunk had the first chunk's id
}

// readChatStream reads a streamed chat completion, failing the test unless it is at least
// minChunks chat.completion.chunk events for model, then [DONE].
func readChatStream(t *testing.T, name string, body []byte, model string, minChunks int) chatStream {
	t.Helper()
	events := sseData(body)
	if len(events) < minChunks+1 || events[len(events)-1] != "[DONE]" {
		t.Fatalf("%s stream: want chunks ending in [DONE]; got\n%s", name, body)
	}
	s, id := chatStream{sameID: true}, ""
	for _, ev := range events[:len(events)-1] {
		var chunk struct {
			ID, Object, Model string
			Choices           []struct {
				Delta struct {
					Role      string `json:"role"`
					Content   string `json:"content"`
					ToolCalls []struct {
						ID       string `json:"id"`
						Function struct{ Name, Arguments string }
					} `json:"tool_calls"`
				} `json:"delta"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
			Usage *struct {
				TotalTokens int `json:"total_tokens"`
			} `json:"usage"`
		}
		if err := json.Unmarshal([]byte(ev), &chunk); err != nil || chunk.Object != "chat.completion.chunk" || chunk.Model != model {
			t.Fatalf("%s stream: bad chunk (%v) %s", name, err, ev)
		}
		if id != "" && chunk.ID != id {
			s.sameID = false
		}
		id = chunk.ID
		for _, c := range chunk.Choices {
			s.role = s.role || c.Delta.Role == "assistant"
			s.content += c.Delta.Content
			for _, call := range c.Delta.ToolCalls {
				s.toolName += call.Function.Name
				s.toolArgs += call.Function.Arguments
				s.toolID = call.ID
			}
			if c.FinishReason != nil {
				s.finish = *c.FinishReason
			}
		}
		if chunk.Usage != nil {
			s.usage = chunk.Usage.TotalTokens
		}
	}
	return s
}
