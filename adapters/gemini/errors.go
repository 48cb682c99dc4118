package gemini

import (
	"bytes"

	"github.com/bifrost-gw/bifrost/adapters/convert"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
)

// DecodeError reads Google's error body, {"error":{"code":400,"message":"...",
// "status":"INVALID_ARGUMENT","details":[...]}}
// (https://ai.google.dev/gemini-api/docs/troubleshooting), or the same wrapped in an array as
// streamGenerateContent without alt=sse sends it. The message is kept, the status name
// becomes the code, and the type follows the error's HTTP code (the response status when the
// body has none). Any other body is read as OpenAI's shapes are.
func (Codec) DecodeError(status int, body []byte, out *schemas.ErrorBody) {
	*out = schemas.ErrorBody{}
	data := bytes.TrimSpace(body)
	var e errorResponse
	if len(data) > 0 && (data[0] == '{' || data[0] == '[') {
		l := jlexer.Lexer{Data: data}
		if data[0] == '[' {
			l.Delim('[')
		}
		e.UnmarshalEasyJSON(&l)
		if l.Error() != nil {
			e = errorResponse{}
		}
	}
	if e.Error.Message == "" {
		convert.DecodeOpenAIError(status, body, out)
		return
	}
	code := e.Error.Code
	if code < 400 {
		code = status
	}
	out.Message = e.Error.Message
	out.Type = convert.TypeForStatus(code)
	out.Code = schemas.NullString(e.Error.Status)
}
