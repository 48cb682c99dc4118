package convert

import (
	"bytes"
	"unicode/utf8"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
)

// The helpers below work on JSON strings kept encoded (schemas.Text: the string's JSON
// text, quotes included), which is how the codecs carry text from one wire format to another
// without decoding it. They allocate only where they say so.

// Inner returns the encoded content of the JSON string t, the bytes between its quotes,
// borrowed from t (escapes are left as they are). ok is false when t is not a quoted string:
// absent, null, or anything shorter than two bytes or not starting and ending with '"'.
func Inner(t schemas.Text) (inner []byte, ok bool) {
	if len(t) < 2 || t[0] != '"' || t[len(t)-1] != '"' {
		return nil, false
	}
	return t[1 : len(t)-1], true
}

// AppendUnescaped appends the content of a JSON string given without its quotes to dst, with
// its escapes decoded (RFC 8259, section 7). A \u escape of a surrogate that is not half of a
// pair becomes U+FFFD, as encoding/json decodes it. Bytes other than escapes are copied as
// they are, so invalid UTF-8 and raw control characters pass through unchanged. ok is false
// on a malformed escape; dst then holds what was decoded before it.
func AppendUnescaped(dst, s []byte) (_ []byte, ok bool) {
	for len(s) > 0 {
		i := bytes.IndexByte(s, '\\')
		if i < 0 {
			return append(dst, s...), true
		}
		dst = append(dst, s[:i]...)
		s = s[i:]
		if len(s) < 2 {
			return dst, false
		}
		switch c := s[1]; c {
		case '"', '\\', '/':
			dst = append(dst, c)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, n := DecodeEscapeU(s)
			if n == 0 {
				return dst, false
			}
			dst = utf8.AppendRune(dst, r)
			s = s[n:]
			continue
		default:
			return dst, false
		}
		s = s[2:]
	}
	return dst, true
}

// AppendUnquoted appends the value of the JSON string t (quotes included) to dst; see
// AppendUnescaped. ok is false when t is not a quoted string or has a malformed escape.
func AppendUnquoted(dst []byte, t schemas.Text) (_ []byte, ok bool) {
	s, ok := Inner(t)
	if !ok {
		return dst, false
	}
	return AppendUnescaped(dst, s)
}

// DecodeEscapeU decodes the \uXXXX escape at the start of s, with the low surrogate that follows
// a high one, returning the rune and the bytes used (0 when malformed). A lone or mismatched
// surrogate is U+FFFD and uses its own six bytes.
func DecodeEscapeU(s []byte) (rune, int) {
	r, ok := hex4(s)
	if !ok {
		return 0, 0
	}
	switch {
	case 0xD800 <= r && r < 0xDC00:
		if len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
			if lo, ok := hex4(s[6:]); ok && 0xDC00 <= lo && lo < 0xE000 {
				return (r-0xD800)<<10 | (lo - 0xDC00) + 0x10000, 12
			}
		}
		return utf8.RuneError, 6
	case 0xDC00 <= r && r < 0xE000:
		return utf8.RuneError, 6
	}
	return r, 6
}

