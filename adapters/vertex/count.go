package vertex

import (
	"bytes"

	"github.com/bifrost-gw/bifrost/adapters/anthropic"
	"github.com/bifrost-gw/bifrost/adapters/gemini"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

// Token counting and the anthropic-beta header: hand-written methods of the generated
// Adapter, found by the runtime through provider.TokenCounter and provider.HeaderForwarder.
var (
	_ provider.TokenCounter    = Adapter{}
	_ provider.HeaderForwarder = Adapter{}
)

// Forwards reports whether a client's header goes on to Vertex AI: anthropic-beta does for
// Claude models, whose rawPredict takes Anthropic's beta header as Anthropic's API does
// (https://docs.anthropic.com/en/api/claude-on-vertex-ai; Claude Code's LLM gateway guide
// asks a gateway to forward it on rawPredict, streamRawPredict and count-tokens:rawPredict).
func (Adapter) Forwards(name, model string) bool {
	return name == anthropic.BetaHeader && IsAnthropic(model)
}

// EncodeCountTokens writes, for a Claude model, the body of count-tokens:rawPredict
// (https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude/count-tokens):
// Anthropic's count_tokens body with the model in it and anthropic_version; for a Gemini
// model, the body of countTokens (gemini.EncodeCountTokensVertex).
func (Adapter) EncodeCountTokens(w *jwriter.Writer, r *schemas.ChatRequest) error {
	if IsAnthropic(r.Model) {
		return anthropic.EncodeCountTokens(w, r, anthropic.VertexVersion)
	}
	return gemini.EncodeCountTokensVertex(w, r)
}

// DecodeCountTokens reads Anthropic's {"input_tokens": n} or Gemini's {"totalTokens": n}.
func (Adapter) DecodeCountTokens(body []byte) (int, error) {
	if bytes.Contains(body, []byte(`"input_tokens"`)) {
		return anthropic.DecodeCountTokens(body)
	}
	return gemini.DecodeCountTokens(body)
}
