package mocks

import (
	"bufio"
	"crypto/subtle"
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
)

// authorize reports whether ctx carries the configured key. Without
// Config.RequireKey every request is authorised. On failure it answers 401.
func (s *Server) authorize(ctx *fasthttp.RequestCtx) bool {
	if s.authz == nil {
		return true
	}
	got := ctx.Request.Header.Peek(fasthttp.HeaderAuthorization)
	if subtle.ConstantTimeCompare(got, s.authz) == 1 {
		return true
	}
	e := statusError(fasthttp.StatusUnauthorized)
	if len(got) == 0 {
		e.message = "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
	}
	s.stats.unauthorized.Add(1)
	writeError(ctx, &e)
	return false
}

// pickFault decides whether this request fails, returning the status code
// to answer, faultConn when Config.Fault applies, or 0. Config.FailFirst is
// used up first, in order; then Config.Fault for its FaultCount requests (or
// for every request when FaultCount is 0); then one uniform draw picks 429,
// 500, 503 or success by the configured rates.
func (s *Server) pickFault() int {
	first := uint64(len(s.cfg.FailFirst))
	if n := first + uint64(s.cfg.FaultCount); n > 0 {
		if i := s.failSeq.Add(1) - 1; i < n {
			if i < first {
				return s.cfg.FailFirst[i]
			}
			return faultConn
		}
	}
	if s.cfg.Fault != FaultNone && s.cfg.FaultCount == 0 {
		return faultConn
	}
	if s.faultRate == 0 {
		return 0
	}
	u := s.rand.float64()
	switch {
	case u < s.cfg.Rate429:
		return fasthttp.StatusTooManyRequests
	case u < s.cfg.Rate429+s.cfg.Rate500:
		return fasthttp.StatusInternalServerError
	case u < s.faultRate:
		return fasthttp.StatusServiceUnavailable
	}
	return 0
}

// modelFault answers a chat request for model with the status that
// Config.ModelStatus gives it.
func (s *Server) modelFault(ctx *fasthttp.RequestCtx, status int, model string) {
	s.stats.countInjected(status)
	var e apiError
	switch status {
	case fasthttp.StatusForbidden:
		e = apiError{status: status, typ: typeInvalidRequest, code: "model_not_found",
			message: "Project `proj_bifrost_mock` does not have access to model `" + model + "`"}
	case fasthttp.StatusNotFound:
		e = apiError{status: status, typ: typeInvalidRequest, code: "model_not_found",
			message: "The model `" + model + "` does not exist or you do not have access to it."}
	default:
		e = statusError(status)
	}
	writeError(ctx, &e)
}

// injectFault answers ctx with the failure pickFault chose and counts an
// injected status.
func (s *Server) injectFault(ctx *fasthttp.RequestCtx, status int) {
	if status == faultConn {
		s.injectConnFault(ctx)
		return
	}
	s.stats.countInjected(status)
	e := statusError(status)
	writeError(ctx, &e)
	if status == fasthttp.StatusTooManyRequests && s.cfg.RetryAfter > 1 {
		ctx.Response.Header.Set("Retry-After", strconv.Itoa(s.cfg.RetryAfter))
	}
}

// FaultMode names a failure the mock injects below the status level: in the
// connection, the timing or the body of an answer (see Config.Fault). Faults
// are injected where the OpenAI format is served, like FailFirst; answers are
// OpenAI chat completions whatever the route.
type FaultMode string

