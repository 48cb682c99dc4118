package mocks

import (
	"time"

	"github.com/mailru/easyjson/jlexer"
	"github.com/valyala/fasthttp"
)

// completionRequest holds what the mock reads from a legacy text
// completion request. model points into the request body.
type completionRequest struct {
	model        string
	stream       bool
	includeUsage bool
	promptTokens int
}

// parseCompletionRequest reads body into req. It returns nil or a 400 to
// answer. The mock answers with one choice, whatever the number of prompts.
func parseCompletionRequest(body []byte, req *completionRequest) *apiError {
	l := jlexer.Lexer{Data: body}
	hasModel, hasPrompt := false, false
	var prompts [4]textInput
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
		case "prompt":
			if l.IsNull() {
				l.Skip()
				break
			}
			inputs, err := readInputs(&l, "prompt", prompts[:0])
			if err != nil {
				return err
			}
			for _, in := range inputs {
				req.promptTokens += in.tokens
			}
			hasPrompt = true
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
	if !hasPrompt {
		return missingParam("prompt")
	}
	return nil
}

// serveCompletion answers POST /v1/completions.
func (s *Server) serveCompletion(ctx *fasthttp.RequestCtx) {
	var req completionRequest
	if err := parseCompletionRequest(ctx.PostBody(), &req); err != nil {
		s.badRequest(ctx, err)
		return
	}
	start := time.Now()
	latency := s.latency()
	if req.stream {
		s.streamCompletion(ctx, &req, start, latency)
		return
	}
	s.sleepUntil(start.Add(latency))
	ctx.SetContentType(contentTypeJSON)
	buf := ctx.Response.SwapBody(nil)[:0]
	buf = s.text.appendBody(buf, s.nextID(), time.Now().Unix(), req.model, req.promptTokens)
	ctx.Response.SwapBody(buf)
}
