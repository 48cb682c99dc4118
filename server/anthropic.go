package server

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bifrost-gw/bifrost/adapters/anthropic"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/server/metrics"
	"github.com/bifrost-gw/bifrost/tracing"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
	"github.com/valyala/fasthttp"
)

// The Anthropic drop-in API, for Anthropic SDKs pointed at the gateway's /anthropic base URL:
//
//	POST /anthropic/v1/messages               a native Messages request, plain or streamed,
//	                                          sent to any provider
//	GET  /anthropic/v1/models                 the configured models, in Anthropic's list shape
//	GET  /anthropic/v1/models/{id}            one of them
//	POST /anthropic/v1/messages/count_tokens  the input token count of a Messages request, by
//	                                          the target provider's own counting endpoint
//	                                          (anthropic_count.go); never an estimate
//
// A request whose every target is Anthropic itself takes the passthrough path
// (anthropic_pass.go): the client's bytes go to Anthropic with only the gateway's edits,
// and Anthropic's answer or stream events come back as it sent them. Any other request is
// decoded with the anthropic codec's wire types, converted to the unified request
// (anthropic.Inbound), run by the engine as /v1/chat/completions runs, and the answer is
// written back as an Anthropic Message or Anthropic's stream events (anthropic.Outbound).
// Errors are Anthropic's {"type":"error","error":{"type","message"}}.
//
// The model is routed as on /v1: a "provider" member, "provider/model", or a config alias;
// a bare name that is no alias (claude-sonnet-4-5, say) goes to the "anthropic" provider.
// A request that goes to Anthropic by name (the "anthropic/" prefix, provider "anthropic",
// or a bare name) keeps the members only Anthropic knows (cache_control, the exact thinking
// budget, earlier thinking blocks, server tools, file-id sources); one that goes elsewhere
// drops them, and refuses server tools and file-id sources. The anthropic-beta header goes on
// to the providers whose adapter takes it (Anthropic's; Claude on Vertex AI's).

// anthropicProvider is the provider a bare model name goes to.
const anthropicProvider = "anthropic"

var anthropicPrefix = []byte("/anthropic/")

// anthropicExchange is one /anthropic/v1/messages request's state, pooled in
// Server.anthropic: the exchange that runs it (metrics, logging, the Call) and the
// converters. Its stream function is bound once, when it is made.
type anthropicExchange struct {
	x        *exchange
	in       anthropic.Inbound
	out      anthropic.Outbound
	model    string
	streamFn func(w *bufio.Writer)
	// passStreamFn relays a stream on the passthrough path (anthropic_pass.go).
	passStreamFn func(w *bufio.Writer)
}

func (s *Server) acquireAnthropic() *anthropicExchange {
	if ax, ok := s.anthropic.Get().(*anthropicExchange); ok {
		return ax
	}
	ax := &anthropicExchange{}
	ax.streamFn = ax.stream
	ax.passStreamFn = ax.passStream
	return ax
}

func (s *Server) releaseAnthropic(ax *anthropicExchange) {
	ax.in.Reset()
	ax.out.Reset()
	ax.x, ax.model = nil, ""
	s.anthropic.Put(ax)
}

