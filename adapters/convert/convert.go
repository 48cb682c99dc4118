// Package convert is the codecs' toolkit, written by hand: what the generated OpenAI-format
// adapters call (DecodeOpenAIError, OpenAIChatEvent, OpenAITextEvent), and the one way every
// hand-written codec joins text (JoinText), quotes a JSON value such as tool-call arguments
// (QuoteJSON with ToolArguments), views bytes as a string (View, ViewBytes) and walks a JSON
// object (Fields).
package convert

import (
	"strconv"
	"unicode/utf8"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
)

// DecodeOpenAIError reads an OpenAI-family error body into out. It accepts the shapes that
// OpenAI-compatible providers send:
//
//	{"error":{"message":"...","type":"...","param":"...","code":"..."}}   OpenAI, Groq, OpenRouter (numeric code)
//	{"error":"..."}                                                       Ollama, some self-hosted servers
//	{"object":"error","message":"...","type":"...","code":"..."}          Mistral (flat)
//	{"detail":"..."} or {"detail":[{"msg":"...","loc":[...]}]}            FastAPI-based servers (422)
//
// Anything else becomes a message naming the HTTP status and quoting the start of the body.
// The type defaults from the status when the body gives none.
func DecodeOpenAIError(status int, body []byte, out *schemas.ErrorBody) {
	*out = schemas.ErrorBody{}
	l := jlexer.Lexer{Data: body}
	if l.CurrentToken() == jlexer.TokenDelim && l.IsDelim('{') {
		readErrorObject(&l, out, true)
	}
	if l.Error() != nil || out.Message == "" {
		*out = schemas.ErrorBody{Message: "provider returned HTTP " + strconv.Itoa(status) + bodyHint(body)}
	}
	if out.Type == "" {
		out.Type = TypeForStatus(status)
	}
}

func readErrorObject(l *jlexer.Lexer, out *schemas.ErrorBody, top bool) {
	for key := range Fields(l) {
		switch {
		case l.IsNull():
			l.Skip()
		case key == "error" && top:
			if l.CurrentToken() == jlexer.TokenString {
				out.Message = l.String()
			} else if l.IsDelim('{') {
				readErrorObject(l, out, false)
			} else {
				l.SkipRecursive()
			}
		case key == "message":
			out.Message = stringOrRaw(l)
		case key == "type":
			out.Type = stringOrRaw(l)
		case key == "param":
			out.Param = schemas.NullString(stringOrRaw(l))
		case key == "code":
			out.Code = schemas.NullString(stringOrRaw(l))
		case key == "detail" && top && out.Message == "":
			out.Message = detailMessage(l)
		default:
			l.SkipRecursive()
		}
	}
}

// stringOrRaw reads a string, or keeps any other value's JSON text (a numeric code, say).
func stringOrRaw(l *jlexer.Lexer) string {
	if l.CurrentToken() == jlexer.TokenString {
		return l.String()
	}
	return string(l.Raw())
}

// detailMessage reads FastAPI's detail: a string, or a list of {"loc":[...],"msg":"..."}.
func detailMessage(l *jlexer.Lexer) string {
	if l.CurrentToken() == jlexer.TokenString {
		return l.String()
	}
	if !l.IsDelim('[') {
		return string(l.Raw())
	}
	msg := ""
	l.Delim('[')
	for !l.IsDelim(']') && l.Ok() {
		if l.IsDelim('{') {
			var loc, text string
			for key := range Fields(l) {
				switch key {
				case "msg":
					text = stringOrRaw(l)
				case "loc":
					loc = string(l.Raw())
				default:
					l.SkipRecursive()
				}
			}
			if msg != "" {
				msg += "; "
			}
			msg += text
			if loc != "" {
				msg += " (at " + loc + ")"
			}
		} else {
			l.SkipRecursive()
		}
		l.WantComma()
	}
	l.Delim(']')
	return msg
}

// TypeForStatus gives OpenAI's error type for an HTTP status.
func TypeForStatus(status int) string {
	switch {
	case status == 401:
		return schemas.ErrAuthentication
	case status == 403:
		return schemas.ErrPermission
	case status == 404:
		return schemas.ErrNotFound
	case status == 429:
		return schemas.ErrRateLimit
	case status >= 500:
		return schemas.ErrServer
	default:
		return schemas.ErrInvalidRequest
	}
}

// bodyHint quotes the start of a body that is not a known error shape, printable text only.
func bodyHint(body []byte) string {
	const max = 200
	if len(body) == 0 {
		return " with an empty body"
	}
	if len(body) > max {
		body = body[:max]
	}
	out := make([]byte, 0, len(body))
	for len(body) > 0 {
		r, n := utf8.DecodeRune(body)
		body = body[n:]
		if r == utf8.RuneError || r < 0x20 {
			r = ' '
		}
		out = utf8.AppendRune(out, r)
	}
	return ": " + string(out)
}
