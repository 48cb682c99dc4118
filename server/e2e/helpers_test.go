// Package e2e holds Bifrost's end-to-end tests: the gateway used through real clients (the
// official OpenAI Node SDK, a freshly built bifrost-http binary) against the mock provider.
package e2e

import (
	"bytes"
	"errors"
	"net"
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
