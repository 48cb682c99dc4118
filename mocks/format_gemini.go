package mocks

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/mailru/easyjson/jlexer"
	"github.com/valyala/fasthttp"
)

// FormatGemini is Google's Gemini API wire format (https://ai.google.dev/api/generate-content):
// POST /v1beta/models/{model}:generateContent, :streamGenerateContent?alt=sse,
// :batchEmbedContents and :embedContent, GET /v1beta/models, the key in x-goog-api-key, and
// errors as {"error":{"code","message","status"}}.
const FormatGemini = "gemini"

// serveGemini answers a request in the Gemini API's format, with the OpenAI routes' latency
// model, key check (x-goog-api-key must be Config.RequireKey) and failure injection.
func (s *Server) serveGemini(ctx *fasthttp.RequestCtx) {
	path, method := string(ctx.Path()), string(ctx.Method())
	var model, action string
	r := routeNone
	switch {
	case path == "/v1beta/models" && method == fasthttp.MethodGet:
		r = routeModels
	case strings.HasPrefix(path, "/v1beta/models/") && method == fasthttp.MethodPost:
		model, action = splitAction(path[len("/v1beta/models/"):])
		r = googleRoute(action)
	}
	if r == routeNone {
		s.stats.notFound.Add(1)
		writeGoogleError(ctx, fasthttp.StatusNotFound, "mock: no Gemini route "+method+" "+path)
		return
	}
	s.stats.routes[r].Add(1)
	if !s.headerHasKey(ctx, "x-goog-api-key") {
		s.stats.unauthorized.Add(1)
		writeGoogleError(ctx, fasthttp.StatusBadRequest, "API key not valid. Please pass a valid API key.")
		return
	}
	if action == "countTokens" {
		s.serveGoogleCountTokens(ctx, model, false)
		return
	}
	s.serveGoogle(ctx, r, model, action)
}

// splitAction splits "{model}:{action}" at its last colon.
func splitAction(s string) (model, action string) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return "", ""
	}
	return s[:i], s[i+1:]
}

// googleRoute maps a Gemini method to the mock's route.
func googleRoute(action string) route {
	switch action {
	case "generateContent", "streamGenerateContent":
		return routeChat
	case "batchEmbedContents", "embedContent":
		return routeEmbeddings
	case "countTokens": // count_tokens.go; counted with the chat route
		return routeChat
	}
	return routeNone
}

// serveGoogle answers an authorized Gemini request (Gemini API or Vertex AI) after the
// failure injection.
func (s *Server) serveGoogle(ctx *fasthttp.RequestCtx, r route, model, action string) {
	if status := s.pickFault(); status != 0 {
		if status == faultConn {
			s.injectConnFault(ctx)
			return
		}
		s.stats.countInjected(status)
		writeGoogleError(ctx, status, googleFaultMessage(status))
		return
	}
	switch r {
	case routeChat:
		s.serveGoogleChat(ctx, model, action == "streamGenerateContent")
	case routeEmbeddings:
		s.serveGoogleEmbed(ctx, action == "embedContent")
	default:
		ctx.SetContentType(contentTypeJSON)
		ctx.SetBodyString(geminiModels)
	}
}

// geminiModels is the mock's models.list answer.
const geminiModels = `{"models":[` +
	`{"name":"models/gemini-2.0-flash","version":"2.0","displayName":"Gemini 2.0 Flash","inputTokenLimit":1048576,"outputTokenLimit":8192,"supportedGenerationMethods":["generateContent","countTokens"]},` +
	`{"name":"models/gemini-embedding-001","version":"001","displayName":"Gemini Embedding 001","inputTokenLimit":2048,"outputTokenLimit":1,"supportedGenerationMethods":["embedContent"]}` +
	`]}`

// googleStatus is the google.rpc.Code name Google's APIs send with an HTTP status.
func googleStatus(status int) string {
	switch status {
	case fasthttp.StatusBadRequest:
		return "INVALID_ARGUMENT"
	case fasthttp.StatusUnauthorized:
		return "UNAUTHENTICATED"
	case fasthttp.StatusForbidden:
		return "PERMISSION_DENIED"
	case fasthttp.StatusNotFound:
		return "NOT_FOUND"
	case fasthttp.StatusTooManyRequests:
		return "RESOURCE_EXHAUSTED"
	case fasthttp.StatusServiceUnavailable:
		return "UNAVAILABLE"
	case fasthttp.StatusGatewayTimeout:
		return "DEADLINE_EXCEEDED"
	}
	return "INTERNAL"
}

// googleFaultMessage is the message of an injected failure, as Google words it.
func googleFaultMessage(status int) string {
	switch status {
	case fasthttp.StatusTooManyRequests:
		return "Resource has been exhausted (e.g. check quota). (injected by bifrost-mock)"
	case fasthttp.StatusServiceUnavailable:
		return "The model is overloaded. Please try again later. (injected by bifrost-mock)"
	}
	return "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting (injected by bifrost-mock)"
}

