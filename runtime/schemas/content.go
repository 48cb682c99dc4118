package schemas

import (
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

// MessageContent is a message's content: a string (or null), or an array of content parts.
type MessageContent struct {
	// Text holds the content when it was given as a string or null.
	Text Text
	// Parts holds the content when it was given as an array.
	Parts []ContentPart
}

// IsDefined reports whether the content was present.
func (c MessageContent) IsDefined() bool { return c.Text != nil || c.Parts != nil }

// UnmarshalEasyJSON reads a string, null, or an array of content parts.
func (c *MessageContent) UnmarshalEasyJSON(l *jlexer.Lexer) {
	if l.CurrentToken() == jlexer.TokenDelim && !l.IsNull() && isArrayStart(l) {
		c.Text = nil
		parts := c.Parts[:0]
		if parts == nil {
			parts = []ContentPart{}
		}
		l.Delim('[')
		for !l.IsDelim(']') {
			var p ContentPart
			p.UnmarshalEasyJSON(l)
			parts = append(parts, p)
			l.WantComma()
		}
		l.Delim(']')
		c.Parts = parts
		return
	}
	c.Parts = nil
	c.Text.UnmarshalEasyJSON(l)
}

// MarshalEasyJSON writes the content in the form it was given.
func (c MessageContent) MarshalEasyJSON(w *jwriter.Writer) {
	if c.Parts != nil {
		w.RawByte('[')
		for i := range c.Parts {
			if i > 0 {
				w.RawByte(',')
			}
			c.Parts[i].MarshalEasyJSON(w)
		}
		w.RawByte(']')
		return
	}
	c.Text.MarshalEasyJSON(w)
}

// isArrayStart reports whether the lexer's current token opens an array.
func isArrayStart(l *jlexer.Lexer) bool {
	// IsDelim consumes nothing when the delimiter does not match.
	return l.IsDelim('[')
}

// ContentPart is one element of a content array: text, image_url, input_audio or file.
//
//easyjson:json
type ContentPart struct {
	Type       string      `json:"type,nocopy"`
	Text       Text        `json:"text,omitempty"`
	ImageURL   *ImageURL   `json:"image_url,omitempty"`
	InputAudio *InputAudio `json:"input_audio,omitempty"`
	File       *File       `json:"file,omitempty"`
	Extras
}

// ImageURL is an image given by URL or as a data URL.
//
//easyjson:json
type ImageURL struct {
	URL    Text   `json:"url"`
	Detail string `json:"detail,omitempty,nocopy"`
	Extras
}

// InputAudio is base64-encoded audio in a content part.
//
//easyjson:json
type InputAudio struct {
	Data   Text   `json:"data"`
	Format string `json:"format,nocopy"`
	Extras
}

// File is a file given inline (base64 file_data) or by an uploaded file's id.
//
//easyjson:json
type File struct {
	FileData Text   `json:"file_data,omitempty"`
	FileID   string `json:"file_id,omitempty,nocopy"`
	Filename string `json:"filename,omitempty,nocopy"`
	Extras
}

// Stop is the stop parameter: one string or a list of up to four.
type Stop struct {
	// Values holds the stop sequences, each as received.
	Values []Text
	// List reports whether the sequences were given as an array.
	List bool
}

// IsDefined reports whether stop was present.
func (s Stop) IsDefined() bool { return s.Values != nil }

// UnmarshalEasyJSON reads a string, an array of strings, or null.
func (s *Stop) UnmarshalEasyJSON(l *jlexer.Lexer) {
	vals := s.Values[:0]
	if l.IsNull() {
		l.Skip()
		s.Values, s.List = nil, false
		return
	}
	if l.IsDelim('[') {
		s.List = true
		l.Delim('[')
		for !l.IsDelim(']') {
			var t Text
			t.UnmarshalEasyJSON(l)
			vals = append(vals, t)
			l.WantComma()
		}
		l.Delim(']')
		if vals == nil {
			vals = []Text{}
		}
		s.Values = vals
		return
	}
	s.List = false
	var t Text
	t.UnmarshalEasyJSON(l)
	s.Values = append(vals, t)
}

// MarshalEasyJSON writes stop in the form it was given.
func (s Stop) MarshalEasyJSON(w *jwriter.Writer) {
	if !s.List && len(s.Values) == 1 {
		s.Values[0].MarshalEasyJSON(w)
		return
	}
	w.RawByte('[')
	for i, v := range s.Values {
		if i > 0 {
			w.RawByte(',')
		}
		v.MarshalEasyJSON(w)
	}
	w.RawByte(']')
}

// ToolChoice is the tool_choice parameter: a mode string ("none", "auto", "required") or an
// object naming a function ({"type":"function","function":{"name":...}}) or another choice.
type ToolChoice struct {
	// Mode is set when tool_choice was given as a string.
	Mode string
	// Object is set when tool_choice was given as an object.
	Object *ToolChoiceObject
}

// ToolChoiceObject is the object form of tool_choice.
//
//easyjson:json
type ToolChoiceObject struct {
	Type     string       `json:"type,nocopy"`
	Function FunctionName `json:"function"`
	Extras
}

// FunctionName names a function.
//
//easyjson:json
type FunctionName struct {
	Name string `json:"name,nocopy"`
	Extras
}

// IsDefined reports whether tool_choice was present.
func (t ToolChoice) IsDefined() bool { return t.Mode != "" || t.Object != nil }

// UnmarshalEasyJSON reads a string or an object.
func (t *ToolChoice) UnmarshalEasyJSON(l *jlexer.Lexer) {
	t.Mode, t.Object = "", nil
	if l.IsNull() {
		l.Skip()
		return
	}
	if l.CurrentToken() == jlexer.TokenString {
		t.Mode = l.UnsafeString()
		return
	}
	t.Object = new(ToolChoiceObject)
	t.Object.UnmarshalEasyJSON(l)
}

// MarshalEasyJSON writes tool_choice in the form it was given.
func (t ToolChoice) MarshalEasyJSON(w *jwriter.Writer) {
	switch {
	case t.Object != nil:
		t.Object.MarshalEasyJSON(w)
	case t.Mode != "":
		w.String(t.Mode)
	default:
		w.RawString("null")
	}
}

// InputKind tells which form a prompt or embedding input was given in.
type InputKind uint8

// The forms of an input.
const (
	InputNone       InputKind = iota // absent
	InputString                      // "text"
	InputStrings                     // ["text", ...]
	InputTokens                      // [1, 2, 3]
	InputTokenLists                  // [[1, 2], [3]]
)

// Input is a completion prompt or an embedding input: a string, an array of strings, an array
// of token ids, or an array of token-id arrays. It is validated on decode and kept as received.
type Input struct {
	Kind InputKind
	// Raw is the input exactly as received.
	Raw Raw
	// Count is the number of inputs: 1 for a string or a token array, else the array's length.
	Count int
}

// IsDefined reports whether the input was present.
func (in Input) IsDefined() bool { return in.Raw != nil }

// UnmarshalEasyJSON validates and keeps a string, an array of strings, an array of integers,
// or an array of integer arrays.
func (in *Input) UnmarshalEasyJSON(l *jlexer.Lexer) {
	raw := keepValid(l)
	if raw == nil {
		return
	}
	kind, count, reason := classifyInput(raw)
	if reason != "" {
		l.AddError(&jlexer.LexerError{Reason: reason, Offset: l.GetPos(), Data: truncate(raw)})
		return
	}
	in.Kind, in.Raw, in.Count = kind, Raw(raw), count
}

// MarshalEasyJSON writes the input as received.
func (in Input) MarshalEasyJSON(w *jwriter.Writer) { in.Raw.MarshalEasyJSON(w) }

// Texts appends the input's strings to dst (decoding escapes) and returns it; token inputs
// give none.
func (in Input) Texts(dst []string) []string {
	switch in.Kind {
	case InputString:
		return append(dst, Text(in.Raw).String())
	case InputStrings:
		l := jlexer.Lexer{Data: in.Raw}
		l.Delim('[')
		for !l.IsDelim(']') {
			dst = append(dst, l.String())
			l.WantComma()
		}
	}
	return dst
}

const inputReason = "must be a string, an array of strings, an array of integers or an array of integer arrays"

func classifyInput(raw []byte) (InputKind, int, string) {
	l := jlexer.Lexer{Data: raw}
	switch l.CurrentToken() {
	case jlexer.TokenString:
		return InputString, 1, ""
	case jlexer.TokenDelim:
	default:
		return InputNone, 0, inputReason
	}
	if !l.IsDelim('[') {
		return InputNone, 0, inputReason
	}
	l.Delim('[')
	kind, n := InputNone, 0
	for !l.IsDelim(']') && l.Ok() {
		var k InputKind
		switch l.CurrentToken() {
		case jlexer.TokenString:
			k = InputStrings
			l.Skip()
		case jlexer.TokenNumber:
			k = InputTokens
			l.Int()
		case jlexer.TokenDelim:
			k = InputTokenLists
			l.Delim('[')
			for !l.IsDelim(']') && l.Ok() {
				l.Int()
				l.WantComma()
			}
			l.Delim(']')
		default:
			return InputNone, 0, inputReason
		}
		if kind != InputNone && k != kind {
			return InputNone, 0, "mixes element types; " + inputReason
		}
		kind = k
		n++
		l.WantComma()
	}
	l.Delim(']')
	if l.Error() != nil {
		return InputNone, 0, inputReason
	}
	if n == 0 {
		return InputNone, 0, "must not be empty"
	}
	if kind == InputTokens {
		n = 1
	}
	return kind, n, ""
}
