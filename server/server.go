// Package server is the HTTP side of Bifrost: an OpenAI-compatible API on fasthttp in front
// of the runtime engine.
//
// Routes: POST /v1/chat/completions (plain and "stream": true server-sent events),
// POST /v1/completions (alias /v1/text/completions), POST /v1/embeddings, GET /v1/models,
// GET /health and GET /metrics. The Anthropic drop-in API answers under /anthropic/v1
// (anthropic.go): POST /anthropic/v1/messages and GET /anthropic/v1/models, in Anthropic's
// shapes. POST /v1/responses, GET and DELETE /v1/responses/{id} and GET
// /v1/responses/{id}/input_items serve OpenAI's Responses API for every provider
// (responses.go). The same /v1 routes also answer under /openai/v1 for OpenAI
// SDKs pointed at the gateway's /openai base URL, and Azure OpenAI's deployment paths
// (/openai/deployments/{deployment}/chat/completions, .../completions, .../embeddings, with
// any ?api-version=) run the same handlers with the deployment as the model. Errors use
// OpenAI's {"error":{"message","type","param","code"}} body with the matching HTTP status.
//
// With gateway API keys configured (client.api_keys, see Configure), every route but
// /health needs one, /metrics included: "Authorization: Bearer <key>", "x-api-key" or
// "api-key"; a request without a valid key gets 401. With client.allow_direct_keys on, a
// client may send its own provider key in the x-bf-provider-key header.
//
// Each response carries X-Bifrost-Overhead-Us: the request's time in the gateway minus the
// time it waited on providers, in microseconds (the same figure as the
// bifrost_gateway_overhead_seconds histogram). A response a plugin answered carries
// X-Bifrost-Short-Circuit with the plugin's name.
//
// The intake (intake.go) checks every request before it is served, and a large one before
// its body is read (early.go): a gateway key when there is a body, Content-Type
// application/json (415 otherwise), Content-Encoding gzip or none (415 otherwise),
// client.max_request_body_size_mb (413) and the cap on request bytes buffered at once,
// client.max_buffered_request_mb (503 with Retry-After). CORS follows
// client.allowed_origins (cors.go): none by default. The listener (listener.go, see Listen)
// survives running out of file descriptors and caps the connections held. Every limit is
// applied again on a config reload (Configure).
//
// Every request is logged at info level, after it is answered, as one "request" line with
// method, path, status, provider, model, duration, overhead, retries and fallbacks; never
// the prompt, the answer or a key. At levels above info nothing is formatted and nothing
// is allocated for it.
package server

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bifrost-gw/bifrost/governance"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/bifrost-gw/bifrost/server/metrics"
	"github.com/valyala/fasthttp"
)

// OverheadHeader is the response header that carries the gateway's own time in microseconds.
const OverheadHeader = "X-Bifrost-Overhead-Us"

// Server serves the gateway's HTTP API.
type Server struct {
	engine    *runtime.Engine
	metrics   *metrics.Metrics
	log       *slog.Logger
	accessLog *AccessLog // when set, access lines go here instead of through log
	// overheadKey is OverheadHeader as bytes: it is canonical already, so every answer sets
	// it with SetCanonical, without fasthttp's copy and normalization of the name.
	overheadKey    []byte
	metricsHandler fasthttp.RequestHandler
	exchanges      sync.Pool
	anthropic      sync.Pool // *anthropicExchange, made on demand (anthropic.go)
	responses      sync.Pool // *responsesExchange, made on demand (responses.go)
	respStore      atomic.Pointer[responsesStore]
	access         atomic.Pointer[access]
	// buffered counts the request body bytes reserved by requests in their handlers
	// (intake.go), or from their headers on (early.go).
	buffered atomic.Int64
	// early carries what the intake decided at the header of a large request to its
	// handler or the ErrorHandler (early.go).
	early earlyBook
	// dropped counts the bytes of large body buffers dropped since memory was last given
	// back to the OS, at lastFree (Unix nanoseconds); freeing is set while a release is
	// scheduled (intake.go).
	dropped, lastFree atomic.Int64
	freeing           atomic.Bool

	// gov is governance (governance.go), nil when SetGovernor was not called.
	gov *governance.Governor
	// noPassthrough turns the passthrough path off (SetPassthrough); passed counts the
	// answers served on it (passthrough.go).
	noPassthrough bool
	passed        atomic.Uint64
	// served counts the requests served, for TrimWhenIdle (idletrim.go).
	served atomic.Uint64

	mu       sync.Mutex
	client   config.Client // the settings last configured, for Listen
	listener *Listener     // made by Listen
}

