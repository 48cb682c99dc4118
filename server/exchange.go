package server

import (
	"bufio"
	"net"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/bifrost-gw/bifrost/governance"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/jsonscan"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/bifrost-gw/bifrost/server/metrics"
	"github.com/bifrost-gw/bifrost/tracing"
	"github.com/mailru/easyjson/jlexer"
	"github.com/valyala/fasthttp"
)

type kind uint8

const (
	kindChat kind = iota
	kindText
	kindEmbedding
)

var endpoints = [...]string{metrics.EndpointChat, metrics.EndpointText, metrics.EndpointEmbeddings}

// exchange is one request's server-side state, pooled. Its function values are bound once,
// when the exchange is made, so that handing them to the runtime or to fasthttp allocates
// nothing.
type exchange struct {
	s        *Server
	ctx      *fasthttp.RequestCtx
	call     *runtime.Call
	kind     kind
	start    time.Time
	goneFn   func() bool
	streamFn func(w *bufio.Writer)
	rec      metrics.Request
	// openOverhead is the gateway's time before a stream's first byte.
	openOverhead time.Duration
	num          [20]byte
	// logOn says the access log line is wanted; path is the request's path, kept for it
	// (a stream outlives ctx).
	logOn bool
	path  []byte
	// conn is the client's connection while a stream writes to it, for its write deadline;
	// writeTimeout is client.stream_write_timeout_in_seconds (streamwrite.go).
	conn         net.Conn
	writeTimeout time.Duration
	// gov is the request's governance ticket while govOn (governance.go); usage is what
	// the provider billed, when usageKnown. forcedUsage says the provider was asked for a
	// stream's usage that the client did not ask for, through streamOpts.
	gov         governance.Ticket
	govTicket   bool // gov was written (a governance policy was in force): release resets it
	govOn       bool
	usage       governance.Usage
	usageKnown  bool
	forcedUsage bool
	streamOpts  schemas.StreamOptions
	// fallbacks backs the body fallbacks of a request on the passthrough path, borrowed
	// from its body; the first nFallbacks are set (bodyFallbacks).
	fallbacks  [jsonscan.MaxFallbacks]string
	nFallbacks int
	// endpoint, when set, is the metrics endpoint label instead of the kind's (responses.go).
	endpoint string
}

// gone reports whether the client closed its connection.
func (x *exchange) gone() bool { return connClosed(x.ctx.Conn()) }

// serve runs one chat, text or embeddings request. deployment is an Azure deployment
// path's deployment name, which becomes the model, or nil.
func (s *Server) serve(ctx *fasthttp.RequestCtx, k kind, a *access, deployment []byte, start time.Time) {
	s.served.Add(1)
	x := s.exchanges.Get().(*exchange)
	x.ctx, x.kind, x.start = ctx, k, start
	x.call = s.engine.AcquireCall()
	x.call.Gone = x.goneFn
	tracing.Attach(ctx, x.call) // nothing without tracing
	if x.logOn = s.accessLogOn(); x.logOn {
		x.path = append(x.path[:0], ctx.Path()...)
	}
	if x.run(a, deployment) {
		return // a stream took ownership of x
	}
	x.finish()
}

// run decodes and runs the request; it returns true when a stream now owns x. A request
// that may pass through (passthrough.go) is served that way, without decoding it.
func (x *exchange) run(a *access, deployment []byte) bool {
	if !x.acceptBody(a) {
		return false
	}
	if deployment == nil {
		if handled, owned := x.pass(); handled {
			return owned
		}
	}
	stream, ok := x.decode(deployment)
	if !ok || !x.validate() || !x.govAdmit(false, "") {
		return false
	}
	if stream {
		return x.openStream()
	}
	var err *runtime.Error
	switch x.kind {
	case kindChat:
		err = x.s.engine.ChatCompletion(x.call)
	case kindText:
		err = x.s.engine.TextCompletion(x.call)
	case kindEmbedding:
		err = x.s.engine.Embedding(x.call)
	}
	if err != nil {
		x.writeRuntimeError(err)
		return false
	}
	x.respond()
	return false
}

