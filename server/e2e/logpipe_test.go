package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
)

// TestStalledStderr is issue 10's defect 6 on the real binary: bifrost-http logs to a pipe
// whose reader stops reading after the start-up line. Every request is still answered at
// once, /health included, and the lines that did not fit are counted in
// bifrost_log_lines_dropped_total. Then the reader goes away altogether (writes to stderr
// fail with EPIPE): the gateway keeps serving instead of dying of SIGPIPE, and exits cleanly.
func TestStalledStderr(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the gateway")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_, mockURL := startMock(t, mocks.Config{RequireKey: mockKey})
	cfgPath := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(cfgPath, []byte(`{"providers":{`+providerJSON("openai", mockURL)+`}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	cmd := exec.CommandContext(ctx, buildGateway(t, ctx), "-config", cfgPath, "-host", "127.0.0.1", "-port", "0", "-watch", "0")
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	exited := make(chan struct{})
	var exitErr error
	go func() { exitErr = cmd.Wait(); close(exited) }()
	defer func() {
		select {
		case <-exited:
		default:
			cmd.Process.Kill() //nolint:errcheck // the test failed before stopping it
			<-exited
		}
	}()

	// Read the log until the address line, then stop reading.
	var logged []byte
	buf := make([]byte, 4096)
	var url string
	for url == "" {
		n, err := pr.Read(buf)
		if err != nil {
			t.Fatalf("bifrost-http logged no address: %v\n%s", err, logged)
		}
		logged = append(logged, buf[:n]...)
		if m := listenAddr.FindSubmatch(logged); m != nil {
			url = string(m[1])
		}
	}

	client := &http.Client{Timeout: 5 * time.Second}
	send := func(requests int) {
		t.Helper()
		const workers = 16
		var failed atomic.Int64
		var first atomic.Value
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < requests/workers && failed.Load() == 0; i++ {
					resp, err := client.Post(url+"/v1/chat/completions", "application/json",
						strings.NewReader(`{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`))
					if err == nil {
						io.Copy(io.Discard, resp.Body) //nolint:errcheck
						resp.Body.Close()
						if resp.StatusCode == http.StatusOK {
							continue
						}
						err = fmt.Errorf("status %s", resp.Status)
					}
					failed.Add(1)
					first.CompareAndSwap(nil, err.Error())
				}
			}()
		}
		wg.Wait()
		if n := failed.Load(); n > 0 {
			t.Fatalf("%d of %d requests failed with the log stalled; first: %v", n, requests, first.Load())
		}
		resp, body := get(t, client, url+"/health")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/health: %s %s", resp.Status, body)
		}
	}

	start := time.Now()
	send(4000) // ~1 MB of access lines: more than the pipe and the log's buffer hold
	t.Logf("4,000 requests with stderr's reader stopped: all answered in %v", time.Since(start).Round(time.Millisecond))
	resp, metrics := get(t, client, url+"/metrics")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	m := regexp.MustCompile(`(?m)^bifrost_log_lines_dropped_total (\S+)$`).FindSubmatch(metrics)
	if m == nil {
		t.Fatal("/metrics lacks bifrost_log_lines_dropped_total")
	}
	if n, _ := strconv.ParseFloat(string(m[1]), 64); n <= 0 {
		t.Errorf("bifrost_log_lines_dropped_total = %s with stderr stalled, want > 0", m[1])
	}

	// Malformed requests make fasthttp log the failed connection before closing it: with
	// stderr stalled, that log line must not keep the connection (and its worker) forever.
	for i := 0; i < 300; i++ {
		conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck
		if _, err := conn.Write([]byte("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}")); err != nil {
			t.Fatal(err)
		}
		_, err = io.Copy(io.Discard, conn) // until the gateway closes the connection
		conn.Close()
		if err != nil {
			t.Fatalf("malformed request %d: the connection was not closed with stderr stalled: %v", i, err)
		}
	}
	send(400)

	pr.Close() // the reader goes away: the gateway's writes to stderr now fail with EPIPE
	send(400)
	client.CloseIdleConnections() // so that the drain need not wait for them
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatalf("bifrost-http is gone after its log reader closed: %v", err)
	}
	select {
	case <-exited:
		if exitErr != nil {
			t.Errorf("bifrost-http did not exit cleanly: %v", exitErr)
		}
	case <-time.After(15 * time.Second):
		t.Error("bifrost-http did not stop within 15 s of SIGINT")
	}
}
