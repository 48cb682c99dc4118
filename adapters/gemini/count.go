package gemini

import (
	"errors"

	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

// Token counting: hand-written methods of the generated Adapter, found by the runtime
// through provider.TokenCounter.
var _ provider.TokenCounter = Adapter{}

// EncodeCountTokens writes the body of models.countTokens
// (https://ai.google.dev/api/tokens#method:-models.counttokens): the whole
// GenerateContentRequest that EncodeChat writes, with its model ("models/" + the name), as
// generateContentRequest, so that the system instruction and the tools are counted too.
func (Adapter) EncodeCountTokens(w *jwriter.Writer, r *schemas.ChatRequest) error {
	body, err := encodeApart(r)
	if err != nil {
		return err
	}
	w.RawString(`{"generateContentRequest":{"model":`)
	w.String("models/" + r.Model)
	if len(body) > 2 {
		w.RawByte(',')
		w.Raw(body[1:], nil) // the members of EncodeChat's object, and its closing brace
	} else {
		w.RawByte('}')
	}
	w.RawByte('}')
	return nil
}

// EncodeCountTokensVertex writes the body of Vertex AI's countTokens for a Gemini model
// (https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/count-tokens):
// EncodeChat's contents, systemInstruction, tools and generationConfig at the top level,
// without toolConfig, which that request does not take.
func EncodeCountTokensVertex(w *jwriter.Writer, r *schemas.ChatRequest) error {
	choice := r.ToolChoice
	r.ToolChoice = schemas.ToolChoice{}
	err := Codec{}.EncodeChat(w, r)
	r.ToolChoice = choice
	return err
}

// encodeApart returns EncodeChat's body on its own. Token counting is off the hot path, so
// the copy is fine.
func encodeApart(r *schemas.ChatRequest) ([]byte, error) {
	var w jwriter.Writer
	if err := (Codec{}).EncodeChat(&w, r); err != nil {
		return nil, err
	}
	return w.BuildBytes()
}

// DecodeCountTokens reads the count of a countTokens answer, {"totalTokens": n, ...}.
func (Adapter) DecodeCountTokens(body []byte) (int, error) { return DecodeCountTokens(body) }

// DecodeCountTokens reads totalTokens from a countTokens answer (Gemini API or Vertex AI).
func DecodeCountTokens(body []byte) (int, error) {
	l := jlexer.Lexer{Data: body}
	n := -1
	l.Delim('{')
	for !l.IsDelim('}') {
		key := l.UnsafeFieldName(false)
		l.WantColon()
		if key == "totalTokens" {
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
		return 0, errors.New("the answer has no totalTokens")
	}
	return n, nil
}
