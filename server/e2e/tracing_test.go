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

	"github.com/bifrost-gw/bifrost/mocks"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"google.golang.org/grpc/metadata"
)

// TestTracingReload runs the built gateway with a tracing block that is off, then
// reloads it on, pointed at the OpenTelemetry Collector's OTLP receiver: spans arrive
// only after the reload, with the gateway's service name and a server span over an
// attempt span, and none holds the key.
func TestTracingReload(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the gateway")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sink, recvAddr := startOTLPReceiver(t)
	_, mockURL := startMock(t, mocks.Config{RequireKey: mockKey})
	cfgPath := filepath.Join(t.TempDir(), "config.json")
	write := func(enabled string) {
		cfg := `{"providers":{` + providerJSON("openai", mockURL) + `},"tracing":{"enabled":` + enabled +
			`,"endpoint":"http://` + recvAddr + `","service_name":"bifrost-e2e"}}`
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("false")
	g := launchBinary(t, ctx, buildGateway(t, ctx), "-config", cfgPath, "-host", "127.0.0.1", "-port", "0", "-watch", "50ms")
	client := &http.Client{Timeout: 10 * time.Second}
	t.Cleanup(client.CloseIdleConnections)
	ask := func() {
		t.Helper()
		resp, body := post(t, client, g.url+"/v1/chat/completions", `{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s", resp.Status, body)
		}
	}
	ask()
	time.Sleep(20 * time.Millisecond) // a new modification time
	write("true")
	waitLog(t, g, "config reloaded", 1)
	waitLog(t, g, "tracing on", 1)
	ask()
	// Spans leave in batches, at least once a second, and at shutdown.
	if err := g.stop(os.Interrupt, 15*time.Second); err != nil {
		t.Fatal(err)
	}
	if n := sink.SpanCount(); n != 2 {
		t.Fatalf("the receiver got %d spans, want 2 (the request after the reload: server and attempt)", n)
	}
	rs := sink.AllTraces()[0].ResourceSpans().At(0)
	if name, _ := rs.Resource().Attributes().Get("service.name"); name.AsString() != "bifrost-e2e" {
		t.Errorf("service.name %q", name.AsString())
	}
	var server, attempt string
	var parent string
	spans := rs.ScopeSpans().At(0).Spans()
	for i := 0; i < spans.Len(); i++ {
		s := spans.At(i)
		var attrs strings.Builder
		s.Attributes().Range(func(k string, v pcommon.Value) bool { attrs.WriteString(k + "=" + v.AsString() + " "); return true })
		if strings.Contains(attrs.String(), mockKey) {
			t.Errorf("span %q holds the key", s.Name())
		}
		if s.ParentSpanID().IsEmpty() {
			server = s.SpanID().String()
		} else {
			attempt, parent = s.Name(), s.ParentSpanID().String()
		}
	}
	if attempt != "chat gpt-4o-mini" || parent != server {
		t.Errorf("attempt span %q under %s, want \"chat gpt-4o-mini\" under the server span %s", attempt, parent, server)
	}
}

// startOTLPReceiver runs the Collector's OTLP/HTTP receiver on a free 127.0.0.1 port.
func startOTLPReceiver(t *testing.T) (*consumertest.TracesSink, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	f := otlpreceiver.NewFactory()
	cfg := f.CreateDefaultConfig().(*otlpreceiver.Config)
	cfg.Protocols.HTTP.GetOrInsertDefault().ServerConfig.NetAddr.Endpoint = addr
	sink := new(consumertest.TracesSink)
	r, err := f.CreateTraces(context.Background(), receivertest.NewNopSettings(f.Type()), cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Shutdown(context.Background()) }) //nolint:errcheck
	return sink, addr
}

// TestGRPCTracing runs the built gateway's gRPC API with tracing on: a unary call under the
// client's traceparent and a server stream each reach the OTLP receiver as a server span
// named for the method, with the attempt span under it; the stream's has its first-token
// event.
func TestGRPCTracing(t *testing.T) {
	sink, recvAddr := startOTLPReceiver(t)
	_, mockURL := startMock(t, mocks.Config{RequireKey: mockKey, StreamChunks: 4})
	cfgPath := filepath.Join(t.TempDir(), "config.json")
	cfg := `{"providers":{` + providerJSON("openai", mockURL) + `},"tracing":{"enabled":true,"endpoint":"http://` + recvAddr + `"}}`
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	g, client, _ := grpcGateway(t, cfgPath)
	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	ctx := metadata.AppendToOutgoingContext(context.Background(), "traceparent", "00-"+traceID+"-"+parentID+"-01")
	if _, err := client.ChatCompletion(ctx, userChat("openai/gpt-4o-mini")); err != nil {
		t.Fatal(err)
	}
	st, err := client.ChatCompletionStream(context.Background(), userChat("openai/gpt-4o-mini"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := readStream(st); err != nil {
		t.Fatal(err)
	}
	if err := g.stop(os.Interrupt, 15*time.Second); err != nil { // spans leave at shutdown
		t.Fatal(err)
	}
	servers := map[string]ptrace.Span{}
	var attempts []ptrace.Span
	for _, td := range sink.AllTraces() {
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			ss := td.ResourceSpans().At(i).ScopeSpans()
			for j := 0; j < ss.Len(); j++ {
				for k := 0; k < ss.At(j).Spans().Len(); k++ {
					s := ss.At(j).Spans().At(k)
					if s.Kind() == ptrace.SpanKindServer {
						servers[s.Name()] = s
					} else {
						attempts = append(attempts, s)
					}
				}
			}
		}
	}
	unary, ok1 := servers["bifrost.v1.Bifrost/ChatCompletion"]
	stream, ok2 := servers["bifrost.v1.Bifrost/ChatCompletionStream"]
	if !ok1 || !ok2 || len(attempts) != 2 {
		t.Fatalf("server spans %v and %d attempt spans, want the two calls' and 2", servers, len(attempts))
	}
	if unary.TraceID().String() != traceID || unary.ParentSpanID().String() != parentID {
		t.Errorf("the unary call's span is in trace %s under %s, want the client's", unary.TraceID(), unary.ParentSpanID())
	}
	for _, srv := range []ptrace.Span{unary, stream} {
		n := 0
		for _, a := range attempts {
			if a.ParentSpanID() == srv.SpanID() && a.Name() == "chat gpt-4o-mini" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("span %q has %d attempt spans under it, want 1", srv.Name(), n)
		}
	}
	if stream.Events().Len() == 0 || stream.Events().At(0).Name() != "gen_ai.first_token" {
		t.Errorf("the stream's span has no first-token event")
	}
}