// acceptBody takes the client's own provider key when one is sent and allowed, and checks
// that the body is UTF-8; it answers and returns false when the request may not go on.
func (x *exchange) acceptBody(a *access) bool {
	if dk := x.ctx.Request.Header.Peek(DirectKeyHeader); len(dk) > 0 {
		if !a.allowDirect {
			writeError(x.ctx, 403, schemas.ErrPermission, "direct_keys_not_allowed", "",
				"this gateway does not take provider keys from clients ("+DirectKeyHeader+"): client.allow_direct_keys is off")
			return false
		}
		x.call.DirectKey = string(dk)
	}
	if !utf8.Valid(x.ctx.PostBody()) {
		// JSON text is UTF-8 (RFC 8259); invalid bytes would be forwarded to the provider as is.
		writeError(x.ctx, 400, schemas.ErrInvalidRequest, "invalid_json", "", "request body is not valid UTF-8")
		return false
	}
	return true
}

// decode decodes the body into the call's request of x's kind, with the model of an Azure
// deployment path when there is one; it answers and returns ok false when it cannot.
func (x *exchange) decode(deployment []byte) (stream, ok bool) {
	c := x.call
	l := jlexer.Lexer{Data: x.ctx.PostBody()}
	switch x.kind {
	case kindChat:
		c.Chat.UnmarshalEasyJSON(&l)
		stream = c.Chat.IsStream()
	case kindText:
		c.Text.UnmarshalEasyJSON(&l)
		stream = c.Text.IsStream()
	case kindEmbedding:
		c.Embedding.UnmarshalEasyJSON(&l)
	}
	l.Consumed()
	if err := l.Error(); err != nil {
		decodeError(x.ctx, err, len(x.ctx.PostBody()))
		return false, false
	}
	if len(x.ctx.PostBody()) == 0 {
		writeError(x.ctx, 400, schemas.ErrInvalidRequest, "empty_body", "", "request body is empty: send a JSON object")
		return false, false
	}
	if deployment != nil {
		model, ok := deploymentModel(deployment)
		if !ok {
			writeError(x.ctx, 400, schemas.ErrInvalidRequest, "invalid_deployment", "", "the deployment name in the path is not valid")
			return false, false
		}
		switch x.kind {
		case kindChat:
			c.Chat.Model = model
		case kindText:
			c.Text.Model = model
		case kindEmbedding:
			c.Embedding.Model = model
		}
	}
	return stream, true
}

// respond encodes the unified response into the client's answer, with its usage counted.
func (x *exchange) respond() {
	c := x.call
	r0 := time.Now()
	w := c.ResponseWriter()
	switch x.kind {
	case kindChat:
		c.ChatResp.MarshalEasyJSON(w)
		x.rec.InputTokens, x.rec.OutputTokens = c.ChatResp.Usage.PromptTokens, c.ChatResp.Usage.CompletionTokens
		x.govUsage(&c.ChatResp.Usage)
	case kindText:
		c.TextResp.MarshalEasyJSON(w)
		x.rec.InputTokens, x.rec.OutputTokens = c.TextResp.Usage.PromptTokens, c.TextResp.Usage.CompletionTokens
		x.govUsage(&c.TextResp.Usage)
	case kindEmbedding:
		c.EmbeddingResp.MarshalEasyJSON(w)
		x.rec.InputTokens = c.EmbeddingResp.Usage.PromptTokens
		x.govEmbeddingUsage(c.EmbeddingResp.Usage.PromptTokens)
	}
	x.ctx.SetContentType("application/json")
	x.ctx.SetBody(c.Encoded())
	x.shortCircuitHeader()
	x.rec.Stages[metrics.StageRespond] = time.Since(r0)
}

// shortCircuitHeader names the plugin that answered, if one did.
func (x *exchange) shortCircuitHeader() {
	if by := x.call.ShortCircuitedBy(); by != "" {
		x.ctx.Response.Header.Set(ShortCircuitHeader, by)
	}
}

