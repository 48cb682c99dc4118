package tracing_test

import (
	"context"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/mocks"
	pb "github.com/bifrost-gw/bifrost/proto/bifrost/v1"
	"github.com/bifrost-gw/bifrost/tracing"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/grpc/metadata"
)

// These tests trace the gRPC transport and the cost of answers, exporting to the real
// OTLP receiver (helpers_test.go).

const virtualKey = "vk-trace-SECRET-0003"

// governed is twoProviders with governance on: one virtual key, and prices of 1 USD per
// million input tokens and 2 USD per million output tokens on the models the tests use
// (exact names: they win over the built-in table).
func governed(openaiURL, groqURL, tracingBlock string) string {
	cfg := twoProviders(openaiURL, groqURL, tracingBlock)
	return strings.TrimSuffix(cfg, "}") + `,"governance":{"virtual_keys":[{"name":"trace-vk","value":"` + virtualKey + `"}],` +
		`"prices":{"openai/gpt-4o-mini":{"input":1,"output":2},"groq/llama-3.1-8b-instant":{"input":1,"output":2}}}}`
}

// grpcCtx is a call context with the virtual key and metadata pairs kv.
func grpcCtx(kv ...string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), append([]string{"x-api-key", virtualKey}, kv...)...)
}

// byKind splits spans into the server spans and the attempt (client) spans.
func byKind(all []ptrace.Span) (servers, attempts []ptrace.Span) {
	for _, s := range all {
		if s.Kind() == ptrace.SpanKindServer {
			servers = append(servers, s)
		} else {
			attempts = append(attempts, s)
		}
	}
	return servers, attempts
}

// childrenOf returns the attempt spans whose parent is srv.
func childrenOf(srv ptrace.Span, attempts []ptrace.Span) []ptrace.Span {
	var out []ptrace.Span
	for _, a := range attempts {
		if a.ParentSpanID() == srv.SpanID() {
			out = append(out, a)
		}
	}
	sortByStart(out)
	return out
}

// assertCost checks that span's bifrost.cost_usd is the price table times the usage on it.
func assertCost(t *testing.T, s ptrace.Span) {
	t.Helper()
	in, _ := strconv.ParseInt(attr(s, "gen_ai.usage.input_tokens"), 10, 64)
	out, _ := strconv.ParseInt(attr(s, "gen_ai.usage.output_tokens"), 10, 64)
	v, ok := s.Attributes().Get("bifrost.cost_usd")
	if !ok || in+out == 0 {
		t.Fatalf("span %q: cost %v, usage %d in, %d out: %s", s.Name(), v.AsString(), in, out, everyString(s))
	}
	want := float64(in*1000+out*2000) / 1e9 // nano-USD per token: 1,000 in, 2,000 out
	if math.Abs(v.Double()-want) > 1e-12 {
		t.Errorf("span %q: bifrost.cost_usd %v, want %v (usage %d in, %d out)", s.Name(), v.Double(), want, in, out)
	}
}

