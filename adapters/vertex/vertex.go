// Package vertex is Bifrost's adapter for Google Vertex AI. The adapter (vertex_gen.go) and
// the easyjson marshalers (vertex_easyjson.go) are generated from specs/vertex.yaml; its codec,
// Codec (codec.go), is hand-written here.
//
// Vertex serves two chat wire formats, told apart by the model:
//
//   - Gemini models (publishers/google, :generateContent and :streamGenerateContent): Gemini's
//     format, converted by package gemini;
//   - Anthropic's Claude models (names starting with AnthropicPrefix; publishers/anthropic,
//     :rawPredict and :streamRawPredict, routed by the spec's model_paths): Anthropic's
//     Messages API, converted by package anthropic, with the model left out of the body and
//     "anthropic_version": "vertex-2023-10-16" in it in place of the anthropic-version header
//     (https://docs.anthropic.com/en/api/claude-on-vertex-ai,
//     https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude/use-claude).
//     Responses, stream events and model errors are Anthropic's.
//
// Requests are encoded by model; responses, events and errors are decoded by their content,
// since a decoder does not see the model. (Choosing the decoder by the model route instead
// needs the runtime to hand the route's codec to the decode step; see issue 11.) Embeddings use Vertex's text-embedding predict
// method (https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/text-embeddings-api).
package vertex

import (
	"errors"
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
// format (claude-sonnet-4@20250514, claude-3-5-haiku@20241022, ...). It must equal the
// prefix of the model_paths route in specs/vertex.yaml, which sends them to rawPredict.
const AnthropicPrefix = "claude-"

// IsAnthropic reports whether model is served in Anthropic's format.
func IsAnthropic(model string) bool { return strings.HasPrefix(model, AnthropicPrefix) }

// EncodeChat writes, for a Claude model, a Messages API body without the model and with
// anthropic_version (see anthropic.EncodeChatVersioned), and else a GenerateContentRequest
// (see gemini.EncodeChat).
func (Codec) EncodeChat(w *jwriter.Writer, r *schemas.ChatRequest) error {
	if IsAnthropic(r.Model) {
		return anthropic.EncodeChatVersioned(w, r, anthropic.VertexVersion)
	}
	return gemini.Codec{}.EncodeChat(w, r)
}

// DecodeChat reads an Anthropic Message (a body whose top-level "type" is "message", see
// anthropic.DecodeChat) or else a GenerateContentResponse (see gemini.DecodeChat).
func (Codec) DecodeChat(body []byte, out *schemas.ChatResponse) error {
	if topType(body) == "message" {
		return anthropic.Codec{}.DecodeChat(body, out)
	}
	return gemini.Codec{}.DecodeChat(body, out)
}

// DecodeChatEvent reads one event of a stream: an Anthropic event when it is named
// (message_start, content_block_delta, ...: Gemini's alt=sse events have no name) or its
// data has a top-level "type" (see anthropic.DecodeChatEvent), else a Gemini
// GenerateContentResponse (see gemini.DecodeChatEvent).
func (Codec) DecodeChatEvent(ev provider.Event, st *provider.StreamState, out *schemas.ChatStreamChunk) (provider.Step, error) {
	if len(ev.Name) > 0 || topType(ev.Data) != "" {
		return anthropic.Codec{}.DecodeChatEvent(ev, st, out)
	}
	return gemini.Codec{}.DecodeChatEvent(ev, st, out)
}

// DecodeError reads Anthropic's error body, {"type":"error","error":{"type","message"}}
// (a Claude model's errors, see anthropic.DecodeError), or else Google's,
// {"error":{"code","message","status"}} (Vertex's own errors, such as a bad token or a
// quota, for either publisher; see gemini.DecodeError).
func (Codec) DecodeError(status int, body []byte, out *schemas.ErrorBody) {
	if topType(body) == "error" {
		anthropic.Codec{}.DecodeError(status, body, out)
		return
	}
	gemini.Codec{}.DecodeError(status, body, out)
}

// topType returns the string value of the top-level "type" member of a JSON object, which
// Anthropic's messages, events and errors have and Google's shapes lack; "" when there is
// none. It stops at the first member that only Gemini's responses have, so a Gemini body
// costs one member's look. It does not allocate.
func topType(data []byte) string {
	l := jlexer.Lexer{Data: data}
	for key := range convert.Fields(&l) {
		switch key {
		case "type":
			if t := l.UnsafeString(); l.Ok() {
				return t
			}
			return ""
		case "candidates", "usageMetadata", "promptFeedback", "modelVersion", "responseId", "createTime":
			return ""
		}
		l.SkipRecursive()
	}
	return ""
}

// EncodeEmbedding writes a predict request for a text-embedding model:
// {"instances":[{"content":"..."},...],"parameters":{"outputDimensionality":N}}, one instance
// per input string.
func (Codec) EncodeEmbedding(w *jwriter.Writer, r *schemas.EmbeddingRequest) error {
	if r.Input.Kind == schemas.InputTokens || r.Input.Kind == schemas.InputTokenLists {
		return errors.New("vertex embeds text only: input must be a string or an array of strings")
	}
	w.RawString(`{"instances":[`)
	if r.Input.Kind == schemas.InputString {
		w.RawString(`{"content":`)
		w.Raw(r.Input.Raw, nil)
		w.RawByte('}')
	} else if r.Input.Kind == schemas.InputStrings {
		l := jlexer.Lexer{Data: r.Input.Raw}
		l.Delim('[')
		for i := 0; !l.IsDelim(']') && l.Ok(); i++ {
			if i > 0 {
				w.RawByte(',')
			}
			w.RawString(`{"content":`)
			w.Raw(l.Raw(), nil)
			w.RawByte('}')
			l.WantComma()
		}
		l.Delim(']')
		if err := l.Error(); err != nil {
			return err
		}
	}
	w.RawByte(']')
	if r.Dimensions.IsDefined() {
		w.RawString(`,"parameters":{"outputDimensionality":`)
		w.Int(r.Dimensions.V)
		w.RawByte('}')
	}
	w.RawByte('}')
	return nil
}

// DecodeEmbedding reads a predict answer,
// {"predictions":[{"embeddings":{"statistics":{"token_count":6,"truncated":false},"values":[...]}}]},
// into an OpenAI list; the token counts add up to the usage.
func (Codec) DecodeEmbedding(body []byte, out *schemas.EmbeddingResponse) error {
	tokens := 0
	l := jlexer.Lexer{Data: body}
	for key := range convert.Fields(&l) {
		if key != "predictions" || l.IsNull() {
			l.SkipRecursive()
			continue
		}
		l.Delim('[')
		for !l.IsDelim(']') && l.Ok() {
			var p prediction
			p.UnmarshalEasyJSON(&l)
			tokens += int(p.Embeddings.Statistics.TokenCount)
			out.Data = append(out.Data, schemas.Embedding{Object: "embedding", Index: len(out.Data), Embedding: p.Embeddings.Values})
			l.WantComma()
		}
		l.Delim(']')
	}
	l.Consumed()
	out.Object = "list"
	out.Usage.PromptTokens, out.Usage.TotalTokens = tokens, tokens
	return l.Error()
}

// prediction is one text-embedding prediction.
//
//easyjson:json
type prediction struct {
	Embeddings struct {
		Statistics struct {
			TokenCount float64 `json:"token_count"`
		} `json:"statistics"`
		Values schemas.Raw `json:"values"`
	} `json:"embeddings"`
}
