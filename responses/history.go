package responses

import (
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

// NewRecord makes the stored record of a finished response: resp is the Response object as
// answered, prev the history of the previous response (nil when none).
func NewRecord(r *Request, e *Encoder, resp, prev []byte) Record {
	var w jwriter.Writer
	r.writeInput(&w)
	input, _ := w.BuildBytes()
	hist := make([]byte, 0, len(prev)+len(input)+len(e.out)+2)
	hist = append(hist, '[')
	for _, part := range [...][]byte{members(prev), members(input), e.out} {
		if len(part) == 0 {
			continue
		}
		if len(hist) > 1 {
			hist = append(hist, ',')
		}
		hist = append(hist, part...)
	}
	hist = append(hist, ']')
	return Record{Response: resp, Input: input, History: hist}
}

// writeInput writes the request's input as a list of items: a string input is a user
// message.
func (r *Request) writeInput(w *jwriter.Writer) {
	if r.InputText != nil {
		w.RawString(`[{"type":"message","role":"user","content":`)
		r.InputText.MarshalEasyJSON(w)
		w.RawString(`}]`)
		return
	}
	if len(r.InputRaw) == 0 {
		w.RawString("[]")
		return
	}
	w.Raw(r.InputRaw, nil)
}

// members returns a JSON array's bytes without its brackets and the space around them.
func members(arr []byte) []byte {
	arr = trimSpace(arr)
	if len(arr) < 2 {
		return nil
	}
	return trimSpace(arr[1 : len(arr)-1])
}

// DecodeItems reads a JSON array of items (a stored history) into dst.
func DecodeItems(data []byte, dst []Item) ([]Item, error) {
	dst = dst[:0]
	l := jlexer.Lexer{Data: data}
	l.Delim('[')
	for !l.IsDelim(']') && l.Ok() {
		dst = append(dst, Item{})
		it := &dst[len(dst)-1]
		it.reset()
		it.decode(&l)
		l.WantComma()
	}
	l.Delim(']')
	l.Consumed()
	return dst, l.Error()
}

// SplitItems returns the elements of a JSON array of items, each as its raw bytes.
func SplitItems(data []byte) ([][]byte, error) {
	var out [][]byte
	l := jlexer.Lexer{Data: data}
	l.Delim('[')
	for !l.IsDelim(']') && l.Ok() {
		out = append(out, l.Raw())
		l.WantComma()
	}
	l.Delim(']')
	l.Consumed()
	return out, l.Error()
}