// New makes a server for engine. log may be nil. The server has no gateway API keys and
// refuses direct keys until Configure says otherwise.
func New(engine *runtime.Engine, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{engine: engine, log: log, overheadKey: []byte(OverheadHeader)}
	s.access.Store(newAccess(config.Client{}))
	s.SetResponseStore(nil)
	s.metrics = metrics.New(func() []metrics.ProviderLoad {
		var out []metrics.ProviderLoad
		for _, l := range engine.Load(nil) {
			out = append(out, metrics.ProviderLoad{Provider: l.Name, InFlight: l.InFlight, Queued: l.Queued,
				Breaker: l.Breaker, KeyCooldowns: l.KeyCooldowns, Dropped: l.Dropped})
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

// Listen wraps ln in the gateway's Listener (listener.go): accept errors such as running
// out of file descriptors are retried instead of ending Serve, and the connection caps of
// the client settings (Configure, now and on every reload) apply. Serve the returned
// listener.
func (s *Server) Listen(ln net.Listener) *Listener {
	l := NewListener(ln, s.log, s.metrics)
	s.mu.Lock()
	defer s.mu.Unlock()
	l.SetLimits(connCap(s.client.MaxConnections), s.client.MaxConnectionsPerIP)
	s.listener = l
	return l
}

// maxHeaderBytes is the most request header bytes accepted (request line included); common
// proxies accept 16 KB or more of headers.
const maxHeaderBytes = 20 << 10

// readTimeout bounds reading a request, its body included.
const readTimeout = 60 * time.Second

// NewHTTPServer wraps the handler in a fasthttp.Server with the gateway's limits.
// maxBodyBytes, if > 0, becomes the request body limit until the next Configure; the limit
// in force is read per request (intake.go), so a reload changes it.
//
// fasthttp reads a request's body before the handler runs. A large or chunked body is
// judged on its header first (HeaderReceived, early.go), so that no body is read that the
// intake refuses, and fasthttp's multipart pre-parsing is off. On shutdown, answers carry
// Connection: close (CloseOnShutdown), and fasthttp's ShutdownWithContext closes idle
// connections.
func (s *Server) NewHTTPServer(maxBodyBytes int) *fasthttp.Server {
	if maxBodyBytes > 0 {
		a := *s.access.Load()
		a.maxBody = int64(maxBodyBytes)
		a.maxBuffered = max(a.maxBuffered, a.maxBody)
		s.access.Store(&a)
	}
	return &fasthttp.Server{
		Handler:                      s.handle,
		HeaderReceived:               s.headerReceived,
		ExpectHandler:                s.expect,
		Name:                         "bifrost",
		MaxRequestBodySize:           maxBodyBytes,
		DisablePreParseMultipartForm: true,
		ReadBufferSize:               maxHeaderBytes,
		ReadTimeout:                  readTimeout,
		IdleTimeout:                  120 * time.Second,
		NoDefaultServerHeader:        true,
		NoDefaultDate:                false,
		CloseOnShutdown:              true,
		Logger:                       fasthttpLogger{s.log},
		// fasthttp's errors about a malformed request quote its head, credentials
		// included ("contents: ..."); they reach the log and the 400's message.
		SecureErrorLogMessage: true,
		// Give a keep-alive connection's buffers back to fasthttp's pools while it waits
		// for its next request: its read buffer (20 KB) once a request was read whole, and
		// its write buffer once it was answered (idletrim_memory_test.go).
		ReduceMemoryUsage: true,
		ErrorHandler:      s.requestFailed,
	}
}

// fasthttpLogger sends fasthttp's log lines to the server's logger, at warn level.
type fasthttpLogger struct{ log *slog.Logger }

// Printf logs one fasthttp message.
func (l fasthttpLogger) Printf(format string, args ...any) {
	l.log.Warn("fasthttp: " + fmt.Sprintf(format, args...))
}

var (
	openaiPrefix      = []byte("/openai/")
	deploymentsPrefix = []byte("/deployments/")
	azurePrefix       = []byte("/openai/deployments/")
)

// handle serves one request: the intake's checks (intake.go), then its route.
func (s *Server) handle(ctx *fasthttp.RequestCtx) {
	start := time.Now()
	a := s.access.Load()
	held, ok := s.admit(ctx, a, start)
	if ok {
		s.route(ctx, a, start)
	}
	s.settle(ctx, a, held)
}

func (s *Server) route(ctx *fasthttp.RequestCtx, a *access, start time.Time) {
	path := ctx.Path()
	if string(path) == "/health" {
		if s.get(ctx) {
			ctx.SetContentType("application/json")
			ctx.SetBodyString(`{"status":"ok"}`)
		}
		s.logOther(ctx, start)
		return
	}
	if bytes.HasPrefix(path, anthropicPrefix) {
		s.serveAnthropic(ctx, a, start) // Anthropic's shapes, errors included (anthropic.go)
		return
	}
	if string(path) == UsagePath && s.serveUsage(ctx) {
		s.logOther(ctx, start) // the governance usage API, behind an admin key (governance.go)
		return
	}
	if !s.authorized(ctx, a) {
		writeUnauthorized(ctx)
		s.logOther(ctx, start)
		return
	}
	var deployment []byte
	if bytes.HasPrefix(path, openaiPrefix) {
		path = path[len("/openai"):]
		if bytes.HasPrefix(path, deploymentsPrefix) {
			// Azure OpenAI: /openai/deployments/{deployment}/{operation}, read from the path
			// as sent, so that an escaped "/" stays inside the deployment name.
			path = nil // no route unless the raw path has the same shape
			if rest, ok := bytes.CutPrefix(ctx.URI().PathOriginal(), azurePrefix); ok {
				if i := bytes.IndexByte(rest, '/'); i > 0 {
					deployment, path = rest[:i], rest[i:]
				}
			}
		}
	}
	route := string(path)
	if deployment != nil && route != "/chat/completions" && route != "/completions" && route != "/embeddings" {
		route = "" // a deployment path only has the operations that take a model
	}
	switch route {
	case "/v1/chat/completions", "/chat/completions":
		if s.post(ctx) {
			s.serve(ctx, kindChat, a, deployment, start)
			return
		}
	case "/v1/completions", "/v1/text/completions", "/completions":
		if s.post(ctx) {
			s.serve(ctx, kindText, a, deployment, start)
			return
		}
	case "/v1/embeddings", "/embeddings":
		if s.post(ctx) {
			s.serve(ctx, kindEmbedding, a, deployment, start)
			return
		}
	case "/v1/models", "/models":
		if s.get(ctx) {
			s.models(ctx)
		}
	case "/metrics":
		if s.get(ctx) {
			s.metricsHandler(ctx)
		}
	default:
		if deployment == nil && s.routeResponses(ctx, a, path, start) {
			return // the Responses API (responses.go)
		}
		writeError(ctx, 404, "not_found_error", "unknown_route", "", "no route for "+string(ctx.Method())+" "+string(ctx.Path()))
	}
	s.logOther(ctx, start)
}

// deploymentModel returns the model an Azure deployment path names: the path segment,
// percent-decoded (so "openai%2Fgpt-4o" names openai/gpt-4o).
func deploymentModel(seg []byte) (string, bool) {
	m, err := url.PathUnescape(string(seg))
	return m, err == nil && m != ""
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
