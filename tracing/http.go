package tracing

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// traceKey is the fasthttp user value under which a traced request keeps its state.
type traceKey struct{}

// request is one traced HTTP request or gRPC call (grpc.go): its server span and the
// attempt span in flight.
// The server span ends when both the handler has returned and every Call attached to the
// request has been released (a stream's Call is released when the stream ends): parties
// counts those still running.
type request struct {
	p       *pipeline
	ctx     context.Context // carries the server span
	span    trace.Span
	start   time.Time
	parties atomic.Int32
	hadCall atomic.Bool

	// Set and read by the Call's observer methods, which run in order on the goroutine
	// that holds the Call.
	attempt    trace.Span // the attempt in flight
	stream     trace.Span // a stream's successful attempt, open until the stream ends
	streamAt   time.Time  // when that attempt started
	reqModel   string
	ok         bool          // an attempt succeeded
	openCost   time.Duration // the gateway's own time before the stream opened
	errStatus  int           // c.Err when the stream opened, to tell a later failure
	errCode    string
	capturedIn bool
	finish     []string
	in, out    int
	usage      bool
	respModel  string
	outText    []byte // a stream's text so far, with content capture (addText)
	failed     bool   // the server span has its error.type from the Call
}

// Handler wraps next, the gateway's HTTP handler: with tracing on, each request runs in
// a server span, a child of the client's traceparent when it sent one. With tracing off
// it calls next and nothing else.
func (t *Tracer) Handler(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		p := t.cur.Load()
		if p == nil {
			next(ctx)
			return
		}
		r := p.startServer(ctx)
		ctx.SetUserValue(traceKey{}, r)
		next(ctx)
		r.handlerDone(ctx)
	}
}

// Attach links c to ctx's server span, so that the engine's attempts become its children
// and the span lasts until c is released. Without tracing it does nothing.
func Attach(ctx *fasthttp.RequestCtx, c *runtime.Call) {
	if r, ok := ctx.UserValue(traceKey{}).(*request); ok {
		r.parties.Add(1)
		r.hadCall.Store(true)
		c.SetTrace(r)
	}
}

// startServer starts the server span of the request in ctx.
func (p *pipeline) startServer(ctx *fasthttp.RequestCtx) *request {
	parent := p.prop.Extract(context.Background(), headerCarrier{&ctx.Request.Header})
	method, path := string(ctx.Method()), string(ctx.Path())
	name := method
	if r := route(path); r != "" {
		name += " " + r
	}
	r := &request{p: p, start: time.Now()}
	r.parties.Store(1)
	r.ctx, r.span = p.tracer.Start(parent, name, trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(r.start),
		trace.WithAttributes(attribute.String("http.request.method", method), attribute.String("url.path", path),
			attribute.String("url.scheme", scheme(ctx))))
	return r
}

// handlerDone records the response status and lets the span end, unless a Call still
// runs.
func (r *request) handlerDone(ctx *fasthttp.RequestCtx) {
	status := ctx.Response.StatusCode()
	r.span.SetAttributes(attribute.Int("http.response.status_code", status))
	if status >= 500 {
		r.span.SetStatus(codes.Error, "")
	}
	if status >= 400 && !r.hadCall.Load() {
		r.span.SetAttributes(attribute.String("error.type", strconv.Itoa(status)))
	}
	r.release()
}

// release ends the server span when the last party is done.
func (r *request) release() {
	if r.parties.Add(-1) == 0 {
		r.span.End()
	}
}

func scheme(ctx *fasthttp.RequestCtx) string {
	if ctx.IsTLS() {
		return "https"
	}
	return "http"
}

// routes are the paths that name a server span as they are; others are named by their
// method alone, so that span names stay few (an Azure deployment path names its route).
var routes = map[string]bool{
	"/v1/chat/completions": true, "/v1/completions": true, "/v1/text/completions": true, "/v1/embeddings": true,
	"/v1/models": true, "/openai/v1/chat/completions": true, "/openai/v1/completions": true,
	"/openai/v1/embeddings": true, "/openai/v1/models": true, "/anthropic/v1/messages": true,
	"/anthropic/v1/models": true, "/health": true, "/metrics": true,
}

// route returns the low-cardinality route of path (http.route), or "".
func route(path string) string {
	if routes[path] {
		return path
	}
	if rest, ok := strings.CutPrefix(path, "/openai/deployments/"); ok {
		if i := strings.LastIndexByte(rest, '/'); i > 0 {
			return "/openai/deployments/{deployment}" + rest[i:]
		}
	}
	return ""
}

// headerCarrier reads a fasthttp request's headers for a propagator.
type headerCarrier struct{ h *fasthttp.RequestHeader }

func (c headerCarrier) Get(key string) string { return string(c.h.Peek(key)) }
func (c headerCarrier) Set(key, value string) { c.h.Set(key, value) }
func (c headerCarrier) Keys() []string {
	var keys []string
	for k := range c.h.All() {
		keys = append(keys, string(k))
	}
	return keys
}

// callCarrier writes propagation headers into a Call's upstream request.
type callCarrier struct{ c *runtime.Call }

func (c callCarrier) Get(string) string     { return "" }
func (c callCarrier) Set(key, value string) { c.c.SetUpstreamHeader(key, value) }
func (c callCarrier) Keys() []string        { return nil }
