package server

import (
	"bufio"
	"bytes"
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bifrost-gw/bifrost/responses"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/bifrost-gw/bifrost/server/metrics"
	"github.com/bifrost-gw/bifrost/tracing"
	"github.com/valyala/fasthttp"
)

// OpenAI's Responses API, for every provider (also under /openai/v1):
//
//	POST   /v1/responses                      a Responses request, plain or "stream": true
//	GET    /v1/responses/{id}                 a stored response
//	DELETE /v1/responses/{id}                 deletes it
//	GET    /v1/responses/{id}/input_items     its input items, as a list
//
// A request whose every target serves the Responses API natively is forwarded as it is
// (responses_native.go). Any other is decoded and converted to the unified chat request (package responses), run
// by the engine as /v1/chat/completions runs (gateway keys, virtual keys, retries and
// fallbacks before the first byte, plugins), and the answer is written back as a Response
// object or as the Responses stream events. Responses are stored unless "store": false,
// for GET, DELETE, input_items and previous_response_id (SetResponseStore; in memory with a
// time to live by default). Metrics carry the endpoint label "responses". Errors are
// OpenAI's {"error":{...}} body; a member with no translation gets 400 naming it in param.

var responsesPrefix = []byte("/v1/responses")

// responsesStore holds the Store, so that it can be swapped atomically.
type responsesStore struct{ st responses.Store }

// SetResponseStore sets where responses are stored; nil means a new in-memory store
// (responses.NewMemory with its defaults).
func (s *Server) SetResponseStore(st responses.Store) {
	if st == nil {
		st = responses.NewMemory(0, 0)
	}
	s.respStore.Store(&responsesStore{st: st})
}

func (s *Server) responseStore() responses.Store { return s.respStore.Load().st }

// responsesExchange is one POST /v1/responses's state, pooled in Server.responses.
type responsesExchange struct {
	x        *exchange
	req      responses.Request
	st       responses.Streamer
	meta     responses.Meta
	history  []responses.Item
	prev     []byte // the previous response's history, read-only
	streamFn func(w *bufio.Writer)
	// A native stream's state (responses_native.go): its relay, the latest sequence
	// number and the provider's response id.
	nativeFn func(w *bufio.Writer)
	lastSeq  int
	respID   []byte
}

func (s *Server) acquireResponses() *responsesExchange {
	if rx, ok := s.responses.Get().(*responsesExchange); ok {
		return rx
	}
	rx := &responsesExchange{}
	rx.streamFn, rx.nativeFn = rx.stream, rx.nativeStream
	return rx
}

func (s *Server) releaseResponses(rx *responsesExchange) {
	rx.req.Reset()
	rx.st.Reset(&rx.meta)
	rx.x, rx.meta, rx.prev = nil, responses.Meta{}, nil
	clear(rx.history[:cap(rx.history)])
	rx.history = rx.history[:0]
	s.responses.Put(rx)
}

// routeResponses serves route when it is one of the Responses API's; it returns false when
// it is not.
func (s *Server) routeResponses(ctx *fasthttp.RequestCtx, a *access, path []byte, start time.Time) bool {
	if !bytes.HasPrefix(path, responsesPrefix) {
		return false // no conversion of path: a string of it would escape and allocate
	}
	rest := string(path[len(responsesPrefix):])
	if rest == "" {
		if s.post(ctx) {
			s.serveResponses(ctx, a, start)
			return true
		}
		s.logOther(ctx, start)
		return true
	}
	id, sub, _ := strings.Cut(rest[1:], "/")
	if rest[0] != '/' || id == "" || sub != "" && sub != "input_items" {
		return false
	}
	switch {
	case sub == "input_items" && s.get(ctx):
		s.inputItems(ctx, id)
	case sub == "" && ctx.IsDelete():
		s.deleteResponse(ctx, id)
	case sub == "" && (ctx.IsGet() || ctx.IsHead()):
		s.getResponse(ctx, id)
	case sub == "":
		ctx.Response.Header.Set("Allow", "GET, DELETE")
		writeError(ctx, 405, schemas.ErrInvalidRequest, "method_not_allowed", "", string(ctx.Method())+" is not allowed here: use GET or DELETE")
	}
	s.logOther(ctx, start)
	return true
}