func (x *exchange) writeRuntimeError(err *runtime.Error) {
	x.call.RedactDirectKey(err)
	body := schemas.ErrorResponse{Error: err.Body}
	writeErrorBody(x.ctx, err.Status, &body)
	if (err.Status == 429 || err.Status == 503) && err.RetryAfterSec > 0 {
		x.ctx.Response.Header.Set("Retry-After", strconv.Itoa(err.RetryAfterSec))
	}
	x.shortCircuitHeader()
}

// finish sets the overhead header, records metrics and releases x.
func (x *exchange) finish() {
	c := x.call
	elapsed := time.Since(x.start)
	overhead := elapsed - c.Upstream
	if overhead < 0 {
		overhead = 0
	}
	x.govSettle(false, true)
	x.ctx.Response.Header.SetCanonical(x.s.overheadKey, strconv.AppendInt(x.num[:0], overhead.Microseconds(), 10))
	x.record(x.ctx.Response.StatusCode(), overhead, elapsed)
	x.release()
}

// record counts the request in the metrics and writes its access line; elapsed is its time
// from x.start to its end (for a stream, the stream's end).
func (x *exchange) record(status int, overhead, elapsed time.Duration) {
	c := x.call
	x.rec.Endpoint = endpoints[x.kind]
	if x.endpoint != "" {
		x.rec.Endpoint = x.endpoint
	}
	x.rec.Provider, x.rec.Model = c.Provider, c.Model
	x.rec.Status = status
	x.rec.Upstream, x.rec.Overhead = c.Upstream, overhead
	x.rec.Retries = c.Attempts - 1 - c.Fallbacks - c.Reconnects
	if x.rec.Retries < 0 {
		x.rec.Retries = 0
	}
	x.rec.Fallbacks = c.Fallbacks
	x.rec.Stages[metrics.StageRoute] = c.Route
	x.rec.Stages[metrics.StageQueue] = c.Queued
	x.rec.Stages[metrics.StageEncode] = c.Encode
	x.rec.Stages[metrics.StageUpstream] = c.Upstream
	x.rec.Stages[metrics.StageDecode] = c.Decode
	x.s.metrics.Record(&x.rec)
	if x.logOn {
		x.s.logRequestAt(&x.rec, x.path, elapsed, x.start.Add(elapsed), c) // the line's time without another clock read
	}
}

func (x *exchange) release() {
	x.s.engine.ReleaseCall(x.call)
	x.call, x.ctx, x.endpoint = nil, nil, ""
	x.rec = metrics.Request{}
	if x.govTicket {
		// Without governance the ticket is never written: not clearing it keeps a request
		// from touching its ~6 cache lines.
		x.gov.Reset()
		x.govTicket = false
	}
	x.usage, x.usageKnown, x.forcedUsage, x.govOn = governance.Usage{}, false, false, false
	clear(x.fallbacks[:x.nFallbacks]) // they borrow from the body
	x.nFallbacks = 0
	x.s.exchanges.Put(x)
}

// openStream opens the upstream stream. On failure it answers with a JSON error (nothing has
// been sent yet); on success it hands x to fasthttp's stream writer, which owns it from then.
func (x *exchange) openStream() bool {
	var err *runtime.Error
	if x.kind == kindChat {
		err = x.s.engine.ChatCompletionStream(x.call)
	} else {
		err = x.s.engine.TextCompletionStream(x.call)
	}
	if err != nil {
		x.writeRuntimeError(err)
		return false
	}
	x.beginSSE(x.streamFn)
	return true
}

// beginSSE begins the answer as a server-sent event stream (the one place the server does):
// the stream headers, the overhead so far and the short-circuit header, then it hands the
// connection to fasthttp's stream writer, which runs write. From then a failed write tells
// that the client is gone. fasthttp forbids touching ctx from the stream writer, and
// SetBodyStreamWriter starts the writer at once: x lets go of ctx first.
func (x *exchange) beginSSE(write func(w *bufio.Writer)) {
	x.call.Gone = nil
	x.ctx.SetContentType("text/event-stream")
	x.ctx.Response.Header.Set("Cache-Control", "no-cache")
	x.ctx.Response.Header.Set("X-Accel-Buffering", "no")
	x.openOverhead = time.Since(x.start) - x.call.Upstream
	x.ctx.Response.Header.SetCanonical(x.s.overheadKey, strconv.AppendInt(x.num[:0], x.openOverhead.Microseconds(), 10))
	x.shortCircuitHeader()
	ctx := x.ctx
	x.holdConn(ctx)
	x.ctx = nil
	ctx.SetBodyStreamWriter(write)
}