// writeGoogleError answers {"error":{"code":...,"message":"...","status":"..."}}; a 429 also
// gets "Retry-After: 1".
func writeGoogleError(ctx *fasthttp.RequestCtx, status int, message string) {
	buf := append(beginErrorBody(ctx, status), `{"error":{"code":`...)
	buf = strconv.AppendInt(buf, int64(status), 10)
	buf = append(buf, `,"message":`...)
	buf = appendJSONString(buf, message)
	buf = append(buf, `,"status":"`...)
	buf = append(buf, googleStatus(status)...)
	ctx.Response.SwapBody(append(buf, `"}}`...))
}

// googleRequest is what the mock reads from a generateContent body.
type googleRequest struct {
	contents   int    // number of contents
	textBytes  int    // bytes of strings in the contents
	tool       string // the first function declaration's name, or ""
	toolResult bool   // a part is a functionResponse: the model answers in text
}

// parseGoogleChat reads a GenerateContentRequest body.
func parseGoogleChat(body []byte, req *googleRequest) bool {
	l := jlexer.Lexer{Data: body}
	l.Delim('{')
	for !l.IsDelim('}') && l.Ok() {
		key := l.UnsafeFieldName(false)
		l.WantColon()
		switch key {
		case "contents":
			start := l.GetPos()
			l.Delim('[')
			for !l.IsDelim(']') && l.Ok() {
				req.textBytes += skipValue(&l, 2)
				req.contents++
				l.WantComma()
			}
			l.Delim(']')
			if l.Ok() {
				req.toolResult = bytes.Contains(body[start:l.GetPos()], []byte(`"functionResponse"`))
			}
		case "tools":
			req.tool = firstDeclaration(&l)
		default:
			skipValue(&l, 1)
		}
		l.WantComma()
	}
	l.Delim('}')
	l.Consumed()
	return l.Ok() && req.contents > 0
}

// firstDeclaration reads a tools array and returns tools[0].functionDeclarations[0].name.
func firstDeclaration(l *jlexer.Lexer) string {
	name := ""
	l.Delim('[')
	for !l.IsDelim(']') && l.Ok() {
		if name != "" || !l.IsDelim('{') {
			l.SkipRecursive()
			l.WantComma()
			continue
		}
		l.Delim('{')
		for !l.IsDelim('}') && l.Ok() {
			key := l.UnsafeFieldName(false)
			l.WantColon()
			if key != "functionDeclarations" || name != "" {
				l.SkipRecursive()
				l.WantComma()
				continue
			}
			l.Delim('[')
			for !l.IsDelim(']') && l.Ok() {
				if name != "" || !l.IsDelim('{') {
					l.SkipRecursive()
					l.WantComma()
					continue
				}
				name = readObjectName(l)
				l.WantComma()
			}
			l.Delim(']')
			l.WantComma()
		}
		l.Delim('}')
		l.WantComma()
	}
	l.Delim(']')
	return name
}

// serveGoogleChat answers generateContent with the mock's content as one text part, or with a
// functionCall of the first declared function when the request offers tools and holds no
// functionResponse yet; streamGenerateContent?alt=sse sends the content in pieces, one
// GenerateContentResponse per event, the last with the finish reason and full usage.
func (s *Server) serveGoogleChat(ctx *fasthttp.RequestCtx, model string, stream bool) {
	var req googleRequest
	if !parseGoogleChat(ctx.PostBody(), &req) {
		s.stats.badRequests.Add(1)
		writeGoogleError(ctx, fasthttp.StatusBadRequest, "Invalid JSON payload received, or contents is empty.")
		return
	}
	if stream && string(ctx.QueryArgs().Peek("alt")) != "sse" {
		s.stats.badRequests.Add(1)
		writeGoogleError(ctx, fasthttp.StatusBadRequest, "mock: streamGenerateContent is served with alt=sse only")
		return
	}
	g := &googleStream{id: "mock-" + string(appendHex16(nil, s.nextID())), model: model,
		prompt: estimateTokens(req.textBytes) + 3*req.contents, completion: s.content.tokens,
		pieces: s.content.pieces, pace: pace{time.Now(), s.latency()}}
	if req.tool != "" && !req.toolResult {
		g.call, g.completion = req.tool, 10
	}
	if stream {
		startSSE(ctx, func(w *bufio.Writer) { s.runGoogleStream(w, g) })
		return
	}
	s.sleepUntil(g.start.Add(g.latency))
	buf := ctx.Response.SwapBody(nil)[:0]
	if g.call != "" {
		buf = g.appendResponse(buf, "", true)
	} else {
		buf = g.appendResponse(buf, s.content.text, true)
	}
	ctx.SetContentType(contentTypeJSON)
	ctx.Response.SwapBody(buf)
}

