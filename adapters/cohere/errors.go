package cohere

import (
	"github.com/bifrost-gw/bifrost/adapters/convert"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
)

// DecodeError reads a Cohere error into out: an HTTP error body {"id","message"}
// (https://docs.cohere.com/reference/errors), or the data of a stream's message-end event
// whose generation failed (its delta.error). The type follows the status, as OpenAI's: 498,
// Cohere's status for an invalid API key, is an authentication error. Any other body is read
// as the OpenAI family's errors are, which names the status when nothing else helps.
func (Codec) DecodeError(status int, body []byte, out *schemas.ErrorBody) {
	var x errorBody
	l := jlexer.Lexer{Data: body}
	x.UnmarshalEasyJSON(&l)
	msg := x.Message
	if msg == "" && x.Delta.FinishReason == "ERROR" {
		msg = x.Delta.Error
		if msg == "" {
			msg = "the generation failed (finish_reason ERROR)"
		}
	}
	if l.Error() != nil || msg == "" {
		convert.DecodeOpenAIError(status, body, out)
		return
	}
	*out = schemas.ErrorBody{Message: msg, Type: convert.TypeForStatus(status)}
	if status == 498 {
		out.Type = schemas.ErrAuthentication
	}
}
