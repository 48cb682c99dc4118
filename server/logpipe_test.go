package server

import (
	"bytes"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
)

// TestBlockedLogPipe is issue 10's defect 6: with the log's reader stopped (a pipe nobody
// reads), every request still completes at once, /health included, and the lines that do
// not fit are dropped and counted in bifrost_log_lines_dropped_total.
func TestBlockedLogPipe(t *testing.T) {
	p := newInProcess(t, mocks.Config{}, "")
	pr, pw := io.Pipe() // pr is never read: a Write to pw blocks until pr is closed
	al := NewBufferedAccessLog(pw, false, 5*time.Millisecond)
	p.srv.SetAccessLog(al)
	t.Cleanup(func() {
		pr.Close() // unblocks the log's writer (and, before the fix, every request)
		al.Close()
	})

	const requests, workers = 2000, 8
	var done atomic.Int64
	var failed atomic.Value
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				chat := newCtx("POST", "/v1/chat/completions", chatBody)
				health := newCtx("GET", "/health", nil)
				for i := 0; i < requests/workers; i++ {
					p.do(chat)
					if code := chat.Response.StatusCode(); code != 200 {
						failed.Store("chat: status " + strconv.Itoa(code))
					}
					p.do(health)
					if code := health.Response.StatusCode(); code != 200 {
						failed.Store("/health: status " + strconv.Itoa(code))
					}
					done.Add(1)
				}
			}()
		}
		wg.Wait()
	}()
	select {
	case <-finished:
	case <-time.After(20 * time.Second):
		t.Fatalf("%d of %d requests (and as many /health) done after 20 s with the log's reader stopped", done.Load(), requests)
	}
	if f := failed.Load(); f != nil {
		t.Fatal(f)
	}

	ctx := newCtx("GET", "/metrics", nil)
	p.do(ctx)
	m := regexp.MustCompile(`(?m)^bifrost_log_lines_dropped_total (\S+)$`).FindSubmatch(ctx.Response.Body())
	if m == nil {
		t.Fatal("/metrics lacks bifrost_log_lines_dropped_total")
	}
	if n, _ := strconv.ParseFloat(string(m[1]), 64); n <= 0 {
		t.Errorf("bifrost_log_lines_dropped_total = %s with the log blocked, want > 0", m[1])
	}
	if !bytes.Contains(ctx.Response.Body(), []byte("bifrost_requests_total")) {
		t.Error("/metrics lacks bifrost_requests_total")
	}
}

// TestBlockedLogPipeSlog checks the other log lines: a slog logger over a buffered access log
// (as bifrost-http makes it) never blocks on a stopped reader either.
func TestBlockedLogPipeSlog(t *testing.T) {
	pr, pw := io.Pipe()
	al := NewBufferedAccessLog(pw, false, 5*time.Millisecond)
	defer al.Close()
	defer pr.Close()
	log := slog.New(slog.NewTextHandler(al, nil))
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for i := 0; i < 20000; i++ {
			log.Warn("cache lookup failed", "error", "connection refused", "i", i)
		}
	}()
	select {
	case <-finished:
	case <-time.After(20 * time.Second):
		t.Fatal("slog over a blocked buffered log blocked")
	}
	if al.Dropped() == 0 {
		t.Error("no line counted as dropped")
	}
}

// TestBufferedAccessLogDropsAndResumes checks that a slow output loses only the lines that
// did not fit, and that lines flow again once it reads.
func TestBufferedAccessLogDropsAndResumes(t *testing.T) {
	pr, pw := io.Pipe()
	al := NewBufferedAccessLog(pw, false, 5*time.Millisecond)
	now := time.Now()
	for i := 0; i < 5000; i++ { // ~1 MB of lines: more than the buffer holds
		al.write(now, accessCases[0])
	}
	dropped := al.Dropped()
	if dropped == 0 {
		t.Fatal("no line dropped with the output blocked")
	}
	var got syncBuffer
	copied := make(chan struct{})
	go func() {
		io.Copy(&got, pr) //nolint:errcheck // ends when pw closes
		close(copied)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for { // wait until the writer has taken every buffered line
		al.mu.Lock()
		empty := len(al.out) == 0
		al.mu.Unlock()
		if empty {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the buffer did not drain once the output read again")
		}
		time.Sleep(time.Millisecond)
	}
	al.write(now, accessCases[1])
	al.Close()
	pw.Close()
	<-copied
	lines := bytes.Count([]byte(got.String()), []byte("\n"))
	if uint64(lines)+dropped != 5001 {
		t.Errorf("%d lines written + %d dropped, want 5001", lines, dropped)
	}
	if !bytes.HasSuffix([]byte(got.String()), []byte("status=-1\n")) {
		t.Error("the line written after the output resumed is missing")
	}
}
