package mocks

import (
	"bytes"
	"crypto/subtle"

	"github.com/valyala/fasthttp"
)

// FormatAzure is Azure OpenAI: the OpenAI wire format under
// /openai/deployments/{deployment}/{operation}?api-version=..., and the Responses API under
// the v1 surface /openai/v1/responses, with the key in an api-key header
// (https://learn.microsoft.com/azure/ai-services/openai/reference).
const FormatAzure = "azure"

var (
	azureDeployments = []byte("/openai/deployments/")
	azureV1          = []byte("/openai/v1/") // the v1 surface: the Responses API, no api-version
)

// serveAzure checks Azure's addressing (a deployment, an api-version, the api-key header),
// then answers as the OpenAI routes do, with the same latency, faults and recording.
func (s *Server) serveAzure(ctx *fasthttp.RequestCtx) {
	path := ctx.Path()
	if v1, ok := bytes.CutPrefix(path, azureV1); ok {
		if s.azureKey(ctx) {
			ctx.URI().SetPath("/v1/" + string(v1))
			s.handleOpenAI(ctx)
		}
		return
	}
	rest, ok := bytes.CutPrefix(path, azureDeployments)
	slash := bytes.IndexByte(rest, '/')
	if !ok || slash <= 0 {
		s.stats.notFound.Add(1)
		writeError(ctx, &apiError{status: fasthttp.StatusNotFound, code: "404",
			message: "Resource not found", typ: typeInvalidRequest})
		return
	}
	if len(ctx.QueryArgs().Peek("api-version")) == 0 {
		s.badRequest(ctx, &apiError{status: fasthttp.StatusNotFound, code: "404",
			message: "Resource not found", typ: typeInvalidRequest})
		return
	}
	if s.azureKey(ctx) {
		ctx.URI().SetPath("/v1" + string(rest[slash:]))
		s.handleOpenAI(ctx)
	}
}

// azureKey checks the api-key header; it answers 401 and returns false when it is wrong.
func (s *Server) azureKey(ctx *fasthttp.RequestCtx) bool {
	if s.authz != nil {
		key := ctx.Request.Header.Peek("api-key")
		if subtle.ConstantTimeCompare(key, s.authz[len("Bearer "):]) != 1 {
			s.stats.unauthorized.Add(1)
			writeError(ctx, &apiError{status: fasthttp.StatusUnauthorized, code: "401",
				message: "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.",
				typ:     typeInvalidRequest})
			return false
		}
		ctx.Request.Header.SetBytesV(fasthttp.HeaderAuthorization, s.authz)
	}
	return true
}
