package mocks

import (
	"fmt"

	"github.com/valyala/fasthttp"
)

// FormatOpenAI is the OpenAI wire format, the mock's default.
const FormatOpenAI = "openai"

// formats are the wire formats other than OpenAI's, by name (Config.Format). Each lives in
// its own file (format_<name>.go) and adds its entry here; it uses the same latency model,
// key check and failure injection as the OpenAI routes. It is never modified.
var formats = map[string]func(*Server, *fasthttp.RequestCtx){
	FormatAnthropic: (*Server).serveAnthropic,
	FormatAzure:     (*Server).serveAzure,
	FormatBedrock:   (*Server).serveBedrockOrCount,
	FormatCohere:    (*Server).serveCohere,
	FormatGemini:    (*Server).serveGemini,
	FormatVertex:    (*Server).serveVertex,
}

// handleFormat serves a request in a wire format other than OpenAI's.
func (s *Server) handleFormat(ctx *fasthttp.RequestCtx) {
	serve, ok := formats[s.cfg.Format]
	if !ok {
		writeError(ctx, &apiError{
			status:  fasthttp.StatusNotFound,
			message: fmt.Sprintf("mock: unknown wire format %q", s.cfg.Format),
			typ:     typeInvalidRequest,
		})
		return
	}
	serve(s, ctx)
}

// serveBedrockOrCount answers Bedrock's CountTokens (count_tokens.go), and every other
// Bedrock request with serveBedrock.
func (s *Server) serveBedrockOrCount(ctx *fasthttp.RequestCtx) {
	if !s.serveBedrockCountTokens(ctx) {
		s.serveBedrock(ctx)
	}
}
