package mocks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("mocks: server closed")

// closeTimeout bounds how long Close waits for open connections.
const closeTimeout = 5 * time.Second

// Server is a mock OpenAI provider. Its methods are safe for concurrent use.
type Server struct {
	cfg       Config
	authz     []byte  // "Bearer <key>", or nil when no key is required
	faultRate float64 // Rate429 + Rate500 + Rate503
	rand      *lockedRand
	idSalt    uint64

	content   content            // the answer every completion carries
	chat      completionTemplate // plain chat.completion body
	text      completionTemplate // plain text_completion body
	modelList []byte             // GET /v1/models body

	ids     atomic.Uint64 // response id sequence
	failSeq atomic.Uint64 // position in Config.FailFirst
	stats   counters
	rec     recorder
	resp    responseStore // stored Responses API answers (format_responses.go)

	timers    sync.Pool // *time.Timer, for sleepUntil
	closing   chan struct{}
	closeOnce sync.Once
	srv       *fasthttp.Server

	mu  sync.Mutex     // guards lns and the start of Serve against Close
	lns []net.Listener // the listeners Serve was given, closed by Close
	// beforeServe, if set (tests), runs in Serve after ln is recorded and before
	// fasthttp takes it: where a Close used to leave Serve running.
	beforeServe func()
}

// New returns a Server configured by cfg, with defaults for zero fields.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	size, err := parseSize(cfg.ResponseSize)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:       cfg,
		faultRate: cfg.Rate429 + cfg.Rate500 + cfg.Rate503,
		rand:      newLockedRand(cfg.Seed),
		content:   newContent(size, cfg.StreamChunks),
		modelList: newModelList(),
		closing:   make(chan struct{}),
	}
	if cfg.RequireKey != "" {
		s.authz = []byte("Bearer " + cfg.RequireKey)
	}
	s.idSalt = uint64(s.rand.int64n(1 << 62))
	s.chat = newChatTemplate(s.content.text, s.content.tokens)
	s.text = newTextTemplate(s.content.text, s.content.tokens)
	s.srv = &fasthttp.Server{
		Handler:            s.handle,
		Name:               "bifrost-mock",
		CloseOnShutdown:    true,
		MaxRequestBodySize: cfg.MaxRequestBodySize,
	}
	return s, nil
}

// Handler returns the server's request handler, for use with any
// fasthttp server or with fasthttputil.InmemoryListener.
func (s *Server) Handler() fasthttp.RequestHandler {
	return s.handle
}

// Serve accepts connections on ln and serves them until Close is called,
// then returns nil. After Close it returns ErrServerClosed at once.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	select {
	case <-s.closing:
		s.mu.Unlock()
		return ErrServerClosed
	default:
	}
	s.lns = append(s.lns, ln)
	s.mu.Unlock()
	if s.beforeServe != nil {
		s.beforeServe()
	}
	if err := s.srv.Serve(ln); err != nil {
		select {
		case <-s.closing: // Close closed ln before fasthttp knew of it
			return nil
		default:
		}
		return fmt.Errorf("mocks: serve on %s: %w", ln.Addr(), err)
	}
	return nil
}

// Close stops Serve, cuts short pending latency waits and streams, and
// waits up to five seconds for open connections to finish. It also closes
// the listeners Serve was given, so that a Serve that had not yet started
// accepting when Close came returns too.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closeOnce.Do(func() { close(s.closing) })
	lns := s.lns
	s.lns = nil
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	err := s.srv.ShutdownWithContext(ctx)
	for _, ln := range lns {
		ln.Close() //nolint:errcheck // fasthttp's shutdown may have closed it already
	}
	if err != nil {
		return fmt.Errorf("mocks: shut down: %w", err)
	}
	return nil
}

// nextID returns a fresh id for a response.
func (s *Server) nextID() uint64 {
	return mix64(s.ids.Add(1) ^ s.idSalt)
}

// route identifies an endpoint.
type route int

const (
	routeNone route = iota
	routeChat
	routeCompletions
	routeEmbeddings
	routeModels
	routeModel
	routeResponses
	routeResponse // /v1/responses/{id} and its input_items
	numRoutes
)

