package bedrock

import (
	"encoding/json"
	"errors"

	"github.com/bifrost-gw/bifrost/adapters/convert"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

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
	v, ok := convert.AppendUnquoted(stack[:0], args)
	if !ok || !json.Valid(v) {
		return errors.New("not a JSON string holding JSON")
	}
	w.Raw(v, nil)
	return nil
}
