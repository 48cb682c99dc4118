package tracing_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/governance"
	"github.com/bifrost-gw/bifrost/mocks"
	pb "github.com/bifrost-gw/bifrost/proto/bifrost/v1"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/bifrost-gw/bifrost/server"
	"github.com/bifrost-gw/bifrost/server/grpcapi"
	"github.com/bifrost-gw/bifrost/tracing"
	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// freeAddr returns a free 127.0.0.1 address.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startReceiver runs the OpenTelemetry Collector's OTLP receiver (gRPC and HTTP) on free
// local ports, delivering into a sink. It returns the HTTP and gRPC addresses.
func startReceiver(t testing.TB) (httpAddr, grpcAddr string, sink *consumertest.TracesSink) {
	t.Helper()
	sink = new(consumertest.TracesSink)
	httpAddr, grpcAddr = startReceiverTo(t, sink)
	return httpAddr, grpcAddr, sink
}

// startReceiverTo is startReceiver delivering into next.
func startReceiverTo(t testing.TB, next consumer.Traces) (httpAddr, grpcAddr string) {
	t.Helper()
	f := otlpreceiver.NewFactory()
	cfg := f.CreateDefaultConfig().(*otlpreceiver.Config)
	httpAddr, grpcAddr = freeAddr(t), freeAddr(t)
	cfg.Protocols.HTTP.GetOrInsertDefault().ServerConfig.NetAddr.Endpoint = httpAddr
	cfg.Protocols.GRPC.GetOrInsertDefault().NetAddr.Endpoint = grpcAddr
	r, err := f.CreateTraces(context.Background(), receivertest.NewNopSettings(f.Type()), cfg, next)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Shutdown(context.Background()) }) //nolint:errcheck
	return httpAddr, grpcAddr
}

// startMock runs a mock provider on a free local port and returns its base URL.
func startMock(t testing.TB, cfg mocks.Config) (*mocks.Server, string) {
	t.Helper()
	m, err := mocks.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go m.Serve(ln)                  //nolint:errcheck // ends at Close
	t.Cleanup(func() { m.Close() }) //nolint:errcheck
	return m, "http://" + ln.Addr().String()
}

// gateway runs the gateway for cfgJSON with tr wired in as bifrost-http wires it, on a
// free local port, and returns its base URL.
func gateway(t testing.TB, cfgJSON string, tr *tracing.Tracer) string {
	t.Helper()
	return startGateway(t, cfgJSON, tr).url
}

// gw is a gateway started by startGateway: its HTTP base URL and a client of its gRPC API.
type gw struct {
	url  string
	grpc pb.BifrostClient
}

// startGateway runs the gateway for cfgJSON as bifrost-http runs it, with tr wired in and
// governance on when the config has a governance block: HTTP and the gRPC API, each on a
// free local port.
func startGateway(t testing.TB, cfgJSON string, tr *tracing.Tracer) gw {
	t.Helper()
	cfg, err := config.Parse("trace.json", []byte(cfgJSON), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	engine, err := runtime.NewWithOptions(cfg, runtime.Options{Adapters: adapters.All(), Observer: tr})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Apply(cfg.Tracing); err != nil {
		t.Fatal(err)
	}
	srv := server.New(engine, nil)
	srv.Configure(cfg.Client)
	gov, err := governance.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.SetGovernor(gov)
	hs := srv.NewHTTPServer(0)
	hs.Handler = tr.Handler(hs.Handler)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln) //nolint:errcheck // ends at Shutdown
	svc := grpcapi.New(srv)
	svc.SetTracer(tr)
	gs, _ := grpcapi.NewServer(svc)
	gln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go gs.Serve(gln) //nolint:errcheck // ends at Stop
	conn, err := grpc.NewClient(gln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		gs.Stop()
		hs.Shutdown() //nolint:errcheck
		engine.Close()
		gov.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		tr.Shutdown(ctx) //nolint:errcheck // an unreachable receiver may not take the rest
	})
	return gw{url: "http://" + ln.Addr().String(), grpc: pb.NewBifrostClient(conn)}
}

// post sends body to url with the given extra headers and returns the status and body.
func post(t testing.TB, url, body string, headers ...string) (int, string) {
	t.Helper()
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.Header.SetMethod("POST")
	req.SetRequestURI(url)
	req.Header.SetContentType("application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	req.SetBodyString(body)
	if err := fasthttp.DoTimeout(req, resp, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode(), string(resp.Body())
}

// spans lists the spans the sink holds.
func spans(sink *consumertest.TracesSink) []ptrace.Span {
	var out []ptrace.Span
	for _, td := range sink.AllTraces() {
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			ss := td.ResourceSpans().At(i).ScopeSpans()
			for j := 0; j < ss.Len(); j++ {
				sp := ss.At(j).Spans()
				for k := 0; k < sp.Len(); k++ {
					out = append(out, sp.At(k))
				}
			}
		}
	}
	return out
}

// waitSpans flushes tr until the sink holds at least n spans, or fails after a while.
func waitSpans(t testing.TB, tr *tracing.Tracer, sink *consumertest.TracesSink, n int) []ptrace.Span {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := tr.ForceFlush(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := spans(sink)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver got %d spans, want %d", len(got), n)
		}
		time.Sleep(20 * time.Millisecond) // a stream's span ends just after its last byte
	}
}

// attr returns span's attribute key as a string ("" when absent).
func attr(s ptrace.Span, key string) string {
	v, ok := s.Attributes().Get(key)
	if !ok {
		return ""
	}
	return v.AsString()
}

// everyString lists every string in s: name, attribute values, event names and
// attributes, status message.
func everyString(s ptrace.Span) string {
	var b strings.Builder
	b.WriteString(s.Name() + "\n" + s.Status().Message() + "\n")
	s.Attributes().Range(func(k string, v pcommon.Value) bool {
		b.WriteString(k + "=" + v.AsString() + "\n")
		return true
	})
	for i := 0; i < s.Events().Len(); i++ {
		e := s.Events().At(i)
		b.WriteString(e.Name() + "\n")
		e.Attributes().Range(func(k string, v pcommon.Value) bool {
			b.WriteString(k + "=" + v.AsString() + "\n")
			return true
		})
	}
	return b.String()
}