// The fault modes. Every mode that holds a connection open lets it go as soon
// as the client closes it or the server is closed, so a test that ends its
// client leaves no connection or goroutine behind in the mock.
const (
	// FaultNone injects nothing.
	FaultNone FaultMode = ""
	// FaultHang reads the request and never answers: a provider that accepts
	// and then says nothing.
	FaultHang FaultMode = "hang"
	// FaultResetMidBody sends the headers of a 200 with the full
	// Content-Length and half of the body, then resets the connection (a TCP
	// RST when the connection has SetLinger, else a close).
	FaultResetMidBody FaultMode = "reset_mid_body"
	// FaultSlowBody sends the headers at once and a valid body in ten
	// pieces, FaultDelay apart.
	FaultSlowBody FaultMode = "slow_body"
	// FaultMalformedJSON answers 200 application/json with a body that is
	// not JSON (an HTML error page, as a misconfigured proxy sends).
	FaultMalformedJSON FaultMode = "malformed_json"
	// FaultTruncatedJSON answers 200 with a chat completion cut in the
	// middle; Content-Length matches what is sent, so the HTTP exchange is
	// well formed and only the JSON is broken.
	FaultTruncatedJSON FaultMode = "truncated_json"
	// FaultHugeBody answers a valid chat completion whose body is
	// FaultBodySize bytes.
	FaultHugeBody FaultMode = "huge_body"
	// FaultStreamCut sends half of a streamed answer's content chunks, then
	// resets the connection without ending the chunked body or sending
	// [DONE]. A plain request gets FaultResetMidBody.
	FaultStreamCut FaultMode = "stream_cut"
	// FaultStreamEndEarly sends half of a streamed answer's content chunks,
	// then ends the HTTP body cleanly, without a finish reason or the
	// format's end event ([DONE], message_stop, messageStop): a stream that
	// looks finished to HTTP but is not. A plain request gets
	// FaultResetMidBody.
	FaultStreamEndEarly FaultMode = "stream_end_early"
	// FaultEndlessStream sends the role chunk and then a content chunk every
	// FaultDelay, never ending. A plain request gets FaultHang.
	FaultEndlessStream FaultMode = "endless_stream"
	// FaultSilentStream sends a stream's headers and role chunk, then
	// nothing, keeping the connection open. A plain request gets FaultHang.
	FaultSilentStream FaultMode = "silent_stream"
	// FaultCloseAfterResponse answers normally, then closes the keep-alive
	// connection without saying so ("Connection: close" is not sent), as a
	// provider whose idle timeout is shorter than its client's: the client's
	// next request on that pooled connection fails before any response byte.
	FaultCloseAfterResponse FaultMode = "close_after_response"
	// FaultEndlessLine never ends a line: a streamed request gets a stream's
	// headers, then "data: " and filler bytes without a newline; a plain
	// request gets a 200 application/json chunked body that starts a JSON
	// string and never closes it. Either is written as fast as the client
	// reads, until it closes the connection (counted in
	// Stats.FaultsEndedByClient) or the server is closed.
	FaultEndlessLine FaultMode = "endless_line"
	// FaultEndlessError answers 500 application/json with a chunked body
	// that never ends, written as fast as the client reads, to plain and
	// streamed requests alike: an error body must be bounded too.
	FaultEndlessError FaultMode = "endless_error"
	// FaultEmptyObject answers 200 application/json with {}: valid JSON that
	// is no completion. It applies to every route and wire format.
	FaultEmptyObject FaultMode = "empty_object"
	// FaultNullBody answers 200 application/json with null.
	FaultNullBody FaultMode = "null_body"
	// FaultNullChoices answers 200 application/json with {"choices":null}.
	FaultNullChoices FaultMode = "null_choices"
	// FaultBody answers 200 application/json with Config.FaultBody as it is:
	// for the empty answers of formats other than OpenAI's, such as
	// {"content":[]} for Anthropic or {"candidates":[]} for Gemini.
	FaultBody FaultMode = "body"
)

// fixedBody returns the body a fault mode answers with as a 200, and whether it is such a
// mode.
func (s *Server) fixedBody() (string, bool) {
	switch s.cfg.Fault {
	case FaultEmptyObject:
		return "{}", true
	case FaultNullBody:
		return "null", true
	case FaultNullChoices:
		return `{"choices":null}`, true
	case FaultBody:
		return s.cfg.FaultBody, true
	}
	return "", false
}

// known reports whether m is a mode Config.Fault accepts.
func (m FaultMode) known() bool {
	switch m {
	case FaultNone, FaultHang, FaultResetMidBody, FaultSlowBody, FaultMalformedJSON, FaultTruncatedJSON,
		FaultHugeBody, FaultStreamCut, FaultStreamEndEarly, FaultEndlessStream, FaultSilentStream,
		FaultCloseAfterResponse, FaultEchoKey, FaultEndlessLine, FaultEndlessError, FaultEmptyObject, FaultNullBody, FaultNullChoices, FaultBody:
		return true
	}
	return false
}

// Fault defaults applied by New to zero Config fields.
const (
	// DefaultFaultDelay paces FaultSlowBody and FaultEndlessStream when
	// Config.FaultDelay is 0.
	DefaultFaultDelay = 50 * time.Millisecond
	// DefaultFaultBodySize is FaultHugeBody's body size when
	// Config.FaultBodySize is 0: 20 MB.
	DefaultFaultBodySize = 20 << 20
	// maxFaultBodySize bounds Config.FaultBodySize.
	maxFaultBodySize = 256 << 20
)

// faultConn is what pickFault returns for a request that gets Config.Fault;
// it is below every HTTP status.
const faultConn = 1

// faultPoll is how often a held connection checks whether the server closed.
const faultPoll = 20 * time.Millisecond

