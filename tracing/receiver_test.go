package tracing_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/tracing"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// These tests export to a real OTLP receiver, the OpenTelemetry Collector's otlpreceiver,
// and read back what it received.

const (
	openaiKey = "sk-openai-SECRET-value-0001"
	groqKey   = "gsk-groq-SECRET-value-0002"
	prompt    = "PROMPT-MARKER what is the capital of France"
	// clientTrace is the W3C traceparent a client sends.
	clientTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	clientSpanID  = "00f067aa0ba902b7"
	clientTrace   = "00-" + clientTraceID + "-" + clientSpanID + "-01"
)

// twoProviders is a config whose openai provider fails (its mock answers 503) after one
// retry, with groq behind it, and the given tracing block.
func twoProviders(openaiURL, groqURL, tracingBlock string) string {
	return `{"providers":{
	  "openai":{"keys":[{"name":"openai-main","value":"` + openaiKey + `","models":["*"],"weight":1}],
	    "network_config":{"base_url":"` + openaiURL + `","max_retries":1,"retry_backoff_initial":"1ms","retry_backoff_max":"2ms"}},
	  "groq":{"keys":[{"name":"groq-main","value":"` + groqKey + `","models":["*"],"weight":1}],
	    "network_config":{"base_url":"` + groqURL + `"}}},
	"tracing":` + tracingBlock + `}`
}

const chatRequest = `{"model":"openai/gpt-4o-mini","fallbacks":["groq/llama-3.1-8b-instant"],` +
	`"messages":[{"role":"user","content":"` + prompt + `"}]}`

