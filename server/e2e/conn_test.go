package e2e

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFileDescriptorExhaustion is issue 10's defect 1: bifrost-http started with a low open
// file limit (ulimit -n 64) and sent more idle connections than it has descriptors. accept
// then fails with EMFILE; the gateway must log it, stay up, and answer /health once the
// connections are gone. Before the fix, fasthttp's Serve returned the error and the process
// exited.
func TestFileDescriptorExhaustion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the gateway")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfgPath := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(cfgPath, []byte(`{"providers":{`+providerJSON("openai", "http://127.0.0.1:9")+`}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := buildGateway(t, ctx)
	// ulimit -n sets both the soft and the hard limit, so the gateway cannot raise it.
	g := launchBinary(t, ctx, "/bin/sh", "-c", `ulimit -n 64 && exec "$0" "$@"`, bin,
		"-config", cfgPath, "-host", "127.0.0.1", "-port", "0", "-watch", "0")
	addr := strings.TrimPrefix(g.url, "http://")

	const idle = 150 // well over the 64 descriptors
	conns := make([]net.Conn, 0, idle)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < idle; i++ {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			select {
			case <-g.done:
				t.Fatalf("bifrost-http exited when it ran out of file descriptors (%v)", g.err)
			case <-time.After(time.Second):
			}
			t.Fatalf("dial %d: %v", i, err)
		}
		conns = append(conns, c)
	}
	waitLog(t, g, "too many open files", 1)
	select {
	case <-g.done:
		t.Fatalf("bifrost-http exited when it ran out of file descriptors (%v)", g.err)
	case <-time.After(300 * time.Millisecond): // a few more failed accepts
	}
	for _, c := range conns {
		c.Close()
	}
	conns = conns[:0]

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	var last string
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		select {
		case <-g.done:
			t.Fatalf("bifrost-http exited (%v)", g.err)
		default:
		}
		resp, err := client.Get(g.url + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			t.Fatalf("/health did not answer 200 after the connections closed: %s", last)
		}
	}
	resp, body := get(t, client, g.url+"/metrics")
	const series = `bifrost_connections_refused_total{reason="accept_error"} `
	_, count, _ := strings.Cut(string(body), series)
	count, _, _ = strings.Cut(count, "\n")
	if resp.StatusCode != http.StatusOK || count == "" || count == "0" {
		t.Errorf("/metrics: %s, accept_error count %q, want > 0", resp.Status, count)
	}
	if err := g.stop(os.Interrupt, 15*time.Second); err != nil {
		t.Error(err)
	}
}
