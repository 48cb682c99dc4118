package mocks

import (
	"bufio"
	"bytes"
	"net"
	"strconv"
	"time"

	"github.com/mailru/easyjson/jlexer"
	"github.com/valyala/fasthttp"
)

// FormatAnthropic is Anthropic's Messages API
// (https://docs.anthropic.com/en/api/messages): POST /v1/messages, plain and streamed
// (https://docs.anthropic.com/en/docs/build-with-claude/streaming), POST
// /v1/messages/count_tokens (count_tokens.go), GET /v1/models, the key
// in x-api-key, anthropic-version required, errors as {"type":"error","error":{...}}
// (https://docs.anthropic.com/en/api/errors).
const FormatAnthropic = "anthropic"

// anthropicModels are the models GET /v1/models lists in the anthropic format.
var anthropicModels = [...]struct{ id, name, created string }{
	{"claude-3-7-sonnet-20250219", "Claude 3.7 Sonnet", "2025-02-19T00:00:00Z"},
	{"claude-3-5-sonnet-20241022", "Claude 3.5 Sonnet (New)", "2024-10-22T00:00:00Z"},
	{"claude-3-5-haiku-20241022", "Claude 3.5 Haiku", "2024-10-22T00:00:00Z"},
}

// anthropicRequest is what the mock reads from a Messages request; model points into the
// request body and is valid only during the handler.
type anthropicRequest struct {
	model      string
	stream     bool
	maxTokens  bool
	messages   int
	textBytes  int
	tool       string // the first tool's name, when the request has tools
	toolResult bool   // the last message carries a tool_result
}

// serveAnthropic answers a request in the anthropic format: route, method, key, the
// anthropic-version header, injected failures, then the answer.
func (s *Server) serveAnthropic(ctx *fasthttp.RequestCtx) {
	path := string(ctx.Path())
	var r route
	switch path {
	case "/v1/messages/count_tokens":
		s.serveAnthropicCountTokens(ctx)
		return
	case "/v1/messages":
		r = routeChat
	case "/v1/models":
		r = routeModels
	default:
		s.stats.notFound.Add(1)
		writeAnthropicError(ctx, fasthttp.StatusNotFound, "not_found_error", "Not found")
		return
	}
	s.stats.routes[r].Add(1)
	if string(ctx.Method()) != r.method() {
		s.stats.badRequests.Add(1)
		writeAnthropicError(ctx, fasthttp.StatusMethodNotAllowed, "invalid_request_error", "Method Not Allowed")
		return
	}
	if s.cfg.Fault != FaultEchoKey && !s.headerHasKey(ctx, "x-api-key") { // FaultEchoKey echoes any key
		s.stats.unauthorized.Add(1)
		writeAnthropicError(ctx, fasthttp.StatusUnauthorized, "authentication_error", "invalid x-api-key")
		return
	}
	if len(ctx.Request.Header.Peek("anthropic-version")) == 0 {
		s.stats.badRequests.Add(1)
		writeAnthropicError(ctx, fasthttp.StatusBadRequest, "invalid_request_error", "anthropic-version: header is required")
		return
	}
	if r == routeModels {
		s.serveAnthropicModels(ctx)
		return
	}
	var req anthropicRequest
	if msg := parseAnthropicRequest(ctx.PostBody(), &req); msg != "" {
		s.stats.badRequests.Add(1)
		writeAnthropicError(ctx, fasthttp.StatusBadRequest, "invalid_request_error", msg)
		return
	}
	s.answerAnthropic(ctx, &req)
}

// answerAnthropic answers a valid Messages request (from /v1/messages, or Claude on Vertex
// AI): an injected failure, or the message, plain or streamed, after the latency.
func (s *Server) answerAnthropic(ctx *fasthttp.RequestCtx, req *anthropicRequest) {
	if status := s.pickFault(); status == faultConn {
		s.anthropicConnFault(ctx, req)
		return
	} else if status != 0 {
		s.stats.countInjected(status)
		typ, msg := anthropicStatusError(status)
		writeAnthropicError(ctx, status, typ, msg)
		return
	}
	if s.cfg.Fault == FaultEchoKey && !s.headerHasKey(ctx, "x-api-key") {
		s.stats.unauthorized.Add(1)
		writeAnthropicError(ctx, fasthttp.StatusUnauthorized, "authentication_error", "invalid x-api-key")
		return
	}
	p := pace{time.Now(), s.latency()}
	if req.stream {
		plan := s.anthropicStream(req)
		plan.pace = p
		startSSE(ctx, func(w *bufio.Writer) { s.runAnthropicStream(w, plan, len(plan.events)) })
		return
	}
	s.sleepUntil(p.start.Add(p.latency))
	ctx.SetContentType(contentTypeJSON)
	buf := ctx.Response.SwapBody(nil)[:0]
	buf = s.appendAnthropicMessage(buf, req)
	ctx.Response.SwapBody(buf)
}

