package mocks

import (
	"strconv"
	"strings"

	"github.com/mailru/easyjson/jlexer"
	"github.com/valyala/fasthttp"
)

// Token counting, as the providers' own endpoints answer it:
//
//   - Anthropic: POST /v1/messages/count_tokens
//     (https://docs.anthropic.com/en/api/messages-count-tokens), the Messages body without
//     max_tokens, answered {"input_tokens": n};
//   - Claude on Vertex AI: POST .../publishers/anthropic/models/count-tokens:rawPredict
//     (https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude/count-tokens),
//     the same body with the model in it, the same answer.
//
// The count is the mock's own, CountTokens of what the request holds, so that a test can
// tell it from any estimate the gateway could make.

// CountTokens is the input_tokens the mock answers for a count_tokens request with the given
// numbers of messages and tools, and a system prompt or not: 4000, plus 100 a message, 10 a
// tool and 1 for a system prompt.
func CountTokens(messages, tools int, system bool) int {
	n := 4000 + 100*messages + 10*tools
	if system {
		n++
	}
	return n
}

// writeCount answers {<member>: n}, head being `{"<member>":`, without allocating.
func writeCount(ctx *fasthttp.RequestCtx, head string, n int) {
	ctx.SetContentType(contentTypeJSON)
	buf := ctx.Response.SwapBody(nil)[:0]
	buf = append(buf, head...)
	buf = strconv.AppendInt(buf, int64(n), 10)
	buf = append(buf, '}')
	ctx.Response.SwapBody(buf)
}

// countRequest is what the mock reads from a count_tokens body.
type countRequest struct {
	model            string
	messages, tools  int
	system           bool
	shapesAnswer     string // a member the endpoint does not take, such as max_tokens
	anthropicVersion string
}

// parseCountRequest reads a count_tokens body, returning a 400 message or "".
func parseCountRequest(body []byte, req *countRequest) string {
	l := jlexer.Lexer{Data: body}
	l.Delim('{')
	for !l.IsDelim('}') && l.Ok() {
		key := l.UnsafeFieldName(false)
		l.WantColon()
		switch key {
		case "model":
			req.model = l.UnsafeString()
		case "anthropic_version":
			req.anthropicVersion = l.UnsafeString()
		case "system":
			req.system = !l.IsNull()
			l.SkipRecursive()
		case "messages", "tools":
			n := 0
			l.Delim('[')
			for !l.IsDelim(']') && l.Ok() {
				l.SkipRecursive()
				n++
				l.WantComma()
			}
			l.Delim(']')
			if key == "messages" {
				req.messages = n
			} else {
				req.tools = n
			}
		case "max_tokens", "stream", "temperature", "top_p", "top_k", "stop_sequences", "metadata":
			req.shapesAnswer = key
			l.SkipRecursive()
		default:
			l.SkipRecursive()
		}
		l.WantComma()
	}
	l.Delim('}')
	l.Consumed()
	switch {
	case l.Error() != nil:
		return "There was an error parsing the body of your request: " + l.Error().Error()
	case req.shapesAnswer != "":
		return req.shapesAnswer + ": Extra inputs are not permitted"
	case req.model == "":
		return "model: Field required"
	case req.messages == 0:
		return "messages: Field required"
	}
	return ""
}

// serveAnthropicCountTokens answers POST /v1/messages/count_tokens in the anthropic format.
func (s *Server) serveAnthropicCountTokens(ctx *fasthttp.RequestCtx) {
	if !ctx.IsPost() {
		s.stats.badRequests.Add(1)
		writeAnthropicError(ctx, fasthttp.StatusMethodNotAllowed, "invalid_request_error", "Method Not Allowed")
		return
	}
	if !s.headerHasKey(ctx, "x-api-key") {
		s.stats.unauthorized.Add(1)
		writeAnthropicError(ctx, fasthttp.StatusUnauthorized, "authentication_error", "invalid x-api-key")
		return
	}
	if len(ctx.Request.Header.Peek("anthropic-version")) == 0 {
		s.stats.badRequests.Add(1)
		writeAnthropicError(ctx, fasthttp.StatusBadRequest, "invalid_request_error", "anthropic-version: header is required")
		return
	}
	s.answerCountTokens(ctx, "")
}

