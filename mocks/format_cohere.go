package mocks

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"math"
	"strconv"
	"time"

	"github.com/mailru/easyjson/jlexer"
	"github.com/valyala/fasthttp"
)

// FormatCohere is Cohere's v2 wire format (https://docs.cohere.com/reference/chat):
// POST /v2/chat (plain, and SSE events with "stream": true), POST /v2/embed and
// GET /v1/models, errors as {"id","message"}.
const FormatCohere = "cohere"

// cohereRequest is what the mock reads from a /v2/chat body beyond chatRequest's fields.
type cohereRequest struct {
	chatRequest
	tool       string // the first tool's function name, or ""
	toolResult bool   // a message has role "tool": the model answers in text
}

// serveCohere answers a request in Cohere's format, with the OpenAI routes' latency model,
// key check and failure injection.
func (s *Server) serveCohere(ctx *fasthttp.RequestCtx) {
	path, method := string(ctx.Path()), string(ctx.Method())
	var r route
	switch {
	case path == "/v2/chat" && method == fasthttp.MethodPost:
		r = routeChat
	case path == "/v2/embed" && method == fasthttp.MethodPost:
		r = routeEmbeddings
	case path == "/v1/models" && method == fasthttp.MethodGet:
		r = routeModels
	default:
		s.stats.notFound.Add(1)
		writeCohereError(ctx, fasthttp.StatusNotFound, "mock: no Cohere route "+method+" "+path)
		return
	}
	s.stats.routes[r].Add(1)
	if s.authz != nil && string(ctx.Request.Header.Peek(fasthttp.HeaderAuthorization)) != string(s.authz) {
		s.stats.unauthorized.Add(1)
		writeCohereError(ctx, fasthttp.StatusUnauthorized, "invalid api token")
		return
	}
	if status := s.pickFault(); status != 0 {
		if status == faultConn {
			s.injectConnFault(ctx)
			return
		}
		s.stats.countInjected(status)
		writeCohereError(ctx, status, cohereFaultMessage(status))
		return
	}
	switch r {
	case routeChat:
		s.serveCohereChat(ctx)
	case routeEmbeddings:
		s.serveCohereEmbed(ctx)
	default:
		ctx.SetContentType(contentTypeJSON)
		ctx.SetBodyString(cohereModels)
	}
}

// cohereModels is the mock's GET /v1/models answer.
const cohereModels = `{"models":[` +
	`{"name":"command-a-03-2025","is_deprecated":false,"endpoints":["chat"],"finetuned":false,"context_length":256000,"default_endpoints":["chat"]},` +
	`{"name":"embed-v4.0","is_deprecated":false,"endpoints":["embed"],"finetuned":false,"context_length":128000,"default_endpoints":["embed"]}` +
	`],"next_page_token":""}`

// cohereFaultMessage is the message of an injected failure, as Cohere words it.
func cohereFaultMessage(status int) string {
	switch status {
	case fasthttp.StatusTooManyRequests:
		return "You are using a Trial key, which is limited to 20 API calls / minute. (injected by bifrost-mock)"
	case fasthttp.StatusInternalServerError:
		return "internal server error, this has been reported to our developers. (injected by bifrost-mock)"
	case fasthttp.StatusServiceUnavailable:
		return "service unavailable (injected by bifrost-mock)"
	}
	return "The mock provider injected this failure. (injected by bifrost-mock)"
}

// writeCohereError answers {"id":"...","message":"..."} with status; a 429 also gets
// "Retry-After: 1".
func writeCohereError(ctx *fasthttp.RequestCtx, status int, message string) {
	buf := append(beginErrorBody(ctx, status), `{"id":"mock-error","message":`...)
	buf = appendJSONString(buf, message)
	buf = append(buf, '}')
	ctx.Response.SwapBody(buf)
}

// parseCohereChat reads a /v2/chat body: model, messages and stream as the OpenAI parser
// does, then the first tool's name and whether a tool result is in the messages.
func parseCohereChat(body []byte, req *cohereRequest) *apiError {
	if err := parseChatRequest(body, &req.chatRequest); err != nil {
		return err
	}
	l := jlexer.Lexer{Data: body}
	l.Delim('{')
	for !l.IsDelim('}') && l.Ok() {
		key := l.UnsafeFieldName(false)
		l.WantColon()
		switch key {
		case "tools":
			req.tool = firstToolName(&l)
		case "messages":
			req.toolResult = hasToolRole(&l)
		default:
			l.SkipRecursive()
		}
		l.WantComma()
	}
	return nil
}

