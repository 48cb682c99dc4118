package vertex

import (
	"strings"

	"github.com/bifrost-gw/bifrost/adapters/anthropic"
	"github.com/bifrost-gw/bifrost/adapters/convert"
	"github.com/bifrost-gw/bifrost/adapters/gemini"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

// AnthropicPrefix starts the names of the Claude models that Vertex serves in Anthropic's
// format (claude-sonnet-4@20250514, claude-3-5-haiku@20241022, ...). It is the prefix of the
// model_paths entry of specs/vertex.yaml that names ClaudeCodec.
const AnthropicPrefix = "claude-"

// IsAnthropic reports whether model is served in Anthropic's format.
func IsAnthropic(model string) bool { return strings.HasPrefix(model, AnthropicPrefix) }

// ClaudeCodec converts the chats of Claude models on Vertex: Anthropic's Messages API with
// the model left out of the body and anthropic_version in it. specs/vertex.yaml names it in
// the model_paths entry of those models, and the runtime uses it for them in place of Codec.
type ClaudeCodec struct{}

var _ provider.ChatCodec = (*ClaudeCodec)(nil)

// EncodeChat writes a Messages API body without the model and with anthropic_version (see
// anthropic.EncodeChatVersioned).
func (ClaudeCodec) EncodeChat(w *jwriter.Writer, r *schemas.ChatRequest) error {
	return anthropic.EncodeChatVersioned(w, r, anthropic.VertexVersion)
}

// DecodeChat reads an Anthropic Message (see anthropic.DecodeChat).
func (ClaudeCodec) DecodeChat(body []byte, out *schemas.ChatResponse) error {
	return anthropic.Codec{}.DecodeChat(body, out)
}

// DecodeChatEvent reads one Anthropic stream event (see anthropic.DecodeChatEvent).
func (ClaudeCodec) DecodeChatEvent(ev provider.Event, st *provider.StreamState, out *schemas.ChatStreamChunk) (provider.Step, error) {
	return anthropic.Codec{}.DecodeChatEvent(ev, st, out)
}

// DecodeError reads the error of a Claude request. Two shapes reach it: the model's own,
// Anthropic's {"type":"error","error":{"type","message"}} (see anthropic.DecodeError), and
// Vertex's, {"error":{"code","message","status"}}, for what the platform refuses before the
// model sees the request (a bad token, a quota; see gemini.DecodeError). The top-level
// "type" member, which only Anthropic's shape has, tells them apart.
func (ClaudeCodec) DecodeError(status int, body []byte, out *schemas.ErrorBody) {
	if topType(body) == "error" {
		anthropic.Codec{}.DecodeError(status, body, out)
		return
	}
	gemini.Codec{}.DecodeError(status, body, out)
}

// topType returns the string value of the top-level "type" member of a JSON object; "" when
// there is none. It does not allocate.
func topType(data []byte) string {
	l := jlexer.Lexer{Data: data}
	for key := range convert.Fields(&l) {
		switch key {
		case "type":
			if t := l.UnsafeString(); l.Ok() {
				return t
			}
			return ""
		}
		l.SkipRecursive()
	}
	return ""
}