// answerCountTokens parses a count_tokens body and answers its count; with version set
// (Claude on Vertex AI) the body's anthropic_version must be it.
func (s *Server) answerCountTokens(ctx *fasthttp.RequestCtx, version string) {
	var req countRequest
	msg := parseCountRequest(ctx.PostBody(), &req)
	if msg == "" && version != "" && req.anthropicVersion != version {
		msg = "anthropic_version: must be \"" + version + "\" in the body"
	}
	if msg != "" {
		s.stats.badRequests.Add(1)
		writeAnthropicError(ctx, fasthttp.StatusBadRequest, "invalid_request_error", msg)
		return
	}
	if status := s.pickFault(); status > faultConn {
		s.stats.countInjected(status)
		typ, msg := anthropicStatusError(status)
		writeAnthropicError(ctx, status, typ, msg)
		return
	}
	writeCount(ctx, `{"input_tokens":`, CountTokens(req.messages, req.tools, req.system))
}

// Gemini's token counting:
//
//   - Gemini API: POST /v1beta/models/{model}:countTokens
//     (https://ai.google.dev/api/tokens), {"contents": [...]} or {"generateContentRequest":
//     {"model": "models/...", "contents", "systemInstruction", "tools", ...}};
//   - Vertex AI: POST .../publishers/google/models/{model}:countTokens
//     (https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/count-tokens),
//     contents, systemInstruction, tools and generationConfig at the top level.
//
// Both answer {"totalTokens": n}, with n = CountTokens(contents, function declarations,
// system instruction).

// googleCount is what the mock reads from a countTokens body.
type googleCount struct {
	contents, functions int
	system              bool
	model               string
	unknown             string // a member the request does not take
}

// parseGoogleCount reads the members of a countTokens body (or of its
// generateContentRequest, with inner set); vertex says which API's members are allowed.
func parseGoogleCount(l *jlexer.Lexer, req *googleCount, vertex, inner bool) {
	l.Delim('{')
	for !l.IsDelim('}') && l.Ok() {
		key := l.UnsafeFieldName(false)
		l.WantColon()
		switch {
		case key == "generateContentRequest" && !vertex && !inner:
			parseGoogleCount(l, req, vertex, true)
		case key == "model" && inner:
			req.model = l.UnsafeString()
		case key == "contents":
			l.Delim('[')
			for !l.IsDelim(']') && l.Ok() {
				l.SkipRecursive()
				req.contents++
				l.WantComma()
			}
			l.Delim(']')
		case key == "systemInstruction":
			req.system = !l.IsNull()
			l.SkipRecursive()
		case key == "tools":
			req.functions += countDeclarations(l)
		case key == "generationConfig" && (vertex || inner), key == "toolConfig" && inner, key == "safetySettings" && inner:
			l.SkipRecursive()
		default:
			if req.unknown == "" {
				req.unknown = key
			}
			l.SkipRecursive()
		}
		l.WantComma()
	}
	l.Delim('}')
}

// countDeclarations counts the functionDeclarations of a tools array.
func countDeclarations(l *jlexer.Lexer) int {
	n := 0
	l.Delim('[')
	for !l.IsDelim(']') && l.Ok() {
		l.Delim('{')
		for !l.IsDelim('}') && l.Ok() {
			key := l.UnsafeFieldName(false)
			l.WantColon()
			if key != "functionDeclarations" {
				l.SkipRecursive()
				l.WantComma()
				continue
			}
			l.Delim('[')
			for !l.IsDelim(']') && l.Ok() {
				l.SkipRecursive()
				n++
				l.WantComma()
			}
			l.Delim(']')
			l.WantComma()
		}
		l.Delim('}')
		l.WantComma()
	}
	l.Delim(']')
	return n
}

// serveGoogleCountTokens answers an authorized countTokens of the Gemini API (vertex false)
// or Vertex AI (vertex true) for model.
func (s *Server) serveGoogleCountTokens(ctx *fasthttp.RequestCtx, model string, vertex bool) {
	var req googleCount
	l := jlexer.Lexer{Data: ctx.PostBody()}
	parseGoogleCount(&l, &req, vertex, false)
	l.Consumed()
	msg := ""
	switch {
	case l.Error() != nil:
		msg = "Invalid JSON payload received. " + l.Error().Error()
	case req.unknown != "":
		msg = "Invalid JSON payload received. Unknown name \"" + req.unknown + "\": Cannot find field."
	case !vertex && req.model != "" && req.model != "models/"+model:
		msg = "generateContentRequest.model: must be models/" + model
	case req.contents == 0:
		msg = "contents: at least one is required"
	}
	if msg != "" {
		s.stats.badRequests.Add(1)
		writeGoogleError(ctx, fasthttp.StatusBadRequest, msg)
		return
	}
	if status := s.pickFault(); status > faultConn {
		s.stats.countInjected(status)
		writeGoogleError(ctx, status, googleFaultMessage(status))
		return
	}
	writeCount(ctx, `{"totalTokens":`, CountTokens(req.contents, req.functions, req.system))
}