// injectConnFault answers ctx as Config.Fault says.
func (s *Server) injectConnFault(ctx *fasthttp.RequestCtx) {
	var req chatRequest
	model := "gpt-4o-mini"
	if r, _ := lookupRoute(ctx.Path()); r == routeChat && parseChatRequest(ctx.PostBody(), &req) == nil {
		model = string([]byte(req.model)) // req.model points into the request body
	}
	if body, ok := s.fixedBody(); ok {
		ctx.SetContentType(contentTypeJSON)
		ctx.SetBodyString(body)
		return
	}
	switch s.cfg.Fault {
	case FaultEndlessLine:
		s.endlessLine(ctx, req.stream)
	case FaultEndlessError:
		ctx.SetStatusCode(fasthttp.StatusInternalServerError)
		s.endlessLine(ctx, false)
	case FaultCloseAfterResponse:
		s.serveRoute(ctx)
		ctx.Hijack(func(net.Conn) {}) // fasthttp closes the connection once the answer is out
	case FaultMalformedJSON:
		ctx.SetContentType(contentTypeJSON)
		ctx.SetBodyString("<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>\n")
	case FaultTruncatedJSON:
		body := s.chat.appendBody(nil, s.nextID(), time.Now().Unix(), model, 10)
		ctx.SetContentType(contentTypeJSON)
		ctx.SetBody(body[:len(body)/2])
	case FaultHugeBody:
		ctx.SetContentType(contentTypeJSON)
		ctx.SetBody(hugeBody(model, s.cfg.FaultBodySize))
	case FaultSlowBody:
		body := s.chat.appendBody(nil, s.nextID(), time.Now().Unix(), model, 10)
		ctx.SetContentType(contentTypeJSON)
		ctx.SetBodyStreamWriter(func(w *bufio.Writer) {
			const pieces = 10
			start := time.Now()
			for i := range pieces {
				if i > 0 && !s.sleepUntil(start.Add(time.Duration(i)*s.cfg.FaultDelay)) {
					return
				}
				if !writeEvent(w, body[i*len(body)/pieces:(i+1)*len(body)/pieces]) {
					return
				}
			}
		})
	case FaultHang:
		s.hijack(ctx, func(c net.Conn) { s.hold(c) })
	case FaultResetMidBody:
		s.resetMidBody(ctx, model)
	case FaultEchoKey:
		s.echoKey(ctx, model, req.stream)
	case FaultStreamCut, FaultStreamEndEarly, FaultEndlessStream, FaultSilentStream:
		if s.faultResponsesStream(ctx) {
			return // a streamed Responses request, cut (format_responses.go)
		}
		if !req.stream {
			if s.cfg.Fault == FaultStreamCut || s.cfg.Fault == FaultStreamEndEarly {
				s.resetMidBody(ctx, model)
			} else {
				s.hijack(ctx, func(c net.Conn) { s.hold(c) })
			}
			return
		}
		s.faultStream(ctx, model)
	}
}

// serveRoute answers ctx as the mock does without faults.
func (s *Server) serveRoute(ctx *fasthttp.RequestCtx) {
	switch r, arg := lookupRoute(ctx.Path()); r {
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
	}
}

// hijack takes the connection over from fasthttp without any answer and runs
// h on it; fasthttp closes the connection when h returns.
func (s *Server) hijack(ctx *fasthttp.RequestCtx, h func(c net.Conn)) {
	ctx.HijackSetNoResponse(true)
	ctx.Hijack(h)
}

// hold keeps c open until the client closes it or the server is closed.
func (s *Server) hold(c net.Conn) {
	var buf [512]byte
	for {
		select {
		case <-s.closing:
			return
		default:
		}
		c.SetReadDeadline(time.Now().Add(faultPoll)) //nolint:errcheck // a closed conn fails the read below
		if _, err := c.Read(buf[:]); err != nil {
			var te interface{ Timeout() bool }
			if !errors.As(err, &te) || !te.Timeout() {
				return
			}
		}
	}
}

// resetMidBody sends a 200's headers and half its body, then resets.
func (s *Server) resetMidBody(ctx *fasthttp.RequestCtx, model string) {
	raw := ctx.Conn()
	body := s.chat.appendBody(nil, s.nextID(), time.Now().Unix(), model, 10)
	s.hijack(ctx, func(c net.Conn) {
		head := "HTTP/1.1 200 OK\r\nServer: bifrost-mock\r\nContent-Type: " + contentTypeJSON +
			"\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
		if _, err := c.Write(append([]byte(head), body[:len(body)/2]...)); err == nil {
			time.Sleep(faultPoll) // let the client read what was sent before the reset
		}
		reset(raw)
	})
}