// serveAnthropic answers every path under /anthropic/, auth included, in Anthropic's shapes.
func (s *Server) serveAnthropic(ctx *fasthttp.RequestCtx, a *access, start time.Time) {
	if !s.authorized(ctx, a) {
		writeAnthropicError(ctx, 401, "authentication_error",
			"missing or invalid gateway API key: send one of client.api_keys as \"x-api-key: <key>\" or \"Authorization: Bearer <key>\"")
		ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="bifrost"`)
		s.logOther(ctx, start)
		return
	}
	route := ctx.Path()[len("/anthropic"):]
	switch string(route) {
	case "/v1/messages":
		if s.anthropicMethod(ctx, true) {
			s.serveMessages(ctx, a, start)
			return
		}
	case "/v1/messages/count_tokens":
		if s.anthropicMethod(ctx, true) {
			s.serveCountTokens(ctx, a)
		}
	case "/v1/models":
		if s.anthropicMethod(ctx, false) {
			s.anthropicModels(ctx, "")
		}
	default:
		if id, ok := bytes.CutPrefix(route, []byte("/v1/models/")); ok && len(id) > 0 {
			if s.anthropicMethod(ctx, false) {
				s.anthropicModels(ctx, string(id))
			}
			break
		}
		writeAnthropicError(ctx, 404, "not_found_error", "no route for "+string(ctx.Method())+" "+string(ctx.Path()))
	}
	s.logOther(ctx, start)
}

// anthropicMethod checks the method (POST when post, else GET or HEAD), answering 405 when
// it is not allowed.
func (s *Server) anthropicMethod(ctx *fasthttp.RequestCtx, post bool) bool {
	if post && ctx.IsPost() || !post && (ctx.IsGet() || ctx.IsHead()) {
		return true
	}
	allow := "GET"
	if post {
		allow = "POST"
	}
	ctx.Response.Header.Set("Allow", allow)
	writeAnthropicError(ctx, 405, "invalid_request_error", string(ctx.Method())+" is not allowed here: use "+allow)
	return false
}

// writeAnthropicError answers with Anthropic's error body.
func writeAnthropicError(ctx *fasthttp.RequestCtx, status int, typ, msg string) {
	var w jwriter.Writer
	w.RawString(`{"type":"error","error":{"type":"`)
	w.RawString(typ)
	w.RawString(`","message":`)
	w.String(msg)
	w.RawString(`}}`)
	ctx.Response.Reset()
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	w.DumpTo(ctx) //nolint:errcheck // writing to the response buffer cannot fail
}

// serveMessages runs one POST /anthropic/v1/messages.
func (s *Server) serveMessages(ctx *fasthttp.RequestCtx, a *access, start time.Time) {
	x := s.exchanges.Get().(*exchange)
	x.ctx, x.kind, x.start = ctx, kindChat, start
	x.call = s.engine.AcquireCall()
	x.call.Gone = x.goneFn
	tracing.Attach(ctx, x.call) // nothing without tracing
	if x.logOn = s.accessLogOn(); x.logOn {
		x.path = append(x.path[:0], ctx.Path()...)
	}
	ax := s.acquireAnthropic()
	ax.x = x
	if ax.run(a) {
		return // a stream took ownership of ax and x
	}
	x.finish()
	s.releaseAnthropic(ax)
}

// run decodes, converts and runs the request; it returns true when a stream now owns ax.
func (ax *anthropicExchange) run(a *access) bool {
	x := ax.x
	ctx := x.ctx
	directKey := ctx.Request.Header.Peek(DirectKeyHeader)
	if len(directKey) > 0 && !a.allowDirect {
		writeAnthropicError(ctx, 403, "permission_error",
			"this gateway does not take provider keys from clients ("+DirectKeyHeader+"): client.allow_direct_keys is off")
		return false
	}
	body := ctx.PostBody()
	switch {
	case len(body) == 0:
		writeAnthropicError(ctx, 400, "invalid_request_error", "request body is empty: send a JSON object")
		return false
	case !utf8.Valid(body):
		writeAnthropicError(ctx, 400, "invalid_request_error", "request body is not valid UTF-8")
		return false
	}
	if handled, owned := ax.pass(directKey); handled {
		return owned
	}
	if err := ax.in.Decode(body); err != nil {
		writeAnthropicError(ctx, 400, "invalid_request_error", decodeMessage(err, len(body)))
		return false
	}
	ax.model = ax.in.Req.Model
	toAnthropic, native := x.s.anthropicTarget(&ax.in)
	if !ax.prepare(directKey, native) {
		return false
	}
	if toAnthropic {
		x.call.Chat.Provider = anthropicProvider
	}
	if !x.govAdmit(true, anthropicProvider) {
		return false
	}
	stream := x.call.Chat.IsStream()
	err := ax.start(stream)
	if err != nil {
		ax.writeRuntimeError(err)
		return false
	}
	if stream {
		ax.openStream()
		return true
	}
	ax.respond()
	return false
}

// respond answers with the call's unified response as an Anthropic Message.
func (ax *anthropicExchange) respond() {
	x := ax.x
	c := x.call
	r0 := time.Now()
	w := c.ResponseWriter()
	ax.out.EncodeMessage(w, &c.ChatResp, ax.model)
	x.rec.InputTokens, x.rec.OutputTokens = c.ChatResp.Usage.PromptTokens, c.ChatResp.Usage.CompletionTokens
	x.govUsage(&c.ChatResp.Usage)
	x.ctx.SetContentType("application/json")
	x.ctx.SetBody(c.Encoded())
	x.shortCircuitHeader()
	x.rec.Stages[metrics.StageRespond] = time.Since(r0)
}

// prepare fills the Call's unified request from the decoded one; it answers 400 and returns
// false when the request cannot be converted.
func (ax *anthropicExchange) prepare(directKey []byte, native bool) bool {
	c := ax.x.call
	if len(directKey) > 0 {
		c.DirectKey = string(directKey)
	}
	addBetaHeader(c, ax.x.ctx)
	if err := ax.in.ToChat(&c.Chat, native); err != nil {
		writeAnthropicError(ax.x.ctx, 400, "invalid_request_error", err.Error())
		return false
	}
	return true
}

// start runs the request, or opens its stream.
func (ax *anthropicExchange) start(stream bool) *runtime.Error {
	if stream {
		return ax.x.s.engine.ChatCompletionStream(ax.x.call)
	}
	return ax.x.s.engine.ChatCompletion(ax.x.call)
}

// anthropicTarget tells where a decoded request goes, as far as the gateway must know before
// converting it: toAnthropic when its model is a bare name that is no config alias (a Claude
// model name, for the anthropic provider, when one is configured), and native when it goes
// to Anthropic by name and has no fallbacks, so that Anthropic's own members may stay.
func (s *Server) anthropicTarget(in *anthropic.Inbound) (toAnthropic, native bool) {
	provider, fallbacks := in.Route()
	model := in.Req.Model
	if provider == "" && model != "" && strings.IndexByte(model, '/') < 0 && !s.engine.IsAlias(model) && s.hasProvider(anthropicProvider) {
		return true, fallbacks == nil
	}
	return false, fallbacks == nil && (provider == anthropicProvider || provider == "" && strings.HasPrefix(model, anthropicProvider+"/"))
}

// decodeMessage describes a request body that does not decode, with the byte offset, as
// decodeError does on /v1.
func decodeMessage(err error, size int) string {
	msg := "invalid JSON in request body"
	var le *jlexer.LexerError
	switch {
	case errors.As(err, &le):
		return msg + ": " + le.Reason + " at byte offset " + strconv.Itoa(le.Offset)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return msg + ": unexpected end of input at byte offset " + strconv.Itoa(size)
	}
	return msg + ": " + err.Error()
}

func (ax *anthropicExchange) writeRuntimeError(err *runtime.Error) {
	writeAnthropicRuntimeError(ax.x.ctx, ax.x.call, err)
	ax.x.shortCircuitHeader()
}

// openStream hands ax to fasthttp's stream writer, which owns it from then (the upstream
// stream is open).
func (ax *anthropicExchange) openStream() {
	ax.x.beginSSE(ax.streamFn)
}

// stream relays the provider's chunks to the client as Anthropic's events, one flush per
// chunk, then releases ax. It runs on fasthttp's stream-writer goroutine.
func (ax *anthropicExchange) stream(w *bufio.Writer) {
	x := ax.x
	c := x.call
	status := 200
	sm := x.s.metrics.Stream(endpoints[x.kind], c.Provider, c.Model, x.start)
	for {
		done, err := c.Recv()
		jw := c.ResponseWriter()
		if err != nil {
			// Headers are gone already: report the failure as an error event, as Anthropic does.
			c.RedactDirectKey(err)
			ax.out.StreamError(jw, err.Status, &err.Body)
			w.Write(c.Encoded()) //nolint:errcheck // a failed write shows at Flush
			x.flush(w)           //nolint:errcheck // the stream ends either way
			status = err.Status
			break
		}
		if done {
			ax.out.StreamEnd(jw, ax.model)
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
		ax.out.StreamChunk(jw, &c.Chunk, ax.model)
		b := c.Encoded()
		if len(b) == 0 {
			continue
		}
		w.Write(b) //nolint:errcheck
		if x.flush(w) != nil {
			status = 499 // the client went away or stalled: ReleaseCall closes the upstream stream
			break
		}
	}
	x.letConn()
	s := x.s
	x.govSettle(true, false)
	x.record(status, x.openOverhead, time.Since(x.start))
	x.release()
	s.releaseAnthropic(ax)
}