func TestRetriedThenFallenBackRequest(t *testing.T) {
	httpAddr, _, sink := startReceiver(t)
	_, failing := startMock(t, mocks.Config{Rate503: 1})
	groq, serving := startMock(t, mocks.Config{RequireKey: groqKey, Record: true})
	tr := tracing.New(tracing.Options{Getenv: func(string) string { return "" }})
	gw := gateway(t, twoProviders(failing, serving,
		`{"endpoint":"http://`+httpAddr+`","protocol":"http","propagate_to_provider":true}`), tr)

	status, body := post(t, gw+"/v1/chat/completions", chatRequest, "traceparent", clientTrace)
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	all := waitSpans(t, tr, sink, 4)
	if len(all) != 4 {
		t.Fatalf("%d spans, want 4 (server + 3 attempts)", len(all))
	}
	var srv ptrace.Span
	var attempts []ptrace.Span
	for _, s := range all {
		if s.TraceID().String() != clientTraceID {
			t.Errorf("span %q: trace %s, want the client's %s", s.Name(), s.TraceID(), clientTraceID)
		}
		switch s.Kind() {
		case ptrace.SpanKindServer:
			srv = s
		case ptrace.SpanKindClient:
			attempts = append(attempts, s)
		}
	}
	if srv.Name() != "POST /v1/chat/completions" || srv.ParentSpanID().String() != clientSpanID {
		t.Fatalf("server span %q with parent %s, want POST /v1/chat/completions under %s", srv.Name(), srv.ParentSpanID(), clientSpanID)
	}
	for k, want := range map[string]string{"gen_ai.operation.name": "chat", "gen_ai.provider.name": "groq",
		"gen_ai.request.model": "gpt-4o-mini", "http.response.status_code": "200", "bifrost.attempts": "3",
		"bifrost.fallbacks": "1"} {
		if got := attr(srv, k); got != want {
			t.Errorf("server span %s = %q, want %q", k, got, want)
		}
	}
	if attr(srv, "bifrost.overhead_ms") == "" || attr(srv, "gen_ai.usage.output_tokens") == "" {
		t.Errorf("server span lacks overhead or usage: %s", everyString(srv))
	}
	if len(attempts) != 3 {
		t.Fatalf("%d attempt spans, want 3", len(attempts))
	}
	want := []struct{ provider, model, key, retry, fallback, status, errType string }{
		{"openai", "gpt-4o-mini", "openai-main", "0", "0", "503", "server_error"},
		{"openai", "gpt-4o-mini", "openai-main", "1", "0", "503", "server_error"},
		{"groq", "llama-3.1-8b-instant", "groq-main", "0", "1", "200", ""},
	}
	sortByStart(attempts)
	for i, w := range want {
		a := attempts[i]
		if a.ParentSpanID() != srv.SpanID() {
			t.Errorf("attempt %d: parent %s, want the server span %s", i, a.ParentSpanID(), srv.SpanID())
		}
		got := []string{attr(a, "gen_ai.provider.name"), attr(a, "gen_ai.request.model"), attr(a, "bifrost.key.name"),
			attr(a, "bifrost.retry"), attr(a, "bifrost.fallback_index"), attr(a, "http.response.status_code")}
		exp := []string{w.provider, w.model, w.key, w.retry, w.fallback, w.status}
		if strings.Join(got, " ") != strings.Join(exp, " ") {
			t.Errorf("attempt %d: %v, want %v", i, got, exp)
		}
		if a.Name() != "chat "+w.model {
			t.Errorf("attempt %d named %q, want %q", i, a.Name(), "chat "+w.model)
		}
		failed := a.Status().Code() == ptrace.StatusCodeError
		if failed != (w.errType != "") || attr(a, "error.type") != w.errType {
			t.Errorf("attempt %d: status %v, error.type %q; want failed=%v", i, a.Status().Code(), attr(a, "error.type"), w.errType != "")
		}
	}
	if testing.Verbose() {
		for _, s := range all {
			t.Logf("%s", everyString(s))
		}
	}
	last := attempts[2]
	if attr(last, "gen_ai.response.model") == "" || attr(last, "gen_ai.usage.input_tokens") == "" ||
		attr(last, "gen_ai.response.finish_reasons") == "" {
		t.Errorf("the answering attempt lacks response attributes: %s", everyString(last))
	}
	// The provider got the attempt's own traceparent (propagate_to_provider).
	reqs := groq.Requests()
	if len(reqs) != 1 {
		t.Fatalf("groq got %d requests", len(reqs))
	}
	if tp := reqs[0].Header["Traceparent"]; tp != "00-"+clientTraceID+"-"+last.SpanID().String()+"-01" {
		t.Errorf("groq got traceparent %q, want the attempt span's", tp)
	}
	assertClean(t, all)
}

// assertClean fails when a span holds a key's value or (content capture being off) the
// prompt.
func assertClean(t *testing.T, all []ptrace.Span) {
	t.Helper()
	for _, s := range all {
		text := everyString(s)
		for _, secret := range []string{openaiKey, groqKey, "SECRET", prompt, "PROMPT-MARKER"} {
			if strings.Contains(text, secret) {
				t.Errorf("span %q holds %q:\n%s", s.Name(), secret, text)
			}
		}
	}
}

