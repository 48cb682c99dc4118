package runtime_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime"
)

// TestResponseBounds shows that a provider cannot make the gateway hold an unbounded amount
// of memory (issue 10, defect 4): a plain body over max_response_body_mb, a plain body that
// never ends, and a stream line that never ends each end in a clear 502
// upstream_response_too_large, and the upstream connection is closed (the mock sees it go,
// before the engine drops its idle connections), within a second. An error status whose
// body never ends, sent to a stream request (fasthttp does not bound a streamed body), is
// cut at the same limit: the provider's 500 is reported, retried as a 500 is, and each
// connection is closed. The limits are 1 MiB here, so the case runs in well under a
// second; the assertions do not depend on RSS.
func TestResponseBounds(t *testing.T) {
	const limits = `,"max_response_body_mb":1,"max_stream_event_kb":1024`
	cases := []struct {
		name   string
		mock   mocks.Config
		stream bool
		// endless says the mock writes until the client closes: it must see the close.
		endless bool
		// status and code are the error expected; attempts how many requests go out.
		status, attempts int
		code             string
	}{
		{name: "2 MiB body with Content-Length", mock: mocks.Config{Fault: mocks.FaultHugeBody, FaultBodySize: 2 << 20}},
		{name: "endless chunked body", mock: mocks.Config{Fault: mocks.FaultEndlessLine}, endless: true},
		{name: "endless SSE line", mock: mocks.Config{Fault: mocks.FaultEndlessLine}, stream: true, endless: true},
		{name: "endless error body to a stream", mock: mocks.Config{Fault: mocks.FaultEndlessError}, stream: true, endless: true,
			status: 500, code: "", attempts: 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lc := newLeakCheck()
			up := serveMock(t, tc.mock)
			e := newEngine(t, `{"providers":{"openai":`+rigProvider(up.addr, 2, limits)+`}}`,
				timeouts{total: 5 * time.Second}, runtime.Options{})
			c := e.AcquireCall()
			if err := decodeChat(c, chatBody(model, tc.stream)); err != nil {
				t.Fatal(err)
			}
			t0 := time.Now()
			var err *runtime.Error
			if tc.stream {
				if err = e.ChatCompletionStream(c); err == nil {
					_, err = readStream(c, 0)
				}
			} else {
				err = e.ChatCompletion(c)
			}
			took := time.Since(t0)
			attempts := c.Attempts
			if err != nil {
				cp := *err // err points into c
				err = &cp
			}
			e.ReleaseCall(c)
			status, code, want := 502, "upstream_response_too_large", 1
			if tc.status != 0 {
				status, code, want = tc.status, tc.code, tc.attempts
			}
			if err == nil || err.Status != status || string(err.Body.Code) != code || !strings.Contains(err.Body.Message, "limit") {
				t.Fatalf("%+v, want %d %s naming the limit", err, status, code)
			}
			if attempts != want {
				t.Errorf("%d attempts, want %d", attempts, want)
			}
			if took > time.Second {
				t.Errorf("took %v, want the limit to cut it within a second", took)
			}
			if !eventually(func() bool { return up.ln.open.Load() == 0 }) {
				t.Errorf("%d connections still open at the mock: the connection went back to the pool", up.ln.open.Load())
			}
			if tc.endless && !eventually(func() bool { return up.m.Stats().FaultsEndedByClient == uint64(want) }) {
				t.Errorf("the mock did not see the client close its endless answer")
			}
			lc.done(t, e, up)
			if !t.Failed() {
				t.Logf("%s: %d %s after %v (%q); connection closed", tc.name, status, code, took.Round(time.Millisecond), err.Body.Message)
			}
		})
	}
}
