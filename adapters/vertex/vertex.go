// Package vertex is Bifrost's adapter for Google Vertex AI. The adapter (vertex_gen.go) and
// the easyjson marshalers (vertex_easyjson.go) are generated from specs/vertex.yaml; its
// codecs are hand-written here.
//
// Vertex serves two chat wire formats, chosen by the model through the spec's model_paths:
//
//   - Gemini models (publishers/google, :generateContent and :streamGenerateContent): Gemini's
//     format, converted by package gemini; the spec's codec, Codec (codec.go).
//   - Anthropic's Claude models (names starting with AnthropicPrefix; publishers/anthropic,
//     :rawPredict and :streamRawPredict): Anthropic's Messages API, converted by package
//     anthropic, with the model left out of the body and "anthropic_version":
//     "vertex-2023-10-16" in it in place of the anthropic-version header
//     (https://docs.anthropic.com/en/api/claude-on-vertex-ai,
//     https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude/use-claude).
//     Responses, stream events and model errors are Anthropic's. The model_paths entry of
//     these models names ClaudeCodec (claude.go), and the runtime uses it for their chats.
//
// Embeddings use Vertex's text-embedding predict method
// (https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/text-embeddings-api).
package vertex

import (
	"errors"

	"github.com/bifrost-gw/bifrost/adapters/convert"
	"github.com/bifrost-gw/bifrost/adapters/gemini"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

// EncodeChat writes a GenerateContentRequest (see gemini.EncodeChat).
func (Codec) EncodeChat(w *jwriter.Writer, r *schemas.ChatRequest) error {
	return gemini.Codec{}.EncodeChat(w, r)
}

// DecodeChat reads a GenerateContentResponse (see gemini.DecodeChat).
func (Codec) DecodeChat(body []byte, out *schemas.ChatResponse) error {
	return gemini.Codec{}.DecodeChat(body, out)
}

// DecodeChatEvent reads one GenerateContentResponse of an alt=sse stream (see
// gemini.DecodeChatEvent).
func (Codec) DecodeChatEvent(ev provider.Event, st *provider.StreamState, out *schemas.ChatStreamChunk) (provider.Step, error) {
	return gemini.Codec{}.DecodeChatEvent(ev, st, out)
}

// DecodeError reads Google's error body, {"error":{"code","message","status"}} (see
// gemini.DecodeError).
func (Codec) DecodeError(status int, body []byte, out *schemas.ErrorBody) {
	gemini.Codec{}.DecodeError(status, body, out)
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