// faultStream runs FaultStreamCut, FaultStreamEndEarly, FaultEndlessStream or FaultSilentStream for
// a streamed chat request, writing the HTTP answer by hand on the hijacked
// connection so that it can end it abruptly.
func (s *Server) faultStream(ctx *fasthttp.RequestCtx, model string) {
	raw := ctx.Conn()
	p := &streamPlan{
		prefix:     appendStreamPrefix(nil, "chatcmpl-", "chat.completion.chunk", s.nextID(), model),
		roleChoice: `{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}`,
		open:       `{"index":0,"delta":{"content":"`,
		close:      `"},"logprobs":null,"finish_reason":null}`,
		pieces:     s.content.pieces,
	}
	mode, delay := s.cfg.Fault, s.cfg.FaultDelay
	s.hijack(ctx, func(c net.Conn) {
		w := bufio.NewWriter(c)
		w.WriteString("HTTP/1.1 200 OK\r\nServer: bifrost-mock\r\nContent-Type: " + contentTypeEventStream +
			"\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n") //nolint:errcheck // Flush reports it
		buf := p.appendChunk(nil, p.roleChoice, "", "")
		if !writeChunk(w, buf) {
			return
		}
		switch mode {
		case FaultSilentStream:
			s.hold(c)
		case FaultStreamCut:
			for _, piece := range p.pieces[:len(p.pieces)/2] {
				if !writeChunk(w, p.appendChunk(buf[:0], p.open, piece, p.close)) {
					return
				}
			}
			time.Sleep(faultPoll) // let the client read what was sent before the reset
			reset(raw)
		case FaultStreamEndEarly:
			events := make([][]byte, 0, len(p.pieces)/2)
			for _, piece := range p.pieces[:len(p.pieces)/2] {
				events = append(events, p.appendChunk(nil, p.open, piece, p.close))
			}
			endStream(w, events)
		case FaultEndlessStream:
			start := time.Now()
			for i := 1; ; i++ {
				if !s.sleepUntil(start.Add(time.Duration(i) * delay)) {
					return
				}
				piece := p.pieces[i%len(p.pieces)]
				if !writeChunk(w, p.appendChunk(buf[:0], p.open, piece, p.close)) {
					return
				}
			}
		}
	})
}

// endlessLine runs FaultEndlessLine: a line that never ends, in a stream (stream) or in a
// plain JSON body, written as fast as the client takes it.
func (s *Server) endlessLine(ctx *fasthttp.RequestCtx, stream bool) {
	start := `{"id":"`
	if stream {
		ctx.SetContentType(contentTypeEventStream)
		ctx.Response.Header.Set(fasthttp.HeaderCacheControl, "no-cache")
		start = "data: " + start
	} else {
		ctx.SetContentType(contentTypeJSON)
	}
	ctx.SetBodyStreamWriter(func(w *bufio.Writer) {
		block := make([]byte, 32<<10)
		for i := range block {
			block[i] = 'x'
		}
		if !writeEvent(w, []byte(start)) {
			s.stats.faultsEndedByClient.Add(1)
			return
		}
		for {
			select {
			case <-s.closing:
				return
			default:
			}
			if !writeEvent(w, block) {
				s.stats.faultsEndedByClient.Add(1)
				return
			}
		}
	})
}

// writeChunk writes data as one HTTP chunk and flushes it, reporting success.
func writeChunk(w *bufio.Writer, data []byte) bool {
	var n [16]byte
	w.Write(strconv.AppendInt(n[:0], int64(len(data)), 16)) //nolint:errcheck // Flush reports it
	w.WriteString("\r\n")                                   //nolint:errcheck
	w.Write(data)                                           //nolint:errcheck
	w.WriteString("\r\n")                                   //nolint:errcheck
	return w.Flush() == nil
}

// reset makes the coming close of c send a TCP RST rather than a FIN, when c
// (or a connection it wraps, through NetConn) has SetLinger.
func reset(c net.Conn) {
	for c != nil {
		if l, ok := c.(interface{ SetLinger(sec int) error }); ok {
			l.SetLinger(0) //nolint:errcheck // a failure leaves an ordinary close
			return
		}
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			return
		}
		c = u.NetConn()
	}
}

// hugeBody returns a valid chat completion of size bytes (at least the
// members' own size).
func hugeBody(model string, size int) []byte {
	head := `{"id":"chatcmpl-huge","object":"chat.completion","created":1700000000,"model":`
	mid := `,"choices":[{"index":0,"message":{"role":"assistant","content":"`
	tail := `","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":1,"total_tokens":11}}`
	b := make([]byte, 0, size+len(model)+256)
	b = append(b, head...)
	b = appendJSONString(b, model)
	b = append(b, mid...)
	n := max(size-len(b)-len(tail), 1)
	for len(filler) <= n {
		b = append(b, filler...)
		n -= len(filler)
	}
	b = append(b, filler[:n]...)
	return append(b, tail...)
}
