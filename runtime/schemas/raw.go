package schemas

import (
	"encoding/json"

	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

// Raw is a JSON value kept as the bytes it was received as, borrowed from the input buffer.
// A nil Raw is absent and omitted by fields tagged omitempty.
type Raw []byte

// UnmarshalEasyJSON keeps the next JSON value as it is, after checking that it is valid JSON
// (easyjson's skipping is lenient, and the value is forwarded byte for byte).
func (r *Raw) UnmarshalEasyJSON(l *jlexer.Lexer) {
	*r = Raw(keepValid(l))
}

// keepValid returns the next JSON value's bytes, or nil with an error on l when they are not
// valid JSON. json.Valid runs a pooled state machine: it allocates nothing.
func keepValid(l *jlexer.Lexer) []byte {
	raw := l.Raw()
	if !l.Ok() {
		return nil
	}
	if !json.Valid(raw) {
		l.AddError(&jlexer.LexerError{Reason: "invalid JSON value", Offset: l.GetPos(), Data: truncate(raw)})
		return nil
	}
	return raw
}

// MarshalEasyJSON writes the value unchanged, or null when absent.
func (r Raw) MarshalEasyJSON(w *jwriter.Writer) {
	if r == nil {
		w.RawString("null")
		return
	}
	w.Raw(r, nil)
}

// IsDefined reports whether the value was present in the input.
func (r Raw) IsDefined() bool { return r != nil }

// IsNull reports whether the value is the JSON literal null.
func (r Raw) IsNull() bool { return string(r) == "null" }

// Text is a JSON string, or null, kept in its encoded form: the quotes and escapes exactly as
// received. It re-encodes byte for byte, so message text passes through the gateway without
// being unescaped or copied. A nil Text is absent.
type Text []byte

// TextOf returns the JSON encoding of s as a Text. It allocates; it is meant for values the
// gateway makes itself, not for the hot path.
func TextOf(s string) Text {
	w := jwriter.Writer{}
	w.String(s)
	b, _ := w.BuildBytes()
	return Text(b)
}

// UnmarshalEasyJSON keeps the next JSON value, which must be a string or null.
func (t *Text) UnmarshalEasyJSON(l *jlexer.Lexer) {
	raw := l.Raw()
	if !l.Ok() {
		return
	}
	if len(raw) == 0 || (raw[0] != '"' && string(raw) != "null") {
		l.AddError(&jlexer.LexerError{Reason: "expected a string", Offset: l.GetPos(), Data: truncate(raw)})
		return
	}
	if raw[0] == '"' && !validString(raw) {
		l.AddError(&jlexer.LexerError{Reason: "invalid string: a control character or a bad escape", Offset: l.GetPos(), Data: truncate(raw)})
		return
	}
	*t = Text(raw)
}

// validString reports whether raw, a string token with its quotes, is valid JSON: no control
// characters and only the escapes JSON defines (RFC 8259, section 7). easyjson's lexer finds
// the end of a string without checking these, and a Text is forwarded byte for byte.
func validString(raw []byte) bool {
	if len(raw) < 2 || raw[len(raw)-1] != '"' {
		return false
	}
	b := raw[1 : len(raw)-1]
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < 0x20 {
			return false
		}
		if c != '\\' {
			continue
		}
		i++
		if i >= len(b) {
			return false
		}
		switch b[i] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		case 'u':
			if i+4 >= len(b) {
				return false
			}
			for _, h := range b[i+1 : i+5] {
				if !isHex(h) {
					return false
				}
			}
			i += 4
		default:
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// MarshalEasyJSON writes the string unchanged, or null when absent.
func (t Text) MarshalEasyJSON(w *jwriter.Writer) {
	if t == nil {
		w.RawString("null")
		return
	}
	w.Raw(t, nil)
}

// IsDefined reports whether the value was present in the input.
func (t Text) IsDefined() bool { return t != nil }

// IsNull reports whether the value is absent or the JSON literal null.
func (t Text) IsNull() bool { return t == nil || string(t) == "null" }

// String returns the decoded string ("" for null or absent, or when the encoding is invalid).
// It allocates when the string has escapes.
func (t Text) String() string {
	if t.IsNull() {
		return ""
	}
	l := jlexer.Lexer{Data: t}
	s := l.String()
	if l.Error() != nil {
		return ""
	}
	return s
}

// NullString is a string that encodes as null when empty, for fields such as finish_reason that
// OpenAI sends as null until they have a value. It decodes a string (borrowed), a number (its
// literal) or null.
type NullString string

// UnmarshalEasyJSON reads a string, a number or null.
func (s *NullString) UnmarshalEasyJSON(l *jlexer.Lexer) {
	if l.IsNull() {
		l.Skip()
		*s = ""
		return
	}
	if l.CurrentToken() == jlexer.TokenNumber {
		*s = NullString(l.JsonNumber().String())
		return
	}
	*s = NullString(l.UnsafeString())
}

// MarshalEasyJSON writes the string, or null when it is empty.
func (s NullString) MarshalEasyJSON(w *jwriter.Writer) {
	if s == "" {
		w.RawString("null")
		return
	}
	w.String(string(s))
}

// Strings is a list of strings borrowed from the input buffer. Decoding reuses its capacity.
type Strings []string

// UnmarshalEasyJSON reads an array of strings, or null.
func (s *Strings) UnmarshalEasyJSON(l *jlexer.Lexer) {
	if l.IsNull() {
		l.Skip()
		*s = nil
		return
	}
	out := (*s)[:0]
	l.Delim('[')
	for !l.IsDelim(']') {
		out = append(out, l.UnsafeString())
		l.WantComma()
	}
	l.Delim(']')
	*s = out
}

// MarshalEasyJSON writes an array of strings.
func (s Strings) MarshalEasyJSON(w *jwriter.Writer) {
	w.RawByte('[')
	for i, v := range s {
		if i > 0 {
			w.RawByte(',')
		}
		w.String(v)
	}
	w.RawByte(']')
}

// IsDefined reports whether the list was present.
func (s Strings) IsDefined() bool { return s != nil }

// Extras keeps the members of a JSON object that the gateway does not model, as raw bytes
// borrowed from the input, and writes them back after the modelled ones. Embed it in a struct
// to make easyjson forward unknown fields instead of skipping them.
type Extras struct {
	fields []ExtraField
}

// ExtraField is one member of an object that the gateway does not model.
type ExtraField struct {
	Key   string
	Value Raw
}

// UnmarshalUnknown keeps an unknown member; easyjson's generated decoders call it.
func (e *Extras) UnmarshalUnknown(in *jlexer.Lexer, key string) {
	if v := keepValid(in); v != nil {
		e.fields = append(e.fields, ExtraField{Key: key, Value: v})
	}
}

// MarshalUnknowns writes the kept members; easyjson's generated encoders call it.
func (e Extras) MarshalUnknowns(out *jwriter.Writer, first bool) {
	e.MarshalUnknownsExcept(out, first, nil)
}

// MarshalUnknownsExcept writes the kept members except those named in skip: a wire type that
// renames a field uses it so that a client's member of the new name is not written twice.
func (e Extras) MarshalUnknownsExcept(out *jwriter.Writer, first bool, skip []string) {
next:
	for _, f := range e.fields {
		for _, k := range skip {
			if f.Key == k {
				continue next
			}
		}
		if !first {
			out.RawByte(',')
		}
		first = false
		out.String(f.Key)
		out.RawByte(':')
		out.Raw(f.Value, nil)
	}
}

// ExtraFields returns the members kept from the input, in input order.
func (e *Extras) ExtraFields() []ExtraField { return e.fields }

// SetExtra adds or replaces a member that is written after the modelled ones.
func (e *Extras) SetExtra(key string, value Raw) {
	for i := range e.fields {
		if e.fields[i].Key == key {
			e.fields[i].Value = value
			return
		}
	}
	e.fields = append(e.fields, ExtraField{Key: key, Value: value})
}

// DeleteExtra removes a kept member by key.
func (e *Extras) DeleteExtra(key string) {
	out := e.fields[:0]
	for _, f := range e.fields {
		if f.Key != key {
			out = append(out, f)
		}
	}
	clear(e.fields[len(out):])
	e.fields = out
}

// resetExtras empties the kept members, keeping capacity.
func (e *Extras) resetExtras() {
	clear(e.fields)
	e.fields = e.fields[:0]
}

func truncate(b []byte) string {
	const max = 32
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}
