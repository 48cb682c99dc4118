// Package server is the HTTP side of Bifrost: an OpenAI-compatible API on fasthttp in front
// of the runtime engine.
//
// Routes: POST /v1/chat/completions (plain and "stream": true server-sent events),
// POST /v1/completions (alias /v1/text/completions), POST /v1/embeddings, GET /v1/models,
// GET /health and GET /metrics; the same /v1 routes also answer under /openai/v1 for OpenAI
// SDKs pointed at the gateway's /openai base URL. Errors use OpenAI's
// {"error":{"message","type","param","code"}} body with the matching HTTP status.
//
// Each response carries X-Bifrost-Overhead-Us: the request's time in the gateway minus the
// time it waited on providers, in microseconds (the same figure as the
// bifrost_gateway_overhead_seconds histogram).
package server

import (
	"log/slog"
	"sync"
	"time"

	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/server/metrics"
	"github.com/valyala/fasthttp"
)

// OverheadHeader is the response header that carries the gateway's own time in microseconds.
const OverheadHeader = "X-Bifrost-Overhead-Us"

// Server serves the gateway's HTTP API.
type Server struct {
	engine         *runtime.Engine
	metrics        *metrics.Metrics
	log            *slog.Logger
	metricsHandler fasthttp.RequestHandler
	exchanges      sync.Pool
}

// New makes a server for engine. log may be nil.
func New(engine *runtime.Engine, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{engine: engine, log: log}
	s.metrics = metrics.New(func() []metrics.ProviderLoad {
		var out []metrics.ProviderLoad
		for _, l := range engine.Load(nil) {
			out = append(out, metrics.ProviderLoad{Provider: l.Name, InFlight: l.InFlight, Queued: l.Queued,
				Breaker: l.Breaker, KeyCooldowns: l.KeyCooldowns})
		}
		return out
	})
	s.metricsHandler = s.metrics.Handler()
	s.exchanges.New = func() any {
		x := &exchange{s: s}
		x.goneFn = x.gone
		x.streamFn = x.stream
		return x
	}
	return s
}

// Metrics returns the server's metrics.
func (s *Server) Metrics() *metrics.Metrics { return s.metrics }

// Handler returns the request router.
func (s *Server) Handler() fasthttp.RequestHandler { return s.handle }

// NewHTTPServer wraps the handler in a fasthttp.Server with the gateway's limits.
func (s *Server) NewHTTPServer(maxBodyBytes int) *fasthttp.Server {
	return &fasthttp.Server{
		Handler:               s.handle,
		Name:                  "bifrost",
		MaxRequestBodySize:    maxBodyBytes,
		ReadTimeout:           60 * time.Second,
		IdleTimeout:           120 * time.Second,
		NoDefaultServerHeader: true,
		NoDefaultDate:         false,
		StreamRequestBody:     false,
		ErrorHandler: func(ctx *fasthttp.RequestCtx, err error) {
			writeBadRequest(ctx, err)
		},
	}
}

func (s *Server) handle(ctx *fasthttp.RequestCtx) {
	path := ctx.Path()
	if len(path) > len("/openai") && string(path[:len("/openai/")]) == "/openai/" {
		path = path[len("/openai"):]
	}
	switch string(path) {
	case "/v1/chat/completions", "/chat/completions":
		if s.post(ctx) {
			s.serve(ctx, kindChat)
		}
	case "/v1/completions", "/v1/text/completions", "/completions":
		if s.post(ctx) {
			s.serve(ctx, kindText)
		}
	case "/v1/embeddings", "/embeddings":
		if s.post(ctx) {
			s.serve(ctx, kindEmbedding)
		}
	case "/v1/models", "/models":
		if s.get(ctx) {
			s.models(ctx)
		}
	case "/health":
		if s.get(ctx) {
			ctx.SetContentType("application/json")
			ctx.SetBodyString(`{"status":"ok"}`)
		}
	case "/metrics":
		if s.get(ctx) {
			s.metricsHandler(ctx)
		}
	default:
		writeError(ctx, 404, "not_found_error", "unknown_route", "", "no route for "+string(ctx.Method())+" "+string(ctx.Path()))
	}
}

func (s *Server) post(ctx *fasthttp.RequestCtx) bool {
	if ctx.IsPost() {
		return true
	}
	ctx.Response.Header.Set("Allow", "POST")
	writeError(ctx, 405, "invalid_request_error", "method_not_allowed", "", string(ctx.Method())+" is not allowed here: use POST")
	return false
}

func (s *Server) get(ctx *fasthttp.RequestCtx) bool {
	if ctx.IsGet() || ctx.IsHead() {
		return true
	}
	ctx.Response.Header.Set("Allow", "GET")
	writeError(ctx, 405, "invalid_request_error", "method_not_allowed", "", string(ctx.Method())+" is not allowed here: use GET")
	return false
}
