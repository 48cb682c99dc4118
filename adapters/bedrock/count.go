package bedrock

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

// EncodeCountTokens writes the body of CountTokens
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_CountTokens.html):
// the Converse request that EncodeChat writes, as input.converse
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseTokensRequest.html:
// messages, system, toolConfig). The request must carry nothing but what is counted (no
// inferenceConfig), as anthropic.Inbound.ToCountTokens makes it.
func (Adapter) EncodeCountTokens(w *jwriter.Writer, r *schemas.ChatRequest) error {
	w.RawString(`{"input":{"converse":`)
	if err := (Codec{}).EncodeChat(w, r); err != nil {
		return err
	}
	w.RawString(`}}`)
	return nil
}

// DecodeCountTokens reads CountTokens' answer, {"inputTokens": n}.
func (Adapter) DecodeCountTokens(body []byte) (int, error) {
	l := jlexer.Lexer{Data: body}
	n := -1
	l.Delim('{')
	for !l.IsDelim('}') {
		key := l.UnsafeFieldName(false)
		l.WantColon()
		if key == "inputTokens" {
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
		return 0, errors.New("the answer has no inputTokens")
	}
	return n, nil
}