// anthropicStatusError gives Anthropic's error type and a message for an injected status.
func anthropicStatusError(status int) (typ, msg string) {
	switch status {
	case fasthttp.StatusBadRequest:
		return "invalid_request_error", "The mock provider injected this failure. (injected by bifrost-mock)"
	case fasthttp.StatusUnauthorized:
		return "authentication_error", "invalid x-api-key (injected by bifrost-mock)"
	case fasthttp.StatusForbidden:
		return "permission_error", "Your API key does not have permission to use the specified resource. (injected by bifrost-mock)"
	case fasthttp.StatusNotFound:
		return "not_found_error", "The requested resource could not be found. (injected by bifrost-mock)"
	case fasthttp.StatusRequestEntityTooLarge:
		return "request_too_large", "Request exceeds the maximum allowed number of bytes. (injected by bifrost-mock)"
	case fasthttp.StatusTooManyRequests:
		return "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit. (injected by bifrost-mock)"
	case 529:
		return "overloaded_error", "Overloaded (injected by bifrost-mock)"
	}
	if status >= 500 {
		return "api_error", "Internal server error (injected by bifrost-mock)"
	}
	return "invalid_request_error", "The mock provider injected this failure. (injected by bifrost-mock)"
}

// writeAnthropicError answers ctx with Anthropic's error body; a 429 also gets
// "Retry-After: 1".
func writeAnthropicError(ctx *fasthttp.RequestCtx, status int, typ, msg string) {
	ctx.Response.SwapBody(appendAnthropicError(beginErrorBody(ctx, status), typ, msg))
}

func appendAnthropicError(dst []byte, typ, msg string) []byte {
	dst = append(dst, `{"type":"error","error":{"type":`...)
	dst = appendJSONString(dst, typ)
	dst = append(dst, `,"message":`...)
	dst = appendJSONString(dst, msg)
	return append(dst, "}}"...)
}

// parseAnthropicRequest reads a Messages request into req, returning a 400 message or "".
func parseAnthropicRequest(body []byte, req *anthropicRequest) string {
	l := jlexer.Lexer{Data: body}
	l.Delim('{')
	for !l.IsDelim('}') && l.Ok() {
		key := l.UnsafeFieldName(false)
		l.WantColon()
		switch key {
		case "model":
			req.model = l.UnsafeString()
		case "max_tokens":
			l.Int()
			req.maxTokens = true
		case "stream":
			req.stream = readBool(&l)
		case "messages":
			l.Delim('[')
			for !l.IsDelim(']') && l.Ok() {
				raw := l.Raw()
				req.messages++
				req.textBytes += len(raw)
				req.toolResult = bytes.Contains(raw, []byte(`"tool_result"`))
				l.WantComma()
			}
			l.Delim(']')
		case "tools":
			l.Delim('[')
			for !l.IsDelim(']') && l.Ok() {
				raw := l.Raw()
				if req.tool == "" {
					req.tool = toolName(raw)
				}
				l.WantComma()
			}
			l.Delim(']')
		default:
			skipValue(&l, 1)
		}
		l.WantComma()
	}
	l.Delim('}')
	l.Consumed()
	switch {
	case l.Error() != nil:
		return "There was an error parsing the body of your request: " + l.Error().Error()
	case req.model == "":
		return "model: Field required"
	case !req.maxTokens:
		return "max_tokens: Field required"
	case req.messages == 0:
		return "messages: Field required"
	}
	return ""
}

// toolName returns the name member of a tool definition.
func toolName(raw []byte) string {
	l := jlexer.Lexer{Data: raw}
	return readObjectName(&l)
}

// callsTool reports whether the answer is a tool call: the request has tools and its last
// message is not a tool result.
func (r *anthropicRequest) callsTool() bool { return r.tool != "" && !r.toolResult }

func (r *anthropicRequest) inputTokens() int { return estimateTokens(r.textBytes) + 3 }

