package server

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/valyala/fasthttp"
)

// TestIdleConnMemory measures what a connection storm leaves behind: conns clients (the
// BIFROST_MEMPROBE environment variable, e.g. 4000) each open a keep-alive connection at
// once and send one chat completion, then stay connected and idle; later they close. It
// logs the process's peak RSS, and its RSS, heap and stacks with the connections idle and
// after they closed (each after TrimWhenIdle's collections), with fasthttp's
// ReduceMemoryUsage as the server sets it and, for comparison, off. It measures, never
// asserts; without the variable it is skipped. Run one setting per process:
//
//	BIFROST_MEMPROBE=4000 go test ./server -run TestIdleConnMemory -v
//	BIFROST_MEMPROBE=4000 BIFROST_MEMPROBE_REDUCE=0 go test ./server -run TestIdleConnMemory -v
func TestIdleConnMemory(t *testing.T) {
	conns, _ := strconv.Atoi(os.Getenv("BIFROST_MEMPROBE"))
	if conns <= 0 {
		t.Skip("set BIFROST_MEMPROBE to a connection count to measure")
	}
	if _, _, err := RaiseFileLimit(); err != nil {
		t.Fatal(err)
	}
	p := newInProcess(t, mocks.Config{}, "")
	hs := p.srv.NewHTTPServer(0)
	if v := os.Getenv("BIFROST_MEMPROBE_REDUCE"); v != "" {
		hs.ReduceMemoryUsage = v == "1"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)                     //nolint:errcheck // ends at Shutdown
	t.Cleanup(func() { hs.Shutdown() }) //nolint:errcheck // the test is over
	trim()
	base := sample()
	req := "POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: " +
		strconv.Itoa(len(chatBody)) + "\r\n\r\n" + string(chatBody)
	open := make([]net.Conn, conns)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed error
	for i := range open {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := oneRequest(ln.Addr().String(), req)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && failed == nil {
				failed = err
			}
			open[i] = c
		}()
	}
	wg.Wait()
	if failed != nil {
		t.Fatal(failed)
	}
	trim()
	idle := sample()
	if name := os.Getenv("BIFROST_MEMPROBE_PROFILE"); name != "" {
		writeHeapProfile(t, name)
	}
	for _, c := range open {
		if c != nil {
			c.Close()
		}
	}
	for deadline := time.Now().Add(10 * time.Second); hs.GetOpenConnectionsCount() > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond) // waiting on the server's goroutines to see the closes
	}
	trim()
	closed := sample()
	t.Logf("ReduceMemoryUsage %v, %d connections: peak RSS %.1f MB", hs.ReduceMemoryUsage, conns, peakRSS())
	for _, s := range []struct {
		name string
		m    memSample
	}{{"before", base}, {"idle keep-alive", idle}, {"closed", closed}} {
		t.Logf("%-16s RSS %6.1f MB  heap in use %6.1f MB  stacks %6.1f MB", s.name, s.m.rss, s.m.heap, s.m.stack)
	}
	t.Logf("per idle connection: %.1f KB of heap, %.1f KB of RSS",
		(idle.heap-base.heap)*1024/float64(conns), (idle.rss-base.rss)*1024/float64(conns))
}

// oneRequest opens a connection, sends req and reads the answer, and returns the open
// connection.
func oneRequest(addr, req string) (net.Conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	if _, err := c.Write([]byte(req)); err != nil {
		c.Close()
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReaderSize(c, 4096), nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	defer resp.Body.Close()
	var sb strings.Builder
	if _, err := bufio.NewReader(resp.Body).WriteTo(&sb); err != nil || resp.StatusCode != 200 {
		c.Close()
		return nil, fmt.Errorf("status %d, %v: %s", resp.StatusCode, err, sb.String())
	}
	return c, nil
}

// writeHeapProfile writes the heap profile to the file name.
func writeHeapProfile(t *testing.T, name string) {
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		t.Fatal(err)
	}
}

// trim does what TrimWhenIdle does.
func trim() {
	runtime.GC()
	debug.FreeOSMemory()
}

type memSample struct{ rss, heap, stack float64 }

func sample() memSample {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return memSample{rss: statusMB("VmRSS:"), heap: float64(m.HeapInuse) / (1 << 20), stack: float64(m.StackInuse) / (1 << 20)}
}

func peakRSS() float64 { return statusMB("VmHWM:") }

// statusMB reads a kB field of /proc/self/status in MB (0 where there is none).
func statusMB(field string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkKeepAliveServe is a chat completion over one keep-alive TCP connection through
// the gateway's fasthttp.Server (NewHTTPServer), with fasthttp's ReduceMemoryUsage off and
// on: what releasing the connection's write buffer between requests costs.
func BenchmarkKeepAliveServe(b *testing.B) {
	for _, reduce := range []bool{false, true} {
		b.Run("reduce="+strconv.FormatBool(reduce), func(b *testing.B) {
			p := newInProcess(b, mocks.Config{}, "")
			hs := p.srv.NewHTTPServer(0)
			hs.ReduceMemoryUsage = reduce
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			go hs.Serve(ln)                     //nolint:errcheck // ends at Shutdown
			b.Cleanup(func() { hs.Shutdown() }) //nolint:errcheck // the benchmark is over
			c := &fasthttp.HostClient{Addr: ln.Addr().String(), MaxConns: 1}
			var req fasthttp.Request
			var resp fasthttp.Response
			req.SetRequestURI("http://gw/v1/chat/completions")
			req.Header.SetMethod("POST")
			req.Header.SetContentType("application/json")
			req.SetBody(chatBody)
			do := func() {
				if err := c.Do(&req, &resp); err != nil || resp.StatusCode() != 200 {
					b.Fatalf("%v: status %d", err, resp.StatusCode())
				}
			}
			for range 100 {
				do()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				do()
			}
		})
	}
}