// hex4 reads the four hex digits of the \uXXXX escape at the start of s.
func hex4(s []byte) (rune, bool) {
	if len(s) < 6 {
		return 0, false
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

const hexDigits = "0123456789abcdef"

// AppendQuoted appends s to dst as a JSON string, quotes included: '"' and '\\' escaped,
// newline, carriage return and tab as \n, \r and \t, other control bytes as \u00XX.
// Everything else, including invalid UTF-8, is copied unchanged, so AppendUnquoted gives s
// back exactly. It is encoding/json's encoding without its HTML escaping and without
// replacing invalid UTF-8.
func AppendQuoted(dst, s []byte) []byte {
	dst = append(dst, '"')
	dst = AppendEscaped(dst, s)
	return append(dst, '"')
}

// AppendEscaped appends s escaped as the inside of a JSON string: AppendQuoted without the
// quotes.
func AppendEscaped(dst, s []byte) []byte {
	start := 0
	for i, c := range s {
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		start = i + 1
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	return append(dst, s[start:]...)
}

// Spacing says what QuoteJSON and AppendQuotedJSON do with the whitespace of a JSON value.
type Spacing uint8

// The spacings.
const (
	// KeepSpacing keeps the value's text as it is.
	KeepSpacing Spacing = iota
	// Compact removes the whitespace outside the value's strings (RFC 8259's insignificant
	// whitespace: space, tab, newline, carriage return), as encoding/json's Compact does.
	Compact
)

// ToolArguments is how every codec quotes a tool call's arguments that a provider sends as a
// whole JSON value (Anthropic's tool_use input, Bedrock's toolUse input, Gemini's
// functionCall args, an Anthropic request's tool_use input): Compact, so that a client gets
// the same arguments text from every provider, whichever way the provider spaced its JSON (a
// pretty-printed Google answer included), and in the shape OpenAI sends. Arguments that
// arrive in pieces (stream deltas of partial JSON) pass through as they are, since a piece
// cannot be compacted on its own.
const ToolArguments = Compact

// AppendQuotedJSON appends the JSON value raw to dst as a JSON string, quotes included (see
// AppendQuoted), with its whitespace as sp says.
func AppendQuotedJSON(dst, raw []byte, sp Spacing) []byte {
	if sp == KeepSpacing {
		return AppendQuoted(dst, raw)
	}
	dst = append(dst, '"')
	inString := false
	start := 0
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case !inString && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			dst = AppendEscaped(dst, raw[start:i])
			start = i + 1
		case c == '"' && (!inString || !escaped(raw, i)):
			inString = !inString
		}
	}
	dst = AppendEscaped(dst, raw[start:])
	return append(dst, '"')
}

// escaped reports whether raw[i] is preceded by an odd number of backslashes.
func escaped(raw []byte, i int) bool {
	n := 0
	for j := i - 1; j >= 0 && raw[j] == '\\'; j-- {
		n++
	}
	return n%2 == 1
}

// QuoteJSON encodes a JSON value as a JSON string, as OpenAI sends tool-call arguments, with
// its whitespace as sp says (codecs pass ToolArguments). It allocates the new text; absent
// input is "{}".
func QuoteJSON(raw schemas.Raw, sp Spacing) schemas.Text {
	if raw == nil {
		return schemas.Text(`"{}"`)
	}
	return AppendQuotedJSON(make(schemas.Text, 0, len(raw)+len(raw)/8+2), raw, sp)
}

// JoinText returns the JSON string a followed by the JSON string b (both encoded, with
// quotes, escapes kept as they are): a when b is absent, null or empty, b when a is absent,
// null or empty, else a new string (the only case that allocates). Text that is not a quoted
// string counts as absent. It is the codecs' one way to join text blocks or parts.
func JoinText(a, b schemas.Text) schemas.Text {
	if len(a) <= 2 || a[0] != '"' {
		return b
	}
	if len(b) <= 2 || b[0] != '"' {
		return a
	}
	out := make(schemas.Text, 0, len(a)+len(b)-2)
	out = append(out, a[:len(a)-1]...)
	return append(out, b[1:]...)
}

// DataURL splits a base64 data URL given as a JSON string ("data:image/png;base64,....")
// into its media type and its base64 data (standard alphabet, with padding), borrowed from
// t when it has no escapes. ok is false for any other URL or malformed data. A URL with
// escapes (such as "\/" in the base64) is decoded first, which allocates.
func DataURL(t schemas.Text) (mime, data []byte, ok bool) {
	s, ok := Inner(t)
	if !ok {
		return nil, nil, false
	}
	if bytes.IndexByte(s, '\\') >= 0 {
		s = []byte(t.String())
	}
	rest, ok := bytes.CutPrefix(s, []byte("data:"))
	if !ok {
		return nil, nil, false
	}
	mime, data, ok = bytes.Cut(rest, []byte(";base64,"))
	if !ok || len(data) == 0 {
		return nil, nil, false
	}
	for _, c := range data {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=') {
			return nil, nil, false
		}
	}
	return mime, data, true
}