// appendAnthropicMessage appends a plain Messages response: the mock's text, or a tool_use.
func (s *Server) appendAnthropicMessage(dst []byte, r *anthropicRequest) []byte {
	dst = append(dst, `{"id":"msg_`...)
	dst = appendHex16(dst, s.nextID())
	dst = append(dst, `","type":"message","role":"assistant","model":`...)
	dst = appendJSONString(dst, r.model)
	dst = append(dst, `,"content":[`...)
	stop, out := "end_turn", s.content.tokens
	if r.callsTool() {
		dst = append(dst, `{"type":"tool_use","id":"toolu_`...)
		dst = appendHex16(dst, s.nextID())
		dst = append(dst, `","name":`...)
		dst = appendJSONString(dst, r.tool)
		dst = append(dst, `,"input":{"query":"bifrost"}}`...)
		stop, out = "tool_use", 12
	} else {
		dst = append(dst, `{"type":"text","text":`...)
		dst = appendJSONString(dst, s.content.text)
		dst = append(dst, '}')
	}
	dst = append(dst, `],"stop_reason":"`...)
	dst = append(dst, stop...)
	dst = append(dst, `","stop_sequence":null,"usage":{"input_tokens":`...)
	dst = strconv.AppendInt(dst, int64(r.inputTokens()), 10)
	dst = append(dst, `,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":`...)
	dst = strconv.AppendInt(dst, int64(out), 10)
	return append(dst, `,"service_tier":"standard"}}`...)
}

// anthropicPlan is one streamed answer: its events, written in full before the handler's
// request is gone.
type anthropicPlan struct {
	events  [][]byte // each "event: ...\ndata: ...\n\n"
	content int      // index of the first content event; the events before it go first
	pace
}

func appendSSE(dst []byte, name string, data ...string) []byte {
	dst = append(dst, "event: "...)
	dst = append(dst, name...)
	dst = append(dst, "\ndata: "...)
	for _, d := range data {
		dst = append(dst, d...)
	}
	return append(dst, "\n\n"...)
}

