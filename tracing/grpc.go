package tracing

import (
	"context"
	"strings"
	"time"

	"github.com/bifrost-gw/bifrost/runtime"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	grpccodes "google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// The gRPC transport's server spans follow the OpenTelemetry RPC conventions
// (https://opentelemetry.io/docs/specs/semconv/rpc/grpc/): named
// "{rpc.service}/{rpc.method}", with rpc.system "grpc", rpc.service, rpc.method and
// rpc.grpc.status_code. The engine's attempts are their children, as on HTTP.

// ctxKey is the context key under which a traced gRPC call keeps its state.
type ctxKey struct{}

// UnaryInterceptor runs each unary call in a server span while tracing is on, a child of
// the client's traceparent metadata when it sent one. With tracing off it calls the
// handler and nothing else. Put it first (outermost), so that refused calls are traced too.
func (t *Tracer) UnaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	p := t.cur.Load()
	if p == nil {
		return h(ctx, req)
	}
	r := p.startRPC(ctx, info.FullMethod)
	resp, err := h(context.WithValue(ctx, ctxKey{}, r), req)
	r.rpcDone(err)
	return resp, err
}

// StreamInterceptor is UnaryInterceptor for streaming calls: the span lasts until the
// handler returns, which for a server stream is when the stream ends.
func (t *Tracer) StreamInterceptor(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	p := t.cur.Load()
	if p == nil {
		return h(srv, ss)
	}
	r := p.startRPC(ss.Context(), info.FullMethod)
	err := h(srv, tracedStream{ServerStream: ss, ctx: context.WithValue(ss.Context(), ctxKey{}, r)})
	r.rpcDone(err)
	return err
}

// AttachContext links c to the server span of the gRPC call whose context is ctx, as
// Attach does for HTTP. Without tracing it does nothing.
func AttachContext(ctx context.Context, c *runtime.Call) {
	if r, ok := ctx.Value(ctxKey{}).(*request); ok {
		r.parties.Add(1)
		r.hadCall.Store(true)
		c.SetTrace(r)
	}
}

// tracedStream is a server stream whose context carries the call's trace state.
type tracedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s tracedStream) Context() context.Context { return s.ctx }

// startRPC starts the server span of the gRPC call method ("/package.Service/Method").
func (p *pipeline) startRPC(ctx context.Context, method string) *request {
	md, _ := metadata.FromIncomingContext(ctx)
	parent := p.prop.Extract(context.Background(), mdCarrier(md))
	name := strings.TrimPrefix(method, "/")
	service, rpc, _ := strings.Cut(name, "/")
	r := &request{p: p, start: time.Now()}
	r.parties.Store(1)
	r.ctx, r.span = p.tracer.Start(parent, name, trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(r.start),
		trace.WithAttributes(attribute.String("rpc.system", "grpc"), attribute.String("rpc.service", service),
			attribute.String("rpc.method", rpc)))
	return r
}

// rpcDone records the call's status code and lets the span end, unless a Call still
// runs. The span is an error for the codes the conventions name as server errors.
func (r *request) rpcDone(err error) {
	code := status.Code(err)
	r.span.SetAttributes(attribute.Int("rpc.grpc.status_code", int(code)))
	switch code {
	case grpccodes.Unknown, grpccodes.DeadlineExceeded, grpccodes.Unimplemented, grpccodes.Internal,
		grpccodes.Unavailable, grpccodes.DataLoss:
		r.span.SetStatus(codes.Error, code.String())
	}
	if code != grpccodes.OK && !r.failed {
		r.span.SetAttributes(attribute.String("error.type", code.String()))
	}
	r.release()
}

// mdCarrier reads a call's incoming metadata for a propagator (keys are lower case).
type mdCarrier metadata.MD

func (c mdCarrier) Get(key string) string {
	if v := metadata.MD(c).Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

func (c mdCarrier) Set(key, value string) { metadata.MD(c).Set(key, value) }

func (c mdCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}
