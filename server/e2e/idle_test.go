package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
)

// TestIdleConnectionsRSSFlat holds 5,000 idle keep-alive connections open against the built
// gateway, three rounds in a row: in each round every connection gets an answer to one
// request and then stays open, a chat request on a fresh connection still gets 200 while
// they are held, and the connections are then closed. The gateway must stay up and its
// resident memory must not grow from round to round (what one round takes, the next
// reuses).
func TestIdleConnectionsRSSFlat(t *testing.T) {
	const conns, rounds = 5000, 3
	if testing.Short() {
		t.Skip("builds the gateway; skipped with -short")
	}
	_, mockURL := startMock(t, mocks.Config{RequireKey: mockKey})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	cfgPath := t.TempDir() + "/config.json"
	if err := os.WriteFile(cfgPath, []byte(oneKeyConfig("openai", mockKey, mockURL)), 0o644); err != nil {
		t.Fatal(err)
	}
	g := launchBinary(t, ctx, buildGateway(t, ctx), "-config", cfgPath, "-host", "127.0.0.1", "-port", "0")
	addr := strings.TrimPrefix(g.url, "http://")
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	peaks := make([]int, rounds)
	for r := range rounds {
		held := openIdle(t, addr, conns)
		resp, err := client.Post(g.url+"/v1/chat/completions", "application/json",
			strings.NewReader(`{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`))
		if err != nil {
			t.Fatalf("round %d: chat with %d idle connections open: %v", r+1, conns, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("round %d: chat with %d idle connections open: status %d", r+1, conns, resp.StatusCode)
		}
		peaks[r] = rssKiB(t, g.cmd.Process.Pid)
		for _, c := range held {
			c.Close()
		}
		client.CloseIdleConnections()
		select {
		case <-g.done:
			t.Fatalf("round %d: the gateway exited: %v", r+1, g.err)
		default:
		}
		t.Logf("round %d: %d idle connections held, gateway RSS %d KiB", r+1, conns, peaks[r])
	}
	// Flat: the last round's peak is within 25% (plus 8 MiB of slack for the garbage
	// collector's timing) of the first round's.
	if limit := peaks[0]*5/4 + 8<<10; peaks[rounds-1] > limit {
		t.Errorf("RSS grew from round to round: %v KiB (limit for the last round %d KiB)", peaks, limit)
	}
}

// openIdle opens n connections to addr, sends one keep-alive GET /health on each, reads its
// 200, and returns the connections, open and idle.
func openIdle(t *testing.T, addr string, n int) []net.Conn {
	t.Helper()
	out := make([]net.Conn, n)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	const workers = 50
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				c, err := net.DialTimeout("tcp", addr, 10*time.Second)
				if err != nil {
					trySend(errs, fmt.Errorf("connection %d: %w", i, err))
					return
				}
				out[i] = c
				c.SetDeadline(time.Now().Add(30 * time.Second)) //nolint:errcheck
				if _, err := c.Write([]byte("GET /health HTTP/1.1\r\nHost: bifrost\r\n\r\n")); err != nil {
					trySend(errs, fmt.Errorf("connection %d: write: %w", i, err))
					return
				}
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil {
					trySend(errs, fmt.Errorf("connection %d: read: %w", i, err))
					return
				}
				var body bytes.Buffer
				body.ReadFrom(resp.Body) //nolint:errcheck
				resp.Body.Close()
				if resp.StatusCode != 200 {
					trySend(errs, fmt.Errorf("connection %d: /health status %d: %s", i, resp.StatusCode, body.Bytes()))
					return
				}
				c.SetDeadline(time.Time{}) //nolint:errcheck
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		for _, c := range out {
			if c != nil {
				c.Close()
			}
		}
		t.Fatal(err)
	default:
	}
	return out
}

func trySend(ch chan error, err error) {
	select {
	case ch <- err:
	default:
	}
}

// rssKiB reads a process's resident set size from /proc/<pid>/status.
func rssKiB(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatalf("VmRSS %q: %v", v, err)
			}
			return n
		}
	}
	t.Fatal("no VmRSS in /proc status")
	return 0
}