// anthropicStream plans the events of a streamed answer, as the streaming docs show them:
// message_start, a content block (text deltas, or a tool_use with input_json_delta pieces),
// pings, message_delta with the stop reason and usage, message_stop.
func (s *Server) anthropicStream(r *anthropicRequest) *anthropicPlan {
	p := &anthropicPlan{}
	add := func(name string, data ...string) { p.events = append(p.events, appendSSE(nil, name, data...)) }
	var head []byte
	head = append(head, `{"type":"message_start","message":{"id":"msg_`...)
	head = appendHex16(head, s.nextID())
	head = append(head, `","type":"message","role":"assistant","model":`...)
	head = appendJSONString(head, r.model)
	head = append(head, `,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":`...)
	head = strconv.AppendInt(head, int64(r.inputTokens()), 10)
	head = append(head, `,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}`...)
	add("message_start", string(head))
	stop, out := "end_turn", s.content.tokens
	if r.callsTool() {
		id := string(appendHex16(nil, s.nextID()))
		add("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_`, id,
			`","name":`, string(appendJSONString(nil, r.tool)), `,"input":{}}}`)
		add("ping", `{"type":"ping"}`)
		p.content = len(p.events)
		for _, piece := range []string{``, `{\"query\"`, `: \"bif`, `rost\"}`} {
			add("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"`, piece, `"}}`)
		}
		stop, out = "tool_use", 12
	} else {
		add("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
		add("ping", `{"type":"ping"}`)
		p.content = len(p.events)
		for _, piece := range s.content.pieces {
			add("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":`, string(appendJSONString(nil, piece)), `}}`)
		}
	}
	add("content_block_stop", `{"type":"content_block_stop","index":0}`)
	add("message_delta", `{"type":"message_delta","delta":{"stop_reason":"`, stop, `","stop_sequence":null},"usage":{"output_tokens":`, strconv.Itoa(out), `}}`)
	add("message_stop", `{"type":"message_stop"}`)
	return p
}

// runAnthropicStream writes the first n events of p, flushing each; content events are
// spread over the latency as the OpenAI stream's chunks are.
func (s *Server) runAnthropicStream(w *bufio.Writer, p *anthropicPlan, n int) bool {
	// The last three events (content_block_stop, message_delta, message_stop) follow the content.
	return s.writeEvents(w, p.events, p.content, len(p.events)-p.content-3, p.pace, n)
}

// serveAnthropicModels answers GET /v1/models in Anthropic's shape.
func (s *Server) serveAnthropicModels(ctx *fasthttp.RequestCtx) {
	b := ctx.Response.SwapBody(nil)[:0]
	b = append(b, `{"data":[`...)
	for i, m := range anthropicModels {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"type":"model","id":`...)
		b = appendJSONString(b, m.id)
		b = append(b, `,"display_name":`...)
		b = appendJSONString(b, m.name)
		b = append(b, `,"created_at":"`...)
		b = append(b, m.created...)
		b = append(b, `"}`...)
	}
	b = append(b, `],"has_more":false,"first_id":"`...)
	b = append(b, anthropicModels[0].id...)
	b = append(b, `","last_id":"`...)
	b = append(b, anthropicModels[len(anthropicModels)-1].id...)
	b = append(b, `"}`...)
	ctx.SetContentType(contentTypeJSON)
	ctx.Response.SwapBody(b)
}

// anthropicConnFault runs Config.Fault for a Messages request, with Anthropic's bodies.
func (s *Server) anthropicConnFault(ctx *fasthttp.RequestCtx, r *anthropicRequest) {
	mode := s.cfg.Fault
	if mode == FaultEchoKey {
		s.echoKeyAnthropic(ctx, r)
		return
	}
	body := s.appendAnthropicMessage(nil, r)
	if r.stream {
		switch mode {
		case FaultStreamCut, FaultStreamEndEarly, FaultSilentStream, FaultEndlessStream:
			s.anthropicFaultStream(ctx, r, mode)
			return
		}
	}
	if fixed, ok := s.fixedBody(); ok {
		ctx.SetContentType(contentTypeJSON)
		ctx.SetBodyString(fixed)
		return
	}
	switch mode {
	case FaultEndlessLine:
		s.endlessLine(ctx, r.stream)
	case FaultEndlessError:
		ctx.SetStatusCode(fasthttp.StatusInternalServerError)
		s.endlessLine(ctx, false)
	case FaultCloseAfterResponse:
		ctx.SetContentType(contentTypeJSON)
		ctx.SetBody(body)
		ctx.Hijack(func(net.Conn) {})
	case FaultMalformedJSON:
		ctx.SetContentType(contentTypeJSON)
		ctx.SetBodyString("<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>\n")
	case FaultTruncatedJSON:
		ctx.SetContentType(contentTypeJSON)
		ctx.SetBody(body[:len(body)/2])
	case FaultHugeBody:
		ctx.SetContentType(contentTypeJSON)
		ctx.SetBody(hugeAnthropicBody(r.model, s.cfg.FaultBodySize))
	case FaultSlowBody:
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
	case FaultResetMidBody, FaultStreamCut, FaultStreamEndEarly:
		raw := ctx.Conn()
		s.hijack(ctx, func(c net.Conn) {
			head := "HTTP/1.1 200 OK\r\nServer: bifrost-mock\r\nContent-Type: " + contentTypeJSON +
				"\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
			if _, err := c.Write(append([]byte(head), body[:len(body)/2]...)); err == nil {
				time.Sleep(faultPoll)
			}
			reset(raw)
		})
	default: // FaultHang, and the stream faults for a plain request
		s.hijack(ctx, func(c net.Conn) { s.hold(c) })
	}
}

// anthropicFaultStream writes a stream by hand on the hijacked connection: half of it then a
// reset (stream_cut), half of it then a clean end of the body (stream_end_early),
// message_start then silence (silent_stream), or pings every FaultDelay without end
// (endless_stream).
func (s *Server) anthropicFaultStream(ctx *fasthttp.RequestCtx, r *anthropicRequest, mode FaultMode) {
	raw := ctx.Conn()
	p := s.anthropicStream(r)
	delay := s.cfg.FaultDelay
	s.hijack(ctx, func(c net.Conn) {
		w := bufio.NewWriter(c)
		writeChunkedHead(w, contentTypeEventStream, "Cache-Control: no-cache\r\n")
		if !writeChunk(w, p.events[0]) {
			return
		}
		switch mode {
		case FaultSilentStream:
			s.hold(c)
		case FaultStreamCut:
			cutStream(w, raw, p.events[1:len(p.events)/2])
		case FaultStreamEndEarly:
			endStream(w, p.events[1:len(p.events)/2])
		case FaultEndlessStream:
			ping := appendSSE(nil, "ping", `{"type":"ping"}`)
			start := time.Now()
			for i := 1; ; i++ {
				if !s.sleepUntil(start.Add(time.Duration(i) * delay)) {
					return
				}
				if !writeChunk(w, ping) {
					return
				}
			}
		}
	})
}

// hugeAnthropicBody returns a valid Messages response of about size bytes.
func hugeAnthropicBody(model string, size int) []byte {
	b := make([]byte, 0, size+len(model)+256)
	b = append(b, `{"id":"msg_huge","type":"message","role":"assistant","model":`...)
	b = appendJSONString(b, model)
	b = append(b, `,"content":[{"type":"text","text":"`...)
	tail := `"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":1}}`
	n := max(size-len(b)-len(tail), 1)
	for len(filler) <= n {
		b = append(b, filler...)
		n -= len(filler)
	}
	b = append(b, filler[:n]...)
	return append(b, tail...)
}
