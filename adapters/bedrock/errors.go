package bedrock

import (
	"github.com/bifrost-gw/bifrost/adapters/convert"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
)

// DecodeError reads a Bedrock error body, {"message": "..."} (some services write
// "Message"), with the exception name in "__type" or "code" when the body carries it;
// Bedrock names it in the x-amzn-ErrorType header otherwise
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/CommonErrors.html). A stream's
// exception event has the same payload. The type follows the HTTP status (429
// ThrottlingException is rate_limit_error); any other body is read as OpenAI's error shape
// or quoted.
func (Codec) DecodeError(status int, body []byte, out *schemas.ErrorBody) {
	*out = schemas.ErrorBody{}
	l := jlexer.Lexer{Data: body}
	if l.CurrentToken() == jlexer.TokenDelim && l.IsDelim('{') {
		for key := range convert.Fields(&l) {
			switch {
			case l.CurrentToken() != jlexer.TokenString:
				l.SkipRecursive()
			case key == "message" || key == "Message":
				out.Message = l.String()
			case key == "__type" || key == "code":
				out.Code = schemas.NullString(exceptionName(l.String()))
			default:
				l.SkipRecursive()
			}
		}
	}
	if l.Error() != nil || out.Message == "" {
		convert.DecodeOpenAIError(status, body, out)
		return
	}
	out.Type = convert.TypeForStatus(status)
}

// exceptionName strips the namespace AWS may put around an exception's name
// ("com.amazon.bedrock#ValidationException", "ValidationException:http://...").
func exceptionName(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			s = s[:i]
			break
		}
	}
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '#' {
			return s[i+1:]
		}
	}
	return s
}