// wantsUsage reports whether the client asked for the usage chunk
// (stream_options.include_usage). Providers whose streams always report usage (Anthropic,
// Cohere, Bedrock, Gemini) have it dropped otherwise, as OpenAI would not send it.
func (x *exchange) wantsUsage() bool {
	if x.forcedUsage {
		return false
	}
	so := x.call.Chat.StreamOptions
	return so != nil && so.IncludeUsage.V
}

var (
	dataPrefix = []byte("data: ")
	eventEnd   = []byte("\n\n")
	doneEvent  = []byte("data: [DONE]\n\n")
)

// stream relays the provider's events to the client as OpenAI chunks, one flush per event,
// then releases x. It runs on fasthttp's stream-writer goroutine.
func (x *exchange) stream(w *bufio.Writer) {
	c := x.call
	status := 200
	sm := x.s.metrics.Stream(endpoints[x.kind], c.Provider, c.Model, x.start)
	for {
		done, err := c.Recv()
		if err != nil {
			// Headers are gone already: report the failure as an error event, as OpenAI does.
			c.RedactDirectKey(err)
			body := schemas.ErrorResponse{Error: err.Body}
			jw := c.ResponseWriter()
			body.MarshalEasyJSON(jw)
			w.Write(dataPrefix)  //nolint:errcheck // a failed write shows at Flush
			w.Write(c.Encoded()) //nolint:errcheck
			w.Write(eventEnd)    //nolint:errcheck
			x.flush(w)           //nolint:errcheck // the stream ends either way
			status = err.Status
			break
		}
		if done {
			w.Write(doneEvent) //nolint:errcheck
			if x.flush(w) != nil {
				status = 499
			}
			break
		}
		sm.Chunk(time.Now())
		if x.hiddenChunk() {
			continue // a usage-only chunk the client did not ask for (counted, not sent)
		}
		w.Write(dataPrefix)    //nolint:errcheck
		w.Write(x.chunkData()) //nolint:errcheck
		w.Write(eventEnd)      //nolint:errcheck
		if x.flush(w) != nil {
			status = 499 // the client went away or stalled: ReleaseCall closes the upstream stream
			break
		}
	}
	x.letConn()
	x.govSettle(true, false)
	x.record(status, x.openOverhead, time.Since(x.start))
	x.release()
}

// hiddenChunk counts the usage of the chunk just read, and reports whether it is a
// usage-only chunk that the client did not ask for (counted, not sent).
func (x *exchange) hiddenChunk() bool {
	c := x.call
	usage := &c.Chunk.Usage
	if x.kind != kindChat {
		usage = &c.TextResp.Usage
	}
	if !usage.IsDefined() {
		return false
	}
	x.rec.InputTokens, x.rec.OutputTokens = usage.PromptTokens, usage.CompletionTokens
	x.govUsage(usage)
	return x.kind == kindChat && len(c.Chunk.Choices) == 0 && !x.wantsUsage() ||
		x.kind == kindText && len(c.TextResp.Choices) == 0 && x.forcedUsage
}

// chunkData is the data of the chunk just read, for the client: the provider's event as it
// sent it on the passthrough path, else the chunk encoded again.
func (x *exchange) chunkData() []byte {
	c := x.call
	if data := c.PassedEvent(); data != nil {
		return data
	}
	jw := c.ResponseWriter()
	if x.kind == kindChat {
		c.Chunk.MarshalEasyJSON(jw)
	} else {
		c.TextResp.MarshalEasyJSON(jw)
	}
	return c.Encoded()
}