// firstToolName reads a tools array and returns tools[0].function.name.
func firstToolName(l *jlexer.Lexer) string {
	name := ""
	l.Delim('[')
	for i := 0; !l.IsDelim(']') && l.Ok(); i++ {
		if i > 0 || !l.IsDelim('{') {
			l.SkipRecursive()
			l.WantComma()
			continue
		}
		l.Delim('{')
		for !l.IsDelim('}') && l.Ok() {
			key := l.UnsafeFieldName(false)
			l.WantColon()
			if key != "function" || !l.IsDelim('{') {
				l.SkipRecursive()
				l.WantComma()
				continue
			}
			name = readObjectName(l)
			l.WantComma()
		}
		l.Delim('}')
		l.WantComma()
	}
	l.Delim(']')
	return name
}

// hasToolRole reads a messages array and reports whether one has role "tool".
func hasToolRole(l *jlexer.Lexer) bool {
	found := false
	l.Delim('[')
	for !l.IsDelim(']') && l.Ok() {
		if !l.IsDelim('{') {
			l.SkipRecursive()
			l.WantComma()
			continue
		}
		l.Delim('{')
		for !l.IsDelim('}') && l.Ok() {
			key := l.UnsafeFieldName(false)
			l.WantColon()
			if key == "role" && l.CurrentToken() == jlexer.TokenString {
				found = found || l.UnsafeString() == "tool"
			} else {
				l.SkipRecursive()
			}
			l.WantComma()
		}
		l.Delim('}')
		l.WantComma()
	}
	l.Delim(']')
	return found
}

// serveCohereChat answers POST /v2/chat: the mock's content as one text block, or, when the
// request offers tools and holds no tool result yet, a tool plan and a call of the first tool.
func (s *Server) serveCohereChat(ctx *fasthttp.RequestCtx) {
	var req cohereRequest
	if err := parseCohereChat(ctx.PostBody(), &req); err != nil {
		s.stats.badRequests.Add(1)
		writeCohereError(ctx, err.status, "invalid request: "+err.message)
		return
	}
	p := pace{time.Now(), s.latency()}
	id := "mock-" + string(appendHex16(nil, s.nextID()))
	call := ""
	if req.tool != "" && !req.toolResult {
		call = req.tool
	}
	prompt, completion := req.promptTokens(), s.content.tokens
	if req.stream {
		cs := &cohereStream{id: id, call: call, pieces: s.content.pieces, prompt: prompt, completion: completion, pace: p}
		startSSE(ctx, func(w *bufio.Writer) { s.runCohereStream(w, cs) })
		return
	}
	s.sleepUntil(p.start.Add(p.latency))
	buf := append(ctx.Response.SwapBody(nil)[:0], `{"id":"`...)
	buf = append(buf, id...)
	if call != "" {
		buf = append(buf, `","finish_reason":"TOOL_CALL","message":{"role":"assistant","tool_plan":"I will call `...)
		buf = append(buf, call...)
		buf = append(buf, `.","tool_calls":[{"id":"`...)
		buf = append(buf, call...)
		buf = append(buf, `_mock0","type":"function","function":{"name":`...)
		buf = appendJSONString(buf, call)
		buf = append(buf, `,"arguments":"{}"}}]}`...)
		completion = 10
	} else {
		buf = append(buf, `","finish_reason":"COMPLETE","message":{"role":"assistant","content":[{"type":"text","text":"`...)
		buf = append(buf, s.content.text...)
		buf = append(buf, `"}]}`...)
	}
	buf = appendCohereUsage(append(buf, `,"usage":`...), prompt, completion)
	ctx.SetContentType(contentTypeJSON)
	ctx.Response.SwapBody(append(buf, '}'))
}