func sortByStart(s []ptrace.Span) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].StartTimestamp() < s[j-1].StartTimestamp(); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func TestStreamSpanOverGRPC(t *testing.T) {
	_, grpcAddr, sink := startReceiver(t)
	_, failing := startMock(t, mocks.Config{Rate503: 1})
	_, serving := startMock(t, mocks.Config{RequireKey: groqKey, StreamChunks: 5})
	tr := tracing.New(tracing.Options{Getenv: func(string) string { return "" }})
	gw := gateway(t, twoProviders(failing, serving, `{"endpoint":"`+grpcAddr+`","protocol":"grpc"}`), tr)

	req := `{"model":"groq/llama-3.1-8b-instant","stream":true,"stream_options":{"include_usage":true},` +
		`"messages":[{"role":"user","content":"` + prompt + `"}]}`
	status, body := post(t, gw+"/v1/chat/completions", req)
	if status != 200 || !strings.Contains(body, "[DONE]") {
		t.Fatalf("status %d: %s", status, body)
	}
	all := waitSpans(t, tr, sink, 2)
	var srv, attempt ptrace.Span
	for _, s := range all {
		if s.Kind() == ptrace.SpanKindServer {
			srv = s
		} else {
			attempt = s
		}
	}
	if attempt.ParentSpanID() != srv.SpanID() || srv.ParentSpanID().IsEmpty() == false {
		t.Fatalf("attempt's parent %s, server %s (its parent %s)", attempt.ParentSpanID(), srv.SpanID(), srv.ParentSpanID())
	}
	for _, s := range []ptrace.Span{srv, attempt} {
		if s.Events().Len() == 0 || s.Events().At(0).Name() != "gen_ai.first_token" {
			t.Fatalf("span %q has no first-token event: %s", s.Name(), everyString(s))
		}
		ttft, ok := s.Events().At(0).Attributes().Get("gen_ai.response.time_to_first_chunk")
		if !ok || ttft.Double() <= 0 {
			t.Errorf("span %q: time to first chunk %v", s.Name(), ttft.AsString())
		}
		if attr(s, "gen_ai.response.finish_reasons") == "" || attr(s, "gen_ai.usage.output_tokens") == "" {
			t.Errorf("span %q lacks the stream's finish reason or usage: %s", s.Name(), everyString(s))
		}
		// The span lasts until the stream ends, after its first chunk.
		if s.EndTimestamp() < s.Events().At(0).Timestamp() {
			t.Errorf("span %q ended before its first chunk", s.Name())
		}
	}
	assertClean(t, all)
}

func TestExporterDownCostsNoRequest(t *testing.T) {
	_, failing := startMock(t, mocks.Config{Rate503: 1})
	_, serving := startMock(t, mocks.Config{RequireKey: groqKey})
	tr := tracing.New(tracing.Options{Getenv: func(string) string { return "" }})
	down := freeAddr(t) // nothing listens there
	gw := gateway(t, twoProviders(failing, serving, `{"endpoint":"http://`+down+`","queue_size":4}`), tr)
	req := `{"model":"groq/llama-3.1-8b-instant","messages":[{"role":"user","content":"hi"}]}`
	for i := 0; i < 30; i++ {
		t0 := time.Now()
		if status, body := post(t, gw+"/v1/chat/completions", req); status != 200 {
			t.Fatalf("request %d: status %d: %s", i, status, body)
		}
		// Not a speed check: a request that waited on the exporter would take its 10 s timeout.
		if d := time.Since(t0); d > 5*time.Second {
			t.Fatalf("request %d took %v with the exporter down", i, d)
		}
	}
	if tr.Dropped() == 0 {
		t.Errorf("60 spans through a queue of 4 with the receiver down: none counted as dropped")
	}
}

func TestCaptureContentIsTruncated(t *testing.T) {
	httpAddr, _, sink := startReceiver(t)
	_, failing := startMock(t, mocks.Config{Rate503: 1})
	_, serving := startMock(t, mocks.Config{RequireKey: groqKey})
	tr := tracing.New(tracing.Options{Getenv: func(string) string { return "" }})
	gw := gateway(t, twoProviders(failing, serving,
		`{"endpoint":"http://`+httpAddr+`","capture_content":true,"max_content_bytes":40}`), tr)
	req := `{"model":"groq/llama-3.1-8b-instant","messages":[{"role":"user","content":"` + prompt + `"}]}`
	if status, body := post(t, gw+"/v1/chat/completions", req); status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	for _, s := range waitSpans(t, tr, sink, 2) {
		if s.Kind() != ptrace.SpanKindServer {
			continue
		}
		in, out := attr(s, "gen_ai.input.messages"), attr(s, "gen_ai.output.messages")
		if !strings.Contains(in, "PROMPT-MARKER") || len(in) > 40 || out == "" || len(out) > 40 {
			t.Errorf("input %q, output %q: want both captured, at most 40 bytes", in, out)
		}
	}
}
