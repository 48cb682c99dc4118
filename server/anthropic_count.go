package server

import (
	"strconv"
	"unicode/utf8"

	"github.com/bifrost-gw/bifrost/adapters/anthropic"
	"github.com/bifrost-gw/bifrost/adapters/convert"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/mailru/easyjson/jwriter"
	"github.com/valyala/fasthttp"
)

// serveCountTokens runs one POST /anthropic/v1/messages/count_tokens
// (https://docs.anthropic.com/en/api/messages-count-tokens): the body is a Messages request
// without max_tokens, routed as /anthropic/v1/messages routes it, and counted by the target
// provider's own token-counting endpoint (the count_tokens operation of its spec:
// Anthropic's, Claude on Vertex AI's count-tokens:rawPredict, Gemini's countTokens). A
// target without one answers Anthropic's 400 error naming the provider, and falls back like
// any 400: the gateway never estimates a count. The answer is {"input_tokens": n}.
func (s *Server) serveCountTokens(ctx *fasthttp.RequestCtx, a *access) {
	directKey := ctx.Request.Header.Peek(DirectKeyHeader)
	if len(directKey) > 0 && !a.allowDirect {
		writeAnthropicError(ctx, 403, "permission_error",
			"this gateway does not take provider keys from clients ("+DirectKeyHeader+"): client.allow_direct_keys is off")
		return
	}
	body := ctx.PostBody()
	switch {
	case len(body) == 0:
		writeAnthropicError(ctx, 400, "invalid_request_error", "request body is empty: send a JSON object")
		return
	case !utf8.Valid(body):
		writeAnthropicError(ctx, 400, "invalid_request_error", "request body is not valid UTF-8")
		return
	}
	ax := s.acquireAnthropic()
	defer s.releaseAnthropic(ax)
	if err := ax.in.Decode(body); err != nil {
		writeAnthropicError(ctx, 400, "invalid_request_error", decodeMessage(err, len(body)))
		return
	}
	toAnthropic, native := s.anthropicTarget(&ax.in)
	c := s.engine.AcquireCall()
	defer s.engine.ReleaseCall(c)
	n, err, ok := s.countTokens(ctx, c, ax, directKey, native, toAnthropic)
	switch {
	case !ok:
	case err != nil:
		writeAnthropicRuntimeError(ctx, c, err)
	default:
		var num [20]byte
		ctx.SetContentType("application/json")
		ctx.Response.ResetBody()
		ctx.Response.AppendBodyString(`{"input_tokens":`)
		ctx.Response.AppendBody(strconv.AppendInt(num[:0], int64(n), 10))
		ctx.Response.AppendBodyString(`}`)
	}
}

// countTokens converts the decoded request into c (for the anthropic provider when
// toAnthropic) and counts it. ok is false when the request could not be converted (answered
// already).
func (s *Server) countTokens(ctx *fasthttp.RequestCtx, c *runtime.Call, ax *anthropicExchange, directKey []byte,
	native, toAnthropic bool) (n int, err *runtime.Error, ok bool) {
	if len(directKey) > 0 {
		c.DirectKey = string(directKey)
	}
	addBetaHeader(c, ctx)
	if err := ax.in.ToCountTokens(&c.Chat, native); err != nil {
		writeAnthropicError(ctx, 400, "invalid_request_error", err.Error())
		return 0, nil, false
	}
	if toAnthropic {
		c.Chat.Provider = anthropicProvider
	}
	n, err = s.engine.CountTokens(c)
	return n, err, true
}

// addBetaHeader offers the client's anthropic-beta header to the providers that take it
// (Anthropic's adapter forwards it; others ignore it). The value borrows from the request.
func addBetaHeader(c *runtime.Call, ctx *fasthttp.RequestCtx) {
	if v := ctx.Request.Header.Peek(anthropic.BetaHeader); len(v) > 0 {
		c.Headers = append(c.Headers, provider.Header{Name: anthropic.BetaHeader, Value: convert.View(v)})
	}
}

// writeAnthropicRuntimeError answers with err in Anthropic's error shape.
func writeAnthropicRuntimeError(ctx *fasthttp.RequestCtx, c *runtime.Call, err *runtime.Error) {
	c.RedactDirectKey(err)
	var w jwriter.Writer
	anthropic.EncodeError(&w, err.Status, &err.Body)
	ctx.Response.Reset()
	ctx.SetStatusCode(err.Status)
	ctx.SetContentType("application/json")
	w.DumpTo(ctx) //nolint:errcheck // writing to the response buffer cannot fail
	if (err.Status == 429 || err.Status == 503 || err.Status == 529) && err.RetryAfterSec > 0 {
		ctx.Response.Header.Set("Retry-After", strconv.Itoa(err.RetryAfterSec))
	}
}

// hasProvider reports whether the provider name is configured.
func (s *Server) hasProvider(name string) bool {
	for _, p := range s.engine.Providers() {
		if p == name {
			return true
		}
	}
	return false
}