// serveResponses runs one POST /v1/responses.
func (s *Server) serveResponses(ctx *fasthttp.RequestCtx, a *access, start time.Time) {
	x := s.exchanges.Get().(*exchange)
	x.ctx, x.kind, x.start, x.endpoint = ctx, kindChat, start, metrics.EndpointResponses
	x.call = s.engine.AcquireCall()
	x.call.Gone = x.goneFn
	tracing.Attach(ctx, x.call) // nothing without tracing
	if x.logOn = s.accessLogOn(); x.logOn {
		x.path = append(x.path[:0], ctx.Path()...)
	}
	rx := s.acquireResponses()
	rx.x = x
	if rx.run(a) {
		return // a stream took ownership of rx and x
	}
	x.finish()
	s.releaseResponses(rx)
}

// run decodes, converts and runs the request; it returns true when a stream now owns rx.
func (rx *responsesExchange) run(a *access) bool {
	x := rx.x
	ctx, c := x.ctx, x.call
	if dk := ctx.Request.Header.Peek(DirectKeyHeader); len(dk) > 0 {
		if !a.allowDirect {
			writeError(ctx, 403, schemas.ErrPermission, "direct_keys_not_allowed", "",
				"this gateway does not take provider keys from clients ("+DirectKeyHeader+"): client.allow_direct_keys is off")
			return false
		}
		c.DirectKey = string(dk)
	}
	body := ctx.PostBody()
	switch {
	case len(body) == 0:
		writeError(ctx, 400, schemas.ErrInvalidRequest, "empty_body", "", "request body is empty: send a JSON object")
		return false
	case !utf8.Valid(body):
		writeError(ctx, 400, schemas.ErrInvalidRequest, "invalid_json", "", "request body is not valid UTF-8")
		return false
	}
	if handled, owned := rx.native(); handled {
		return owned
	}
	if err := rx.req.Decode(body); err != nil {
		decodeError(ctx, err, len(body))
		return false
	}
	if !rx.loadPrevious() {
		return false
	}
	if err := rx.req.ToChat(&c.Chat, rx.history); err != nil {
		pe, _ := err.(*responses.ParamError)
		if pe == nil {
			pe = &responses.ParamError{Code: responses.CodeInvalid, Message: err.Error()}
		}
		writeError(ctx, 400, schemas.ErrInvalidRequest, pe.Code, pe.Param, pe.Message)
		return false
	}
	rx.meta = responses.Meta{ID: responses.NewID(), CreatedAt: time.Now().Unix(), Model: rx.req.Model, Req: &rx.req}
	if !x.govAdmit(false, "") {
		return false
	}
	if rx.req.Stream {
		if err := x.s.engine.ChatCompletionStream(c); err != nil {
			x.writeRuntimeError(err)
			return false
		}
		rx.openStream()
		return true
	}
	if err := x.s.engine.ChatCompletion(c); err != nil {
		x.writeRuntimeError(err)
		return false
	}
	r0 := time.Now()
	enc := &rx.st.Enc
	enc.FromChat(&rx.meta, &c.ChatResp)
	w := c.ResponseWriter()
	enc.WriteResponse(w, &rx.meta, nil)
	x.rec.InputTokens, x.rec.OutputTokens = c.ChatResp.Usage.PromptTokens, c.ChatResp.Usage.CompletionTokens
	x.govUsage(&c.ChatResp.Usage)
	out := c.Encoded()
	rx.save(out)
	ctx.SetContentType("application/json")
	ctx.SetBody(out)
	x.shortCircuitHeader()
	x.rec.Stages[metrics.StageRespond] = time.Since(r0)
	return false
}

