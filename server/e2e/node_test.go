package e2e

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/bifrost-gw/bifrost/server"
)

// nodeE2EEnv, set to 1 (as `make test` does), turns the skips of TestOpenAINodeSDK (no node,
// no node_modules) into failures.
const nodeE2EEnv = "BIFROST_NODE_E2E"

// nodeTimeout bounds the whole `node --test` run.
const nodeTimeout = 2 * time.Minute

// TestOpenAINodeSDK runs the tests in node/ (the official OpenAI Node SDK, pointed at the
// gateway by its baseURL only) against an in-process gateway and mock provider.
func TestOpenAINodeSDK(t *testing.T) {
	required := os.Getenv(nodeE2EEnv) == "1"
	unavailable := func(why string) {
		t.Helper()
		if required {
			t.Fatalf("%s (%s=1 makes this a failure)", why, nodeE2EEnv)
		}
		t.Skipf("%s (set %s=1 to make this a failure)", why, nodeE2EEnv)
	}
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		unavailable("node is not installed: install Node.js 18 or later, then run make node-deps")
	}
	dir, err := filepath.Abs("node")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "openai", "package.json")); err != nil {
		unavailable("server/e2e/node/node_modules is missing: run make node-deps")
	}

	checkNoGoroutineLeak(t)
	mock, mockURL := startMock(t, mocks.Config{
		RequireKey:   mockKey,
		Latency:      5 * time.Millisecond,
		StreamChunks: 12,
		Record:       true,
	})
	// The key and the mock's URL come in through "env." values, as in a real config.
	env := map[string]string{"BIFROST_E2E_KEY": mockKey, "BIFROST_E2E_MOCK_URL": mockURL}
	gw := startGateway(t, `{
		"providers": {
			"openai": {
				"keys": [{ "name": "e2e", "value": "env.BIFROST_E2E_KEY", "models": ["*"], "weight": 1 }],
				"network_config": { "base_url": "env.BIFROST_E2E_MOCK_URL" }
			},
			"groq": {
				"keys": [{ "name": "e2e", "value": "env.BIFROST_E2E_KEY", "models": ["*"], "weight": 1 }],
				"network_config": { "base_url": "env.BIFROST_E2E_MOCK_URL" }
			}
		}
	}`, func(k string) string { return env[k] })

	ctx, cancel := context.WithTimeout(context.Background(), nodeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeBin, "--test", "--test-reporter=spec")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "BIFROST_BASE_URL="+gw+"/v1", "NO_COLOR=1", "FORCE_COLOR=0")
	ownProcessGroup(cmd)
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	start := time.Now()
	err = cmd.Run()
	killProcessGroup(cmd) // anything node --test left behind
	if err != nil {
		if ctx.Err() != nil {
			t.Fatalf("node --test did not finish within %v:\n%s", nodeTimeout, out.String())
		}
		t.Fatalf("node --test in %s failed (%v) after %v:\n%s", dir, err, time.Since(start).Round(time.Millisecond), out.String())
	}
	t.Logf("node --test passed in %v:\n%s", time.Since(start).Round(time.Millisecond), out.String())

	// What reached the provider: every request with the configured key, on the OpenAI
	// paths, and none for the model whose provider is unknown.
	reqs := mock.Requests()
	if len(reqs) == 0 {
		t.Fatal("the mock provider received no request")
	}
	paths := map[string]int{}
	for _, r := range reqs {
		paths[r.Method+" "+r.Path]++
		if got := r.Header["Authorization"]; got != "Bearer "+mockKey {
			t.Errorf("%s %s reached the provider with Authorization %q, want the configured key", r.Method, r.Path, got)
		}
		if bytes.Contains(r.Body, []byte("nosuchprovider")) {
			t.Errorf("a request for an unknown provider reached the provider: %s", r.Body)
		}
		if r.Path == "/v1/chat/completions" && !bytes.Contains(r.Body, []byte(`"gpt-4o-mini"`)) &&
			!bytes.Contains(r.Body, []byte(`"llama-3.1-8b-instant"`)) { // groq: the Responses API translated
			t.Errorf("chat request body does not name the bare model gpt-4o-mini: %s", r.Body)
		}
	}
	for _, want := range []string{"POST /v1/chat/completions", "POST /v1/embeddings", "GET /v1/models", "POST /v1/responses"} {
		if paths[want] == 0 {
			t.Errorf("the provider never received %s; it received %v", want, paths)
		}
	}
}

// startGateway serves the gateway for cfgJSON on a 127.0.0.1 listener, in process, and
// returns its base URL (http://127.0.0.1:PORT). It is shut down when the test ends.
func startGateway(t *testing.T, cfgJSON string, getenv func(string) string) string {
	t.Helper()
	cfg, err := config.Parse("e2e.json", []byte(cfgJSON), getenv)
	if err != nil {
		t.Fatal(err)
	}
	engine, err := runtime.New(cfg, adapters.All())
	if err != nil {
		t.Fatal(err)
	}
	hs := server.New(engine, nil).NewHTTPServer(cfg.Client.MaxRequestBodyMB << 20)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		engine.Close()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := hs.ShutdownWithContext(ctx); err != nil {
			t.Errorf("shutting the gateway down: %v", err)
		}
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "closed") {
				t.Errorf("gateway Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("the gateway's Serve did not return after Shutdown")
		}
		engine.Close()
	})
	return "http://" + ln.Addr().String()
}
