package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
)

// buildGateway builds bifrost-http from this repository into a temporary directory.
func buildGateway(t *testing.T, ctx context.Context) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bifrost-http")
	run(t, ctx, repoRoot(t), goTool(t), "build", "-o", bin, "./server/cmd/bifrost-http")
	return bin
}

// load is a bounded closed-loop load: workers send chat completions, each on a new connection
// (so a closed listener shows as a refused dial, not as a lost request), until stopped or
// until each has sent max requests.
type load struct {
	sent, answered, refused atomic.Int64
	mu                      sync.Mutex
	failures                []string
	stop                    chan struct{}
	wg                      sync.WaitGroup
}

func startLoad(url, model string, workers, max int) *load {
	l := &load{stop: make(chan struct{})}
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	body := `{"model":"` + model + `","messages":[{"role":"user","content":"hi"}]}`
	for w := 0; w < workers; w++ {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; i < max; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				l.one(client, url, body)
			}
		}()
	}
	return l
}

func (l *load) one(client *http.Client, url, body string) {
	resp, err := client.Post(url+"/v1/chat/completions", "application/json", strings.NewReader(body))
	var op *net.OpError
	if err != nil && errors.As(err, &op) && op.Op == "dial" {
		l.refused.Add(1) // never sent: the gateway no longer accepts connections
		time.Sleep(10 * time.Millisecond)
		return
	}
	l.sent.Add(1)
	if err != nil {
		l.fail("request lost: " + err.Error())
		return
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || !bytes.Contains(data, []byte(`"object":"chat.completion"`)) {
		l.fail(fmt.Sprintf("incomplete answer: %v %d %.200s", err, resp.StatusCode, data))
		return
	}
	l.answered.Add(1)
}

func (l *load) fail(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failures) < 10 {
		l.failures = append(l.failures, msg)
	}
}

// finish stops the load and reports sent vs answered.
func (l *load) finish(t *testing.T) {
	t.Helper()
	close(l.stop)
	l.wg.Wait()
	t.Logf("sent %d, answered %d, refused before sending %d", l.sent.Load(), l.answered.Load(), l.refused.Load())
	for _, f := range l.failures {
		t.Error(f)
	}
	if l.sent.Load() != l.answered.Load() {
		t.Errorf("sent %d requests but %d got a complete answer", l.sent.Load(), l.answered.Load())
	}
	if l.answered.Load() == 0 {
		t.Error("no request was answered")
	}
}

func waitLog(t *testing.T, g *gatewayProc, text string, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Count(g.logs.String(), text) >= n {
			return
		}
	}
	t.Fatalf("the gateway did not log %q (%d times) within 10s", text, n)
}

func providerJSON(name, url string) string {
	return `"` + name + `":{"keys":[{"name":"k","value":"` + mockKey + `","weight":1}],"network_config":{"base_url":"` + url + `"}}`
}

