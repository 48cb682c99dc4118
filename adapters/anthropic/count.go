package anthropic

import (
	"errors"

	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

// Token counting and the anthropic-beta header: hand-written methods of the generated
// Adapter, which the runtime finds through provider.TokenCounter and
// provider.HeaderForwarder.
var (
	_ provider.TokenCounter    = Adapter{}
	_ provider.HeaderForwarder = Adapter{}
)

// BetaHeader is the header that turns on Anthropic's beta features
// (https://docs.anthropic.com/en/api/beta-headers): a comma-separated list of names.
const BetaHeader = "anthropic-beta"

// Forwards reports whether a client's header goes on to Anthropic: anthropic-beta does.
func (Adapter) Forwards(name, _ string) bool { return name == BetaHeader }

// EncodeCountTokens writes the body of POST /v1/messages/count_tokens
// (https://docs.anthropic.com/en/api/messages-count-tokens): the Messages body's model,
// system, messages, tools, tool_choice and thinking, and none of the members that only
// shape an answer (max_tokens, stream, sampling, stop sequences, metadata), which that
// endpoint does not take.
func (Adapter) EncodeCountTokens(w *jwriter.Writer, r *schemas.ChatRequest) error {
	return EncodeCountTokens(w, r, "")
}

// EncodeCountTokens writes a count_tokens body, with "anthropic_version": version first
// when version is not "" (Claude on Vertex AI's count-tokens:rawPredict, which takes the
// model in the body too).
func EncodeCountTokens(w *jwriter.Writer, r *schemas.ChatRequest, version string) error {
	_, budget, err := limits(r)
	if err != nil {
		return err
	}
	w.RawByte('{')
	if version != "" {
		w.RawString(`"anthropic_version":`)
		w.String(version)
		w.RawByte(',')
	}
	w.RawString(`"model":`)
	w.String(r.Model)
	if err := writeConversation(w, r); err != nil {
		return err
	}
	if err := writeTools(w, r); err != nil {
		return err
	}
	writeThinking(w, r, budget)
	writeMembers(w, r)
	w.RawByte('}')
	return nil
}

// DecodeCountTokens reads Anthropic's answer, {"input_tokens": n}.
func (Adapter) DecodeCountTokens(body []byte) (int, error) { return DecodeCountTokens(body) }

// DecodeCountTokens reads {"input_tokens": n}; an answer without the count is an error.
func DecodeCountTokens(body []byte) (int, error) {
	l := jlexer.Lexer{Data: body}
	n := -1
	l.Delim('{')
	for !l.IsDelim('}') {
		key := l.UnsafeFieldName(false)
		l.WantColon()
		if key == "input_tokens" {
			n = l.Int()
		} else {
			l.SkipRecursive()
		}
		l.WantComma()
	}
	l.Delim('}')
	l.Consumed()
	if err := l.Error(); err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, errors.New("the answer has no input_tokens")
	}
	return n, nil
}