// googleStream is one Gemini answer; it owns what it took from the request.
type googleStream struct {
	id, model, call    string
	prompt, completion int
	pieces             []string
	pace
}

// appendResponse appends a GenerateContentResponse with text (already JSON-safe) or the
// function call; last adds the finish reason and the completion's usage.
func (g *googleStream) appendResponse(dst []byte, text string, last bool) []byte {
	dst = append(dst, `{"candidates":[{"content":{"parts":[`...)
	if g.call != "" {
		dst = append(dst, `{"functionCall":{"name":`...)
		dst = appendJSONString(dst, g.call)
		dst = append(dst, `,"args":{}}}`...)
	} else {
		dst = append(append(append(dst, `{"text":"`...), text...), `"}`...)
	}
	dst = append(dst, `],"role":"model"},`...)
	if last {
		dst = append(dst, `"finishReason":"STOP",`...)
	}
	dst = append(dst, `"index":0}],"usageMetadata":{"promptTokenCount":`...)
	dst = strconv.AppendInt(dst, int64(g.prompt), 10)
	completion := 0
	if last {
		completion = g.completion
		dst = append(dst, `,"candidatesTokenCount":`...)
		dst = strconv.AppendInt(dst, int64(completion), 10)
	}
	dst = append(dst, `,"totalTokenCount":`...)
	dst = strconv.AppendInt(dst, int64(g.prompt+completion), 10)
	dst = append(dst, `},"modelVersion":`...)
	dst = appendJSONString(dst, g.model)
	dst = append(dst, `,"responseId":"`...)
	dst = append(dst, g.id...)
	return append(dst, `"}`...)
}

// runGoogleStream writes the events of a streamed answer, paced over the latency as the
// OpenAI stream is; each event ends with "\r\n\r\n" as Google's servers send them.
func (s *Server) runGoogleStream(w *bufio.Writer, g *googleStream) {
	buf := make([]byte, 0, 512)
	event := func(text string, last bool) bool {
		buf = g.appendResponse(append(buf[:0], "data: "...), text, last)
		return writeEvent(w, append(buf, "\r\n\r\n"...))
	}
	if g.call != "" {
		if s.sleepUntil(g.start.Add(g.latency)) {
			event("", true)
		}
		return
	}
	for i, piece := range g.pieces {
		if !s.sleepUntil(g.due(i, len(g.pieces))) || !event(piece, i == len(g.pieces)-1) {
			return
		}
	}
}

// serveGoogleEmbed answers batchEmbedContents (one vector per request) or embedContent (one
// vector), of outputDimensionality values (Config.EmbeddingDimensions by default).
func (s *Server) serveGoogleEmbed(ctx *fasthttp.RequestCtx, single bool) {
	texts, dims := 0, s.cfg.EmbeddingDimensions
	var readOne func(l *jlexer.Lexer)
	readOne = func(l *jlexer.Lexer) {
		l.Delim('{')
		for !l.IsDelim('}') && l.Ok() {
			key := l.UnsafeFieldName(false)
			l.WantColon()
			switch key {
			case "outputDimensionality":
				dims = l.Int()
			case "content":
				texts++
				l.SkipRecursive()
			default:
				l.SkipRecursive()
			}
			l.WantComma()
		}
		l.Delim('}')
	}
	l := jlexer.Lexer{Data: ctx.PostBody()}
	if single {
		readOne(&l)
	} else {
		l.Delim('{')
		for !l.IsDelim('}') && l.Ok() {
			key := l.UnsafeFieldName(false)
			l.WantColon()
			if key != "requests" {
				l.SkipRecursive()
				l.WantComma()
				continue
			}
			l.Delim('[')
			for !l.IsDelim(']') && l.Ok() {
				readOne(&l)
				l.WantComma()
			}
			l.Delim(']')
			l.WantComma()
		}
		l.Delim('}')
	}
	if !l.Ok() || !validEmbedding(texts, dims) {
		s.stats.badRequests.Add(1)
		writeGoogleError(ctx, fasthttp.StatusBadRequest, "Invalid embedding request: each request needs content, and outputDimensionality a valid size.")
		return
	}
	s.sleepUntil(time.Now().Add(s.latency()))
	buf := ctx.Response.SwapBody(nil)[:0]
	if single {
		buf = append(buf, `{"embedding":`...)
	} else {
		buf = append(buf, `{"embeddings":[`...)
	}
	v := make([]int32, dims)
	for i := range texts {
		if i > 0 {
			buf = append(buf, ',')
		}
		fillEmbedding(v, uint64(i)+1)
		buf = appendNanoVector(append(buf, `{"values":`...), v)
		buf = append(buf, '}')
	}
	if !single {
		buf = append(buf, ']')
	}
	ctx.SetContentType(contentTypeJSON)
	ctx.Response.SwapBody(append(buf, '}'))
}