// loadPrevious reads the conversation of previous_response_id; it answers 404 and returns
// false when there is no such stored response.
func (rx *responsesExchange) loadPrevious() bool {
	id := rx.req.PreviousResponseID
	if id == "" {
		return true
	}
	ctx := rx.x.ctx
	rec, ok, err := rx.x.s.responseStore().Get(ctx, id)
	if err != nil {
		writeError(ctx, 503, schemas.ErrServer, "store_unavailable", "previous_response_id", "the response store is unavailable: "+err.Error())
		return false
	}
	if !ok {
		writeError(ctx, 404, schemas.ErrInvalidRequest, "previous_response_not_found", "previous_response_id",
			"Previous response with id '"+id+"' not found.")
		return false
	}
	if rx.history, err = responses.DecodeItems(rec.History, rx.history); err != nil {
		writeError(ctx, 500, schemas.ErrServer, "store_corrupt", "previous_response_id", "the stored conversation does not decode: "+err.Error())
		return false
	}
	rx.prev = rec.History
	return true
}

// save stores the finished response resp unless the request said "store": false. A store
// that fails is logged, not reported: the answer is already made.
func (rx *responsesExchange) save(resp []byte) {
	if !rx.req.Stores() {
		return
	}
	rec := responses.NewRecord(&rx.req, &rx.st.Enc, resp, rx.prev)
	if err := rx.x.s.responseStore().Put(context.Background(), rx.meta.ID, rec); err != nil {
		rx.x.s.log.Warn("responses: storing a response failed", "error", err.Error())
	}
}

// openStream hands rx to fasthttp's stream writer, which owns it from then (the upstream
// stream is open).
func (rx *responsesExchange) openStream() {
	rx.x.beginSSE(rx.streamFn)
}

// stream relays the provider's chunks as the Responses stream events, one flush per chunk,
// stores the finished response, then releases rx. It runs on fasthttp's stream-writer
// goroutine.
func (rx *responsesExchange) stream(w *bufio.Writer) {
	x := rx.x
	c := x.call
	status := 200
	sm := x.s.metrics.Stream(metrics.EndpointResponses, c.Provider, c.Model, x.start)
	rx.st.Reset(&rx.meta)
	rx.st.Start(c.ResponseWriter())
	w.Write(c.Encoded()) //nolint:errcheck // a failed write shows at Flush
	completed := x.flush(w) == nil
	for completed {
		done, err := c.Recv()
		jw := c.ResponseWriter()
		if err != nil {
			// Headers are gone already: the stream ends with response.failed.
			c.RedactDirectKey(err)
			rx.st.Fail(jw, &err.Body)
			w.Write(c.Encoded()) //nolint:errcheck
			x.flush(w)           //nolint:errcheck // the stream ends either way
			status, completed = err.Status, false
			break
		}
		if done {
			rx.st.End(jw)
			w.Write(c.Encoded()) //nolint:errcheck
			if x.flush(w) != nil {
				status = 499
			}
			break
		}
		sm.Chunk(time.Now())
		if u := &c.Chunk.Usage; u.IsDefined() {
			x.rec.InputTokens, x.rec.OutputTokens = u.PromptTokens, u.CompletionTokens
			x.govUsage(u)
		}
		rx.st.Chunk(jw, &c.Chunk)
		b := c.Encoded()
		if len(b) == 0 {
			continue
		}
		w.Write(b) //nolint:errcheck
		if x.flush(w) != nil {
			status, completed = 499, false // the client went away or stalled: ReleaseCall closes the upstream stream
		}
	}
	if !completed && status == 200 {
		status = 499
	}
	if completed {
		jw := c.ResponseWriter()
		rx.st.Enc.WriteResponse(jw, &rx.meta, nil)
		rx.save(c.Encoded())
	}
	x.letConn()
	s := x.s
	x.govSettle(true, false)
	x.record(status, x.openOverhead, time.Since(x.start))
	x.release()
	s.releaseResponses(rx)
}
