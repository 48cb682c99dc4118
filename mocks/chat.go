package mocks

import (
	"time"

	"github.com/mailru/easyjson/jlexer"
	"github.com/valyala/fasthttp"
)

const contentTypeJSON = "application/json"

// chatRequest holds what the mock reads from a chat completion request.
// model points into the request body: it is valid only during the handler.
type chatRequest struct {
	model        string
	stream       bool
	includeUsage bool
	messages     int // number of messages
	textBytes    int // bytes of text in the messages
}

// promptTokens estimates the request's prompt tokens, with a few tokens
// of framing per message as OpenAI counts them.
func (r *chatRequest) promptTokens() int {
	return estimateTokens(r.textBytes) + 3*r.messages + 3
}

// parseChatRequest reads body into req. It returns nil or a 400 to answer.
// It allocates nothing for a valid body without escapes in its keys or model.
func parseChatRequest(body []byte, req *chatRequest) *apiError {
	l := jlexer.Lexer{Data: body}
	hasModel, hasMessages := false, false
	l.Delim('{')
	for !l.IsDelim('}') {
		key := l.UnsafeFieldName(false)
		l.WantColon()
		switch key {
		case "model":
			if l.IsNull() {
				l.Skip()
				break
			}
			req.model = l.UnsafeString()
			hasModel = true
		case "messages":
			req.messages, req.textBytes = readMessages(&l)
			hasMessages = true
		case "stream":
			req.stream = readBool(&l)
		case "stream_options":
			req.includeUsage = readIncludeUsage(&l)
		default:
			skipValue(&l, 1)
		}
		if !l.Ok() {
			return lexError(&l, key)
		}
		l.WantComma()
	}
	l.Delim('}')
	l.Consumed()
	if !l.Ok() {
		return lexError(&l, "")
	}
	if !hasModel || req.model == "" {
		return missingParam("model")
	}
	if !hasMessages {
		return missingParam("messages")
	}
	if req.messages == 0 {
		return invalidParam("messages", "Invalid 'messages': empty array. Expected an array with minimum length 1.")
	}
	return nil
}

// readMessages reads the messages array, returning the number of
// messages and the bytes of text they hold.
func readMessages(l *jlexer.Lexer) (count, textBytes int) {
	l.Delim('[')
	for !l.IsDelim(']') {
		if !l.IsDelim('{') {
			l.AddError(errWantObject)
			return 0, 0
		}
		textBytes += skipValue(l, 2)
		count++
		l.WantComma()
	}
	l.Delim(']')
	return count, textBytes
}

// serveChat answers POST /v1/chat/completions.
func (s *Server) serveChat(ctx *fasthttp.RequestCtx) {
	var req chatRequest
	if err := parseChatRequest(ctx.PostBody(), &req); err != nil {
		s.badRequest(ctx, err)
		return
	}
	if status, ok := s.cfg.ModelStatus[req.model]; ok {
		s.modelFault(ctx, status, req.model)
		return
	}
	start := time.Now()
	latency := s.latency()
	if req.stream {
		s.streamChat(ctx, &req, start, latency)
		return
	}
	s.sleepUntil(start.Add(latency))
	ctx.SetContentType(contentTypeJSON)
	buf := ctx.Response.SwapBody(nil)[:0]
	buf = s.chat.appendBody(buf, s.nextID(), time.Now().Unix(), req.model, req.promptTokens())
	ctx.Response.SwapBody(buf)
}
