package gemini

import (
	"strings"

	"github.com/bifrost-gw/bifrost/adapters/convert"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

// Thought signatures (https://ai.google.dev/gemini-api/docs/thought-signatures): Gemini 3
// returns a thoughtSignature on the first functionCall part of each step, and answers 400
// when the next request does not send it back on that part. OpenAI's tool calls have no
// member for it, and a client sends back only what OpenAI defines, so the signature rides in
// the tool call's id, as LiteLLM does it:
//
//	<id>__thought__<signature>
//
// where <id> is Gemini's functionCall id or the one toolCallID makes, and <signature> is the
// base64 signature in the URL-safe alphabet without padding ("+" -> "-", "/" -> "_"), so that
// the id stays within [A-Za-z0-9_-] and other providers (Anthropic's tool_use ids must match
// ^[a-zA-Z0-9_-]+$) take it too when a conversation moves there. EncodeChat turns it back into
// the functionCall part's thoughtSignature, and also takes a signature from Google's own
// OpenAI-compatible shape, extra_content.google.thought_signature on the tool call
// (https://ai.google.dev/gemini-api/docs/openai). The tool message answering the call
// names the whole id, which matches the call as before.

// ThoughtSeparator separates a tool call's id from the thought signature it carries.
const ThoughtSeparator = "__thought__"

// withSignature returns id followed by ThoughtSeparator and sig in the URL-safe alphabet,
// without padding. It allocates the id once.
func withSignature(id, sig string) string {
	b := make([]byte, 0, len(id)+len(ThoughtSeparator)+len(sig))
	b = append(append(b, id...), ThoughtSeparator...)
	for i := 0; i < len(sig); i++ {
		switch c := sig[i]; c {
		case '+':
			b = append(b, '-')
		case '/':
			b = append(b, '_')
		case '=':
		default:
			b = append(b, c)
		}
	}
	return convert.View(b)
}

// needsID reports whether a tool call's id must be made: Gemini sent none, or only the
// signature part that withSignature wrote after an empty id.
func needsID(id string) bool { return id == "" || strings.HasPrefix(id, ThoughtSeparator) }

// signatureOf returns the thought signature a tool call's id carries, still in the URL-safe
// alphabet, or "".
func signatureOf(id string) string {
	if i := strings.Index(id, ThoughtSeparator); i >= 0 {
		return id[i+len(ThoughtSeparator):]
	}
	return ""
}

// writeSignature writes a thought signature as a JSON string in the standard base64 alphabet
// with its padding, as Gemini sent it. It writes nothing and reports false when sig holds a
// character of neither alphabet.
func writeSignature(w *jwriter.Writer, sig string) bool {
	n := 0
	for i := 0; i < len(sig); i++ {
		switch c := sig[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '+', c == '/':
			n++
		case c == '=':
		default:
			return false
		}
	}
	if n == 0 {
		return false
	}
	w.RawByte('"')
	for i := 0; i < len(sig); i++ {
		switch c := sig[i]; c {
		case '-':
			w.RawByte('+')
		case '_':
			w.RawByte('/')
		case '=':
		default:
			w.RawByte(c)
		}
	}
	for ; n%4 != 0; n++ {
		w.RawByte('=')
	}
	w.RawByte('"')
	return true
}

// extraContentSignature returns the thought signature of Google's OpenAI-compatible shape,
// {"extra_content":{"google":{"thought_signature":"..."}}} on a tool call, or "".
func extraContentSignature(tc *schemas.ToolCall) string {
	for _, f := range tc.ExtraFields() {
		if f.Key != "extra_content" {
			continue
		}
		sig := ""
		l := jlexer.Lexer{Data: f.Value}
		object(&l, func(k string) {
			if k != "google" {
				l.SkipRecursive()
				return
			}
			object(&l, func(k string) {
				if k == "thought_signature" && l.CurrentToken() == jlexer.TokenString {
					sig = l.UnsafeString()
					return
				}
				l.SkipRecursive()
			})
		})
		if l.Error() == nil {
			return sig
		}
	}
	return ""
}

// object reads a JSON object, calling member for each key with the lexer at its value, which
// member must consume. null is an empty object.
func object(l *jlexer.Lexer, member func(key string)) {
	if l.IsNull() {
		l.Skip()
		return
	}
	for k := range convert.Fields(l) {
		member(k)
	}
}