// String returns the route's path pattern, with the /v1 prefix.
func (r route) String() string {
	switch r {
	case routeChat:
		return "/v1/chat/completions"
	case routeCompletions:
		return "/v1/completions"
	case routeEmbeddings:
		return "/v1/embeddings"
	case routeModels:
		return "/v1/models"
	case routeModel:
		return "/v1/models/{model}"
	case routeResponses:
		return "/v1/responses"
	case routeResponse:
		return "/v1/responses/{id}"
	}
	return "unknown"
}

// method returns the HTTP method the route accepts.
func (r route) method() string {
	if r == routeModels || r == routeModel {
		return fasthttp.MethodGet
	}
	if r == routeResponse {
		return "" // GET or DELETE: serveResponseByID checks
	}
	return fasthttp.MethodPost
}

// lookupRoute maps a request path, with or without the /v1 prefix and a
// trailing slash, to its route. For routeModel it also returns the model.
func lookupRoute(path []byte) (route, []byte) {
	p := path
	if bytes.HasPrefix(p, []byte("/v1/")) {
		p = p[len("/v1"):]
	}
	if len(p) > 1 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	switch string(p) {
	case "/chat/completions":
		return routeChat, nil
	case "/completions":
		return routeCompletions, nil
	case "/embeddings":
		return routeEmbeddings, nil
	case "/models":
		return routeModels, nil
	case "/responses":
		return routeResponses, nil
	}
	if id, ok := bytes.CutPrefix(p, []byte("/responses/")); ok && len(id) > 0 {
		return routeResponse, id
	}
	if id, ok := bytes.CutPrefix(p, []byte("/models/")); ok && len(id) > 0 {
		return routeModel, id
	}
	return routeNone, nil
}

// handle serves one request: route, check the method and key, inject any
// failure, then answer.
func (s *Server) handle(ctx *fasthttp.RequestCtx) {
	s.stats.total.Add(1)
	s.stats.enter()
	defer s.stats.leave()
	if s.cfg.Record {
		s.rec.add(ctx)
	}
	if s.cfg.Format != "" && s.cfg.Format != FormatOpenAI {
		s.handleFormat(ctx)
		return
	}
	s.handleOpenAI(ctx)
}

// handleOpenAI serves the OpenAI routes.
func (s *Server) handleOpenAI(ctx *fasthttp.RequestCtx) {
	r, arg := lookupRoute(ctx.Path())
	if r == routeNone {
		s.stats.notFound.Add(1)
		writeError(ctx, &apiError{
			status:  fasthttp.StatusNotFound,
			message: fmt.Sprintf("Invalid URL (%s %s)", ctx.Method(), ctx.Path()),
			typ:     typeInvalidRequest,
		})
		return
	}
	s.stats.routes[r].Add(1)
	if m := r.method(); m != "" && string(ctx.Method()) != m {
		s.badRequest(ctx, &apiError{
			status:  fasthttp.StatusMethodNotAllowed,
			message: fmt.Sprintf("Invalid method for URL (%s %s): use %s", ctx.Method(), ctx.Path(), r.method()),
			typ:     typeInvalidRequest,
		})
		return
	}
	echo := s.cfg.Fault == FaultEchoKey // echoes any credential: before the key check
	if !echo && !s.authorize(ctx) {
		return
	}
	if status := s.pickFault(); status != 0 {
		s.injectFault(ctx, status)
		return
	}
	if echo && !s.authorize(ctx) {
		return
	}
	switch r {
	case routeChat:
		s.serveChat(ctx)
	case routeCompletions:
		s.serveCompletion(ctx)
	case routeEmbeddings:
		s.serveEmbeddings(ctx)
	case routeModels:
		s.serveModels(ctx)
	case routeModel:
		s.serveModel(ctx, arg)
	case routeResponses:
		s.serveResponses(ctx)
	case routeResponse:
		id, sub, _ := bytes.Cut(arg, []byte("/"))
		s.serveResponseByID(ctx, id, string(sub) == "input_items")
	}
}

// badRequest counts and answers a request the mock rejects as invalid.
func (s *Server) badRequest(ctx *fasthttp.RequestCtx, e *apiError) {
	s.stats.badRequests.Add(1)
	writeError(ctx, e)
}