// serveVertexClaudeCount answers an authorized count-tokens:rawPredict: Anthropic's
// count_tokens body with the model in it and anthropic_version vertex-2023-10-16.
func (s *Server) serveVertexClaudeCount(ctx *fasthttp.RequestCtx) {
	s.answerCountTokens(ctx, VertexAnthropicVersion)
}

// Bedrock's token counting: POST /model/{modelId}/count-tokens
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_CountTokens.html) with
// {"input":{"converse":{"messages", "system", "toolConfig"}}}, answered {"inputTokens": n},
// n = CountTokens(messages, tools of toolConfig, a system block or not). Members that
// ConverseTokensRequest does not have (inferenceConfig, say) are a ValidationException.

// parseBedrockCount reads a CountTokens body into req, returning a 400 message or "".
func parseBedrockCount(body []byte, req *googleCount) string {
	l := jlexer.Lexer{Data: body}
	converse := false
	l.Delim('{')
	for !l.IsDelim('}') && l.Ok() {
		if key := l.UnsafeFieldName(false); key != "input" {
			return "Malformed input request: extraneous key [" + key + "] is not permitted"
		}
		l.WantColon()
		l.Delim('{')
		for !l.IsDelim('}') && l.Ok() {
			if key := l.UnsafeFieldName(false); key != "converse" {
				return "Malformed input request: input." + key + " is not supported by the mock"
			}
			l.WantColon()
			converse = true
			if msg := parseConverseCount(&l, req); msg != "" {
				return msg
			}
			l.WantComma()
		}
		l.Delim('}')
		l.WantComma()
	}
	l.Delim('}')
	l.Consumed()
	switch {
	case l.Error() != nil:
		return "Malformed input request: " + l.Error().Error()
	case !converse || req.contents == 0:
		return "Malformed input request: input.converse.messages is required"
	}
	return ""
}

// parseConverseCount reads a ConverseTokensRequest.
func parseConverseCount(l *jlexer.Lexer, req *googleCount) string {
	l.Delim('{')
	for !l.IsDelim('}') && l.Ok() {
		key := l.UnsafeFieldName(false)
		l.WantColon()
		switch key {
		case "messages", "system":
			n := 0
			l.Delim('[')
			for !l.IsDelim(']') && l.Ok() {
				l.SkipRecursive()
				n++
				l.WantComma()
			}
			l.Delim(']')
			if key == "messages" {
				req.contents = n
			} else {
				req.system = n > 0
			}
		case "toolConfig":
			l.Delim('{')
			for !l.IsDelim('}') && l.Ok() {
				if l.UnsafeFieldName(false) == "tools" {
					l.WantColon()
					l.Delim('[')
					for !l.IsDelim(']') && l.Ok() {
						l.SkipRecursive()
						req.functions++
						l.WantComma()
					}
					l.Delim(']')
				} else {
					l.WantColon()
					l.SkipRecursive()
				}
				l.WantComma()
			}
			l.Delim('}')
		case "additionalModelRequestFields":
			l.SkipRecursive()
		default:
			return "Malformed input request: extraneous key [" + key + "] is not permitted"
		}
		l.WantComma()
	}
	l.Delim('}')
	return ""
}

// serveBedrockCountTokens answers POST /model/{modelId}/count-tokens, and reports false for
// any other request, which serveBedrock answers.
func (s *Server) serveBedrockCountTokens(ctx *fasthttp.RequestCtx) bool {
	rest, ok := strings.CutPrefix(string(ctx.Path()), "/model/")
	if !ok || !strings.HasSuffix(rest, "/count-tokens") || !ctx.IsPost() {
		return false
	}
	s.stats.routes[routeChat].Add(1)
	if s.cfg.RequireKey != "" && !bedrockAuthorized(ctx.Request.Header.Peek(fasthttp.HeaderAuthorization), s.cfg.RequireKey) {
		s.stats.unauthorized.Add(1)
		writeBedrockError(ctx, fasthttp.StatusForbidden, "AccessDeniedException", "The security token included in the request is invalid.")
		return true
	}
	s.answerBedrockCount(ctx)
	return true
}

// answerBedrockCount answers an authorized CountTokens.
func (s *Server) answerBedrockCount(ctx *fasthttp.RequestCtx) {
	var req googleCount
	if msg := parseBedrockCount(ctx.PostBody(), &req); msg != "" {
		s.stats.badRequests.Add(1)
		writeBedrockError(ctx, fasthttp.StatusBadRequest, "ValidationException", msg)
		return
	}
	writeCount(ctx, `{"inputTokens":`, CountTokens(req.contents, req.functions, req.system))
}
