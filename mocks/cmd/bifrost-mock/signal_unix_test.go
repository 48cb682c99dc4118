//go:build unix

package main

import (
	"bufio"
	"io"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// TestRunSignal starts the command, makes one request, sends SIGTERM and
// checks the start and stop lines.
func TestRunSignal(t *testing.T) {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run([]string{"-addr", "127.0.0.1:0", "-latency", "1ms"}, pw)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	if !lines.Scan() {
		t.Fatalf("no start line: %v", <-done)
	}
	addr, ok := strings.CutPrefix(lines.Text(), "bifrost-mock listening on http://")
	if !ok {
		t.Fatalf("start line %q", lines.Text())
	}

	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	req.Header.SetMethod("POST")
	req.SetRequestURI("http://" + addr + "/v1/chat/completions")
	req.SetBodyString(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`)
	if err := fasthttp.DoTimeout(req, resp, 5*time.Second); err != nil || resp.StatusCode() != 200 {
		t.Fatalf("request: %v, status %d", err, resp.StatusCode())
	}

	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !lines.Scan() {
		t.Fatalf("no stop line: %v", <-done)
	}
	stopLine := regexp.MustCompile(`^bifrost-mock stopped: cpu [0-9.]+s \(user [0-9.]+s, sys [0-9.]+s\), 1 requests served$`)
	if !stopLine.MatchString(lines.Text()) {
		t.Errorf("stop line %q", lines.Text())
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after SIGTERM")
	}
}