// TestReloadUnderLoad changes the config file, then writes a broken one, then sends SIGHUP,
// all while requests flow: the good config takes effect, the bad one is refused while the old
// one keeps serving, and every request sent gets a complete answer.
func TestReloadUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the gateway")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_, mockURL := startMock(t, mocks.Config{RequireKey: mockKey, Latency: 20 * time.Millisecond})
	cfgPath := filepath.Join(t.TempDir(), "config.json")
	write := func(s string) {
		if err := os.WriteFile(cfgPath, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"providers":{` + providerJSON("openai", mockURL) + `}}`)
	g := launchBinary(t, ctx, buildGateway(t, ctx), "-config", cfgPath, "-host", "127.0.0.1", "-port", "0", "-watch", "100ms")

	l := startLoad(g.url, "openai/gpt-4o-mini", 4, 2000)
	time.Sleep(300 * time.Millisecond)
	write(`{"providers":{` + providerJSON("openai", mockURL) + `,` + providerJSON("groq", mockURL) + `}}`)
	waitLog(t, g, "config reloaded", 1)
	client := &http.Client{Timeout: 10 * time.Second}
	resp, body := post(t, client, g.url+"/v1/chat/completions", `{"model":"groq/llama","messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("after the file changed, groq/llama: %s %s", resp.Status, body)
	}
	write(`{"providers":{"openai":{"keys":[`) // broken
	waitLog(t, g, "config reload refused", 1)
	if err := g.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, g, "config reload refused", 2)
	time.Sleep(200 * time.Millisecond)
	resp, body = post(t, client, g.url+"/v1/chat/completions", `{"model":"groq/llama","messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("after a refused reload, the previous config must keep serving groq/llama: %s %s", resp.Status, body)
	}
	l.finish(t)
	if err := g.stop(os.Interrupt, 15*time.Second); err != nil { // before ctx's cancel kills it
		t.Error(err)
	}
	if strings.Contains(g.logs.String(), mockKey) {
		t.Error("the gateway logged a provider key")
	}
}

// TestShutdownUnderLoad sends SIGTERM while requests are in flight: the gateway stops taking
// connections, finishes every request it accepted, and exits cleanly.
func TestShutdownUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the gateway")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	m, mockURL := startMock(t, mocks.Config{RequireKey: mockKey, Latency: 300 * time.Millisecond})
	cfgPath := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(cfgPath, []byte(`{"providers":{`+providerJSON("openai", mockURL)+`}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	g := launchBinary(t, ctx, buildGateway(t, ctx), "-config", cfgPath, "-host", "127.0.0.1", "-port", "0", "-drain", "10s")
	l := startLoad(g.url, "openai/gpt-4o-mini", 8, 200)
	time.Sleep(700 * time.Millisecond) // several rounds, and 8 requests in flight
	before := m.Stats().Total
	if err := g.stop(syscall.SIGTERM, 15*time.Second); err != nil {
		t.Fatal(err)
	}
	l.finish(t)
	if before == 0 || !strings.Contains(g.logs.String(), "shutting down") {
		t.Errorf("mock saw %d requests before SIGTERM; log:\n%s", before, g.logs.String())
	}
	if l.refused.Load() == 0 {
		t.Error("no request was refused after shutdown: the load did not outlast the gateway")
	}
}

// TestReloadPlugins turns the response cache on, off and on again by editing the config file
// of a running gateway: a changed plugins list takes effect at the reload, an unchanged one
// keeps the running cache and its entries, and a bad plugin config is refused whole.
func TestReloadPlugins(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the gateway")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	mock, mockURL := startMock(t, mocks.Config{RequireKey: mockKey, Record: true})
	cfgPath := filepath.Join(t.TempDir(), "config.json")
	write := func(plugins string) {
		cfg := `{"providers":{` + providerJSON("openai", mockURL) + `},"plugins":` + plugins + `}`
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const cacheOn = `[{"name":"cache","enabled":true,"config":{"ttl_seconds":60}}]`
	write(`[]`)
	g := launchBinary(t, ctx, buildGateway(t, ctx), "-config", cfgPath, "-host", "127.0.0.1", "-port", "0", "-watch", "50ms")
	client := &http.Client{Timeout: 10 * time.Second}
	t.Cleanup(client.CloseIdleConnections)
	// ask sends the same request and reports whether the cache answered it, checking that
	// the mock saw a request exactly when the cache did not answer.
	ask := func(step string) bool {
		t.Helper()
		before := len(mock.Requests())
		resp, body := post(t, client, g.url+"/v1/chat/completions", `{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"cache me"}]}`)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s %s", step, resp.Status, body)
		}
		cached := resp.Header.Get("X-Bifrost-Short-Circuit") == "cache"
		if reached := len(mock.Requests()) > before; reached == cached {
			t.Fatalf("%s: cache header %v but the provider was reached: %v", step, cached, reached)
		}
		return cached
	}
	reloads := 0
	reload := func(plugins string) {
		t.Helper()
		time.Sleep(20 * time.Millisecond) // a new modification time
		write(plugins)
		reloads++
		waitLog(t, g, "config reloaded", reloads)
	}

	if ask("without plugins") || ask("without plugins, again") {
		t.Fatal("answered from a cache that is not configured")
	}
	reload(cacheOn)
	if ask("cache on, first") || !ask("cache on, second") {
		t.Fatal("the cache turned on by a reload does not answer the repeated request")
	}
	// The same plugins list: the running cache, with its entry, keeps serving.
	reload(cacheOn)
	if !ask("unchanged plugins") {
		t.Error("a reload with the same plugins list dropped the cache's entries")
	}
	// A bad plugin config is refused; the running cache stays.
	time.Sleep(20 * time.Millisecond)
	write(`[{"name":"cache","enabled":true,"config":{"ttl_seconds":-5}}]`)
	waitLog(t, g, "config reload refused", 1)
	if !strings.Contains(g.logs.String(), "plugins[0].config.ttl_seconds") {
		t.Error("the refusal does not name the bad plugin setting")
	}
	if !ask("after a refused reload") {
		t.Error("a refused reload changed the running plugins")
	}
	reload(`[{"name":"cache","enabled":false}]`)
	if ask("cache disabled") {
		t.Error("the cache disabled by a reload still answers")
	}
	reload(cacheOn)
	if ask("cache on again, first") {
		t.Error("a rebuilt cache must start empty")
	}
	if !ask("cache on again, second") {
		t.Error("the rebuilt cache does not answer")
	}
	if err := g.stop(os.Interrupt, 15*time.Second); err != nil { // before ctx's cancel kills it
		t.Error(err)
	}
}

// TestShutdownClosesKeepAlive is issue 10's weak spot on idle keep-alive connections at
// SIGTERM: the gateway closes an idle keep-alive connection at once, and the answer to a
// request still in flight carries Connection: close, so that no client sends another
// request on a connection that is going away.
func TestShutdownClosesKeepAlive(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the gateway")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	mock, mockURL := startMock(t, mocks.Config{RequireKey: mockKey, Latency: 1500 * time.Millisecond})
	cfgPath := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(cfgPath, []byte(`{"providers":{`+providerJSON("openai", mockURL)+`}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	g := launchBinary(t, ctx, buildGateway(t, ctx), "-config", cfgPath, "-host", "127.0.0.1", "-port", "0", "-drain", "10s")
	addr := strings.TrimPrefix(g.url, "http://")
	// An idle keep-alive connection: one answered request, then nothing.
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	idle.SetDeadline(time.Now().Add(10 * time.Second)) //nolint:errcheck
	fmt.Fprintf(idle, "GET /health HTTP/1.1\r\nHost: gw\r\n\r\n")
	br := bufio.NewReader(idle)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body) //nolint:errcheck
	resp.Body.Close()
	// A request in flight when SIGTERM comes.
	type answer struct {
		resp *http.Response
		err  error
	}
	inFlight := make(chan answer, 1)
	go func() {
		client := &http.Client{Timeout: 20 * time.Second}
		resp, err := client.Post(g.url+"/v1/chat/completions", "application/json",
			strings.NewReader(`{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`))
		if err == nil {
			io.Copy(io.Discard, resp.Body) //nolint:errcheck
			resp.Body.Close()
		}
		inFlight <- answer{resp, err}
	}()
	for deadline := time.Now().Add(5 * time.Second); mock.Stats().Total == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the request did not reach the mock")
		}
	} // the request is at the mock, which answers after 1.5 s
	if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	closedAt := make(chan time.Duration, 1)
	sent := time.Now()
	go func() {
		_, err := br.ReadByte() // EOF when the gateway closes the idle connection
		if err != nil {
			closedAt <- time.Since(sent)
		}
	}()
	select {
	case d := <-closedAt:
		t.Logf("idle keep-alive connection closed %v after SIGTERM", d)
	case <-time.After(time.Second): // before the request in flight ends
		t.Error("the idle keep-alive connection was not closed at SIGTERM")
	}
	a := <-inFlight
	if a.err != nil {
		t.Fatalf("the request in flight: %v", a.err)
	}
	if a.resp.StatusCode != http.StatusOK || !a.resp.Close {
		t.Errorf("the request in flight: %s, Connection: close %v; want 200 with Connection: close", a.resp.Status, a.resp.Close)
	}
	select {
	case <-g.done:
		if g.err != nil {
			t.Errorf("bifrost-http: %v", g.err)
		}
	case <-time.After(15 * time.Second):
		t.Error("bifrost-http did not exit after the drain")
	}
}