func TestGRPCSpans(t *testing.T) {
	httpAddr, _, sink := startReceiver(t)
	_, failing := startMock(t, mocks.Config{Rate503: 1})
	_, serving := startMock(t, mocks.Config{RequireKey: groqKey, StreamChunks: 5})
	tr := tracing.New(tracing.Options{Getenv: func(string) string { return "" }})
	g := startGateway(t, governed(failing, serving, `{"endpoint":"http://`+httpAddr+`"}`), tr)

	// Unary: retried, then fallen back, under the client's trace.
	req := &pb.ChatCompletionRequest{Model: "openai/gpt-4o-mini", Fallbacks: []string{"groq/llama-3.1-8b-instant"},
		Messages: []*pb.ChatMessage{{Role: "user", Content: prompt}}}
	if _, err := g.grpc.ChatCompletion(grpcCtx("traceparent", clientTrace), req); err != nil {
		t.Fatal(err)
	}
	servers, attempts := byKind(waitSpans(t, tr, sink, 4))
	if len(servers) != 1 || len(attempts) != 3 {
		t.Fatalf("%d server and %d attempt spans, want 1 and 3", len(servers), len(attempts))
	}
	srv := servers[0]
	if srv.Name() != "bifrost.v1.Bifrost/ChatCompletion" || srv.TraceID().String() != clientTraceID ||
		srv.ParentSpanID().String() != clientSpanID {
		t.Fatalf("server span %q in trace %s under %s, want bifrost.v1.Bifrost/ChatCompletion under the client's %s",
			srv.Name(), srv.TraceID(), srv.ParentSpanID(), clientSpanID)
	}
	for k, want := range map[string]string{"rpc.system": "grpc", "rpc.service": "bifrost.v1.Bifrost",
		"rpc.method": "ChatCompletion", "rpc.grpc.status_code": "0", "gen_ai.provider.name": "groq",
		"bifrost.attempts": "3", "bifrost.fallbacks": "1"} {
		if got := attr(srv, k); got != want {
			t.Errorf("server span %s = %q, want %q", k, got, want)
		}
	}
	assertCost(t, srv)
	kids := childrenOf(srv, attempts)
	if len(kids) != 3 || attr(kids[0], "bifrost.retry") != "0" || attr(kids[1], "bifrost.retry") != "1" ||
		attr(kids[2], "gen_ai.provider.name") != "groq" || attr(kids[2], "bifrost.fallback_index") != "1" {
		t.Fatalf("attempts under the server span: %d, want openai, openai (retry), groq (fallback)", len(kids))
	}

	// Server stream: a server span and its attempt, both with the first-token event,
	// ending when the stream ends.
	sink.Reset()
	st, err := g.grpc.ChatCompletionStream(grpcCtx(), &pb.ChatCompletionRequest{Model: "groq/llama-3.1-8b-instant",
		Messages: []*pb.ChatMessage{{Role: "user", Content: prompt}}})
	if err != nil {
		t.Fatal(err)
	}
	chunks := 0
	for {
		if _, err := st.Recv(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		chunks++
	}
	all := waitSpans(t, tr, sink, 2)
	servers, attempts = byKind(all)
	if len(servers) != 1 || len(attempts) != 1 || chunks == 0 {
		t.Fatalf("%d server and %d attempt spans after %d chunks, want 1 and 1", len(servers), len(attempts), chunks)
	}
	srv = servers[0]
	if srv.Name() != "bifrost.v1.Bifrost/ChatCompletionStream" || attempts[0].ParentSpanID() != srv.SpanID() {
		t.Fatalf("server span %q, attempt under %s", srv.Name(), attempts[0].ParentSpanID())
	}
	for _, s := range []ptrace.Span{srv, attempts[0]} {
		if s.Events().Len() == 0 || s.Events().At(0).Name() != "gen_ai.first_token" {
			t.Fatalf("span %q has no first-token event: %s", s.Name(), everyString(s))
		}
		if s.EndTimestamp() < s.Events().At(0).Timestamp() || attr(s, "gen_ai.response.finish_reasons") == "" {
			t.Errorf("span %q ended before its first chunk, or lacks the finish reason: %s", s.Name(), everyString(s))
		}
	}
	assertCost(t, srv)
	assertClean(t, all)
}

// TestGRPCRefusalSpan: a call the gateway refuses before any attempt still has its server
// span, with its gRPC status and error type.
func TestGRPCRefusalSpan(t *testing.T) {
	httpAddr, _, sink := startReceiver(t)
	_, failing := startMock(t, mocks.Config{Rate503: 1})
	_, serving := startMock(t, mocks.Config{RequireKey: groqKey})
	tr := tracing.New(tracing.Options{Getenv: func(string) string { return "" }})
	g := startGateway(t, governed(failing, serving, `{"endpoint":"http://`+httpAddr+`"}`), tr)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-api-key", "vk-nobody")
	if _, err := g.grpc.ChatCompletion(ctx, &pb.ChatCompletionRequest{Model: "groq/x"}); err == nil {
		t.Fatal("an unknown key was served")
	}
	servers, _ := byKind(waitSpans(t, tr, sink, 1))
	if len(servers) != 1 || attr(servers[0], "rpc.grpc.status_code") != "16" || attr(servers[0], "error.type") != "Unauthenticated" {
		t.Fatalf("refused call's span: %v", servers)
	}
}

// TestCostOnHTTPSpans: over HTTP too, the server span of a plain answer and of a stream
// carries bifrost.cost_usd, the price table times the usage.
func TestCostOnHTTPSpans(t *testing.T) {
	httpAddr, _, sink := startReceiver(t)
	_, failing := startMock(t, mocks.Config{Rate503: 1})
	_, serving := startMock(t, mocks.Config{RequireKey: groqKey, StreamChunks: 5})
	tr := tracing.New(tracing.Options{Getenv: func(string) string { return "" }})
	g := startGateway(t, governed(failing, serving, `{"endpoint":"http://`+httpAddr+`"}`), tr)
	for _, stream := range []string{"false", "true"} {
		sink.Reset()
		req := `{"model":"groq/llama-3.1-8b-instant","stream":` + stream + `,"messages":[{"role":"user","content":"hi"}]}`
		if status, body := post(t, g.url+"/v1/chat/completions", req, "x-api-key", virtualKey); status != 200 {
			t.Fatalf("stream %s: status %d: %s", stream, status, body)
		}
		servers, _ := byKind(waitSpans(t, tr, sink, 2))
		if len(servers) != 1 {
			t.Fatalf("stream %s: %d server spans", stream, len(servers))
		}
		assertCost(t, servers[0])
	}
}

// TestStreamContentCaptured: with capture_content a stream's server span has the streamed
// completion text, truncated to max_content_bytes, and ends with the stream.
func TestStreamContentCaptured(t *testing.T) {
	for _, limit := range []int{4096, 40} {
		t.Run(strconv.Itoa(limit), func(t *testing.T) {
			httpAddr, _, sink := startReceiver(t)
			_, failing := startMock(t, mocks.Config{Rate503: 1})
			_, serving := startMock(t, mocks.Config{RequireKey: groqKey, StreamChunks: 8})
			tr := tracing.New(tracing.Options{Getenv: func(string) string { return "" }})
			g := startGateway(t, twoProviders(failing, serving, `{"endpoint":"http://`+httpAddr+
				`","capture_content":true,"max_content_bytes":`+strconv.Itoa(limit)+`}`), tr)
			req := `{"model":"groq/llama-3.1-8b-instant","stream":true,"messages":[{"role":"user","content":"` + prompt + `"}]}`
			status, body := post(t, g.url+"/v1/chat/completions", req)
			if status != 200 {
				t.Fatalf("status %d: %s", status, body)
			}
			text := streamedText(t, body)
			servers, _ := byKind(waitSpans(t, tr, sink, 2))
			out := attr(servers[0], "gen_ai.output.messages")
			if len(out) > limit || !strings.HasPrefix(out, `[{"role":"assistant","content":"`) {
				t.Fatalf("output %q: want an assistant message of at most %d bytes", out, limit)
			}
			if limit > len(text)+64 && out != `[{"role":"assistant","content":"`+text+`"}]` {
				t.Errorf("output %q, want the streamed text %q", out, text)
			}
			if servers[0].EndTimestamp() < servers[0].Events().At(0).Timestamp() {
				t.Errorf("the server span ended before the stream's first chunk")
			}
		})
	}
}

// streamedText joins the content deltas of an SSE chat stream (plain text, as the mock
// sends it, without escapes).
func streamedText(t *testing.T, body string) string {
	t.Helper()
	var b strings.Builder
	for _, line := range strings.Split(body, "\n") {
		_, rest, ok := strings.Cut(line, `"content":"`)
		if !ok {
			continue
		}
		end := strings.IndexByte(rest, '"')
		if end < 0 {
			t.Fatalf("bad chunk %q", line)
		}
		b.WriteString(rest[:end])
	}
	if b.Len() == 0 {
		t.Fatalf("no content in %s", body)
	}
	return b.String()
}

// TestGRPCTextStreamContent: with capture_content, a gRPC text completion stream's server
// span has the prompt and the text the client received, in the shape of a whole answer's.
func TestGRPCTextStreamContent(t *testing.T) {
	httpAddr, _, sink := startReceiver(t)
	_, serving := startMock(t, mocks.Config{RequireKey: openaiKey, StreamChunks: 6})
	_, failing := startMock(t, mocks.Config{Rate503: 1})
	tr := tracing.New(tracing.Options{Getenv: func(string) string { return "" }})
	g := startGateway(t, twoProviders(serving, failing, `{"endpoint":"http://`+httpAddr+`","capture_content":true}`), tr)
	st, err := g.grpc.TextCompletionStream(context.Background(), &pb.TextCompletionRequest{
		Model: "openai/gpt-3.5-turbo-instruct", Prompt: []string{prompt}})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for {
		r, err := st.Recv()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		for _, c := range r.Choices {
			text.WriteString(c.Text)
		}
	}
	servers, _ := byKind(waitSpans(t, tr, sink, 2))
	if len(servers) != 1 || servers[0].Name() != "bifrost.v1.Bifrost/TextCompletionStream" {
		t.Fatalf("server spans %v", servers)
	}
	in, out := attr(servers[0], "gen_ai.input.messages"), attr(servers[0], "gen_ai.output.messages")
	if !strings.Contains(in, "PROMPT-MARKER") || text.Len() == 0 || out != `["`+text.String()+`"]` {
		t.Errorf("input %q, output %q; want the prompt, and the streamed text %q", in, out, text.String())
	}
}
