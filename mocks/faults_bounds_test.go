package mocks

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestFaultModesHostile shows the fault modes of a hostile provider (issue 10) on the wire.
func TestFaultModesHostile(t *testing.T) {
	for _, tc := range []struct {
		mode FaultMode
		body string
	}{
		{FaultEmptyObject, "{}"},
		{FaultNullBody, "null"},
		{FaultNullChoices, `{"choices":null}`},
	} {
		t.Run(string(tc.mode)+": a 200 that is JSON and no completion", func(t *testing.T) {
			_, br := rawChat(t, faultServer(t, Config{Fault: tc.mode}), false)
			resp, body, err := readAnswer(t, br)
			if resp.StatusCode != 200 || err != nil || string(body) != tc.body {
				t.Errorf("status %d, err %v, body %q; want 200 %s", resp.StatusCode, err, body, tc.body)
			}
		})
	}
	t.Run("body: Config.FaultBody as it is, in any format", func(t *testing.T) {
		s := newServer(t, Config{Fault: FaultBody, FaultBody: `{"content":[]}`, Format: FormatAnthropic})
		ctx := newCtx("POST", "/v1/messages", `{"model":"claude-3-5-haiku-20241022","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`, "")
		ctx.Request.Header.Set("anthropic-version", "2023-06-01")
		s.Handler()(ctx)
		if ctx.Response.StatusCode() != 200 || string(ctx.Response.Body()) != `{"content":[]}` {
			t.Errorf("status %d, body %q", ctx.Response.StatusCode(), ctx.Response.Body())
		}
	})
	for _, stream := range []bool{false, true} {
		name := "endless line: a plain body that never ends"
		prefix := `{"id":"x`
		if stream {
			name, prefix = "endless line: a stream whose first line never ends", `data: {"id":"x`
		}
		t.Run(name, func(t *testing.T) {
			s := newServer(t, Config{Fault: FaultEndlessLine})
			addr := serveOn(t, s)
			c, br := rawChat(t, addr, stream)
			resp, err := http.ReadResponse(br, nil)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("status %v, err %v", resp, err)
			}
			head := make([]byte, 4<<20)
			if _, err := io.ReadFull(resp.Body, head); err != nil {
				t.Fatalf("after 4 MiB: %v", err)
			}
			if !bytes.HasPrefix(head, []byte(prefix)) || bytes.IndexByte(head, '\n') >= 0 {
				t.Errorf("body starts %q and holds a newline at %d", head[:20], bytes.IndexByte(head, '\n'))
			}
			c.Close()
			deadline := time.Now().Add(5 * time.Second)
			for s.Stats().FaultsEndedByClient != 1 {
				if time.Now().After(deadline) {
					t.Fatal("the mock did not count the client's close")
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	t.Run("endless error: a 500 whose body never ends", func(t *testing.T) {
		_, br := rawChat(t, faultServer(t, Config{Fault: FaultEndlessError}), true)
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != 500 {
			t.Fatalf("status %v, err %v", resp, err)
		}
		if _, err := io.ReadFull(resp.Body, make([]byte, 2<<20)); err != nil {
			t.Fatalf("after 2 MiB: %v", err)
		}
	})
}

// serveOn serves s on a fresh 127.0.0.1 port and returns its address.
func serveOn(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln) //nolint:errcheck // ends with Close
	return ln.Addr().String()
}
