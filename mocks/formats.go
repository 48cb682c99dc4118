package mocks

import (
	"fmt"

	"github.com/valyala/fasthttp"
)

// FormatOpenAI is the OpenAI wire format, the mock's default.
const FormatOpenAI = "openai"

// handleFormat serves a request in a wire format other than OpenAI's. Each format lives in
// its own file (format_<name>.go) and adds its case here; it uses the same latency model,
// key check and failure injection as the OpenAI routes.
func (s *Server) handleFormat(ctx *fasthttp.RequestCtx) {
	switch s.cfg.Format {
	case FormatGemini:
		s.serveGemini(ctx)
	case FormatVertex:
		s.serveVertex(ctx)
	case FormatAnthropic:
		s.serveAnthropic(ctx)
	case FormatCohere:
		s.serveCohere(ctx)
	case FormatBedrock:
		if !s.serveBedrockCountTokens(ctx) { // count_tokens.go
			s.serveBedrock(ctx)
		}
	case FormatAzure:
		s.serveAzure(ctx)
	default:
		writeError(ctx, &apiError{
			status:  fasthttp.StatusNotFound,
			message: fmt.Sprintf("mock: unknown wire format %q", s.cfg.Format),
			typ:     typeInvalidRequest,
		})
	}
}
