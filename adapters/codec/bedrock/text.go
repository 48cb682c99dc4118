package bedrock

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

// dataURL splits a data URL given as a JSON string ("data:image/png;base64,....") into its
// media type and its base64 data, borrowed from t. ok is false for any other URL.
func dataURL(t schemas.Text) (mime, data []byte, ok bool) {
	if len(t) < 2 || t[0] != '"' {
		return nil, nil, false
	}
	s := []byte(t[1 : len(t)-1])
	if bytes.IndexByte(s, '\\') >= 0 {
		// Escaped (e.g. "\/" in the base64): decode it, which is rare and may allocate.
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

// imageFormat gives Converse's ImageBlock format for a media type.
func imageFormat(mime []byte) string {
	switch string(mime) {
	case "image/png":
		return "png"
	case "image/jpeg", "image/jpg":
		return "jpeg"
	case "image/gif":
		return "gif"
	case "image/webp":
		return "webp"
	}
	return ""
}

// documentFormat gives Converse's DocumentBlock format for a media type.
func documentFormat(mime []byte) string {
	switch string(mime) {
	case "application/pdf":
		return "pdf"
	case "text/csv":
		return "csv"
	case "application/msword":
		return "doc"
	case "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
		return "docx"
	case "application/vnd.ms-excel":
		return "xls"
	case "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
		return "xlsx"
	case "text/html":
		return "html"
	case "text/plain":
		return "txt"
	case "text/markdown":
		return "md"
	}
	return ""
}

// writeDocumentName writes a DocumentBlock name from a file name: without its extension,
// with only what Converse allows (letters, digits, single spaces, hyphens, parentheses,
// square brackets; anything else becomes a hyphen), or "document".
func writeDocumentName(w *jwriter.Writer, filename string) {
	if i := lastDot(filename); i > 0 {
		filename = filename[:i]
	}
	n, space := 0, false
	for i := 0; i < len(filename) && n < 200; i++ {
		c := filename[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '(', c == ')', c == '[', c == ']':
		case c == ' ':
			if space || n == 0 {
				continue
			}
		default:
			c = '-'
		}
		space = c == ' '
		w.RawByte(c)
		n++
	}
	if n == 0 {
		w.RawString("document")
	}
}

func lastDot(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '.' {
			return i
		}
	}
	return -1
}

// writeArguments writes a tool call's arguments (a JSON string holding JSON) as the JSON
// value they hold; absent or empty arguments are {}.
func writeArguments(w *jwriter.Writer, args schemas.Text) error {
	if args.IsNull() || string(args) == `""` {
		w.RawString("{}")
		return nil
	}
	var stack [2048]byte
	v, ok := appendUnquoted(stack[:0], args)
	if !ok || !json.Valid(v) {
		return errors.New("not a JSON string holding JSON")
	}
	w.Raw(v, nil)
	return nil
}

// appendUnquoted appends the value of the JSON string t (with its quotes) to dst.
func appendUnquoted(dst []byte, t schemas.Text) ([]byte, bool) {
	if len(t) < 2 || t[0] != '"' || t[len(t)-1] != '"' {
		return dst, false
	}
	s := t[1 : len(t)-1]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		if i >= len(s) {
			return dst, false
		}
		switch s[i] {
		case '"', '\\', '/':
			dst = append(dst, s[i])
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
			r, n := hex4(s[i+1:])
			if n == 0 {
				return dst, false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				if i+2 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
					if r2, n2 := hex4(s[i+3:]); n2 > 0 {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							r = d
							i += 6
						}
					}
				}
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return dst, false
		}
	}
	return dst, true
}

func hex4(s []byte) (rune, int) {
	if len(s) < 4 {
		return 0, 0
	}
	var r rune
	for _, c := range s[:4] {
		r <<= 4
		switch {
		case '0' <= c && c <= '9':
			r |= rune(c - '0')
		case 'a' <= c && c <= 'f':
			r |= rune(c - 'a' + 10)
		case 'A' <= c && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, 0
		}
	}
	return r, 4
}

// quoteJSON encodes a JSON value as a JSON string, as OpenAI sends tool-call arguments. It
// allocates the new text; absent input is "{}".
func quoteJSON(raw schemas.Raw) schemas.Text {
	if raw == nil {
		return schemas.Text(`"{}"`)
	}
	const hexDigits = "0123456789abcdef"
	out := make([]byte, 0, len(raw)+len(raw)/8+2)
	out = append(out, '"')
	for _, c := range raw {
		switch {
		case c == '"' || c == '\\':
			out = append(out, '\\', c)
		case c == '\n':
			out = append(out, '\\', 'n')
		case c == '\r':
			out = append(out, '\\', 'r')
		case c == '\t':
			out = append(out, '\\', 't')
		case c < 0x20:
			out = append(out, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
		default:
			out = append(out, c)
		}
	}
	return schemas.Text(append(out, '"'))
}

// joinText appends the JSON string b to the JSON string a; it allocates only when a is set.
func joinText(a, b schemas.Text) schemas.Text {
	if a.IsNull() {
		return b
	}
	out := make([]byte, 0, len(a)+len(b)-2)
	out = append(out, a[:len(a)-1]...)
	return schemas.Text(append(out, b[1:]...))
}