// appendCohereUsage appends a usage object: billed units and tokens (the same counts).
func appendCohereUsage(dst []byte, prompt, completion int) []byte {
	for _, name := range [2]string{`{"billed_units":{"input_tokens":`, `,"tokens":{"input_tokens":`} {
		dst = append(dst, name...)
		dst = strconv.AppendInt(dst, int64(prompt), 10)
		dst = append(dst, `,"output_tokens":`...)
		dst = strconv.AppendInt(dst, int64(completion), 10)
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// cohereStream is one streamed /v2/chat answer; it owns what it took from the request.
type cohereStream struct {
	id, call           string
	pieces             []string
	prompt, completion int
	pace
}

// runCohereStream writes Cohere's events (https://docs.cohere.com/reference/chat-stream),
// paced as the OpenAI stream is: message-start, then content-start, a content-delta per piece
// and content-end (or a tool-plan-delta, tool-call-start, tool-call-delta and tool-call-end),
// then message-end with the finish reason and usage.
func (s *Server) runCohereStream(w *bufio.Writer, p *cohereStream) {
	buf := make([]byte, 0, 512)
	event := func(name string, parts ...string) bool {
		buf = append(append(append(buf[:0], "event: "...), name...), "\ndata: "...)
		for _, part := range parts {
			buf = append(buf, part...)
		}
		return writeEvent(w, append(buf, "\n\n"...))
	}
	if !s.sleepUntil(p.due(0, len(p.pieces)+1)) ||
		!event("message-start", `{"id":"`, p.id, `","type":"message-start","delta":{"message":{"role":"assistant","content":[],"tool_plan":"","tool_calls":[],"citations":[]}}}`) {
		return
	}
	finish := "COMPLETE"
	if p.call != "" {
		finish = "TOOL_CALL"
		name := string(appendJSONString(nil, p.call))
		if !event("tool-plan-delta", `{"type":"tool-plan-delta","delta":{"message":{"tool_plan":"I will call the tool."}}}`) ||
			!event("tool-call-start", `{"type":"tool-call-start","index":0,"delta":{"message":{"tool_calls":{"id":"`, p.call, `_mock0","type":"function","function":{"name":`, name, `,"arguments":""}}}}}`) ||
			!event("tool-call-delta", `{"type":"tool-call-delta","index":0,"delta":{"message":{"tool_calls":{"function":{"arguments":"{}"}}}}}`) ||
			!event("tool-call-end", `{"type":"tool-call-end","index":0}`) {
			return
		}
	} else {
		if !event("content-start", `{"type":"content-start","index":0,"delta":{"message":{"content":{"type":"text","text":""}}}}`) {
			return
		}
		for i, piece := range p.pieces {
			if !s.sleepUntil(p.due(i, len(p.pieces))) ||
				!event("content-delta", `{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"`, piece, `"}}}}`) {
				return
			}
		}
		if !event("content-end", `{"type":"content-end","index":0}`) {
			return
		}
	}
	usage := string(appendCohereUsage(nil, p.prompt, p.completion))
	event("message-end", `{"type":"message-end","delta":{"finish_reason":"`, finish, `","usage":`, usage, `}}`)
}

// serveCohereEmbed answers POST /v2/embed: one deterministic unit vector per text, as floats,
// or as base64 little-endian float32s when embedding_types asks for base64.
func (s *Server) serveCohereEmbed(ctx *fasthttp.RequestCtx) {
	body := ctx.PostBody()
	texts, dims, b64 := 0, s.cfg.EmbeddingDimensions, false
	l := jlexer.Lexer{Data: body}
	l.Delim('{')
	for !l.IsDelim('}') && l.Ok() {
		key := l.UnsafeFieldName(false)
		l.WantColon()
		switch key {
		case "texts":
			l.Delim('[')
			for !l.IsDelim(']') && l.Ok() {
				l.SkipRecursive()
				texts++
				l.WantComma()
			}
			l.Delim(']')
		case "output_dimension":
			dims = l.Int()
		case "embedding_types":
			l.Delim('[')
			for !l.IsDelim(']') && l.Ok() {
				b64 = b64 || l.UnsafeString() == "base64"
				l.WantComma()
			}
			l.Delim(']')
		default:
			l.SkipRecursive()
		}
		l.WantComma()
	}
	if !l.Ok() || !validEmbedding(texts, dims) {
		s.stats.badRequests.Add(1)
		writeCohereError(ctx, fasthttp.StatusBadRequest, "invalid request: texts must be a non-empty list of strings and output_dimension a valid size")
		return
	}
	s.sleepUntil(time.Now().Add(s.latency()))
	buf := append(ctx.Response.SwapBody(nil)[:0], `{"id":"mock-`...)
	buf = appendHex16(buf, s.nextID())
	kind := `float`
	if b64 {
		kind = `base64`
	}
	buf = append(append(append(buf, `","embeddings":{"`...), kind...), `":[`...)
	v := make([]int32, dims)
	for i := range texts {
		if i > 0 {
			buf = append(buf, ',')
		}
		fillEmbedding(v, uint64(i)+1)
		if b64 {
			buf = appendBase64Floats(buf, v)
			continue
		}
		buf = appendNanoVector(buf, v)
	}
	buf = append(buf, `]},"meta":{"api_version":{"version":"2"},"billed_units":{"input_tokens":`...)
	buf = strconv.AppendInt(buf, int64(texts), 10)
	ctx.SetContentType(contentTypeJSON)
	ctx.Response.SwapBody(append(buf, `}},"response_type":"embeddings_by_type"}`...))
}

// appendBase64Floats appends v (in units of 1/nanoUnit) as a JSON string of base64
// little-endian float32s.
func appendBase64Floats(dst []byte, v []int32) []byte {
	raw := make([]byte, 0, 4*len(v))
	for _, q := range v {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(float32(float64(q)/nanoUnit)))
	}
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, raw)
	return append(dst, '"')
}
