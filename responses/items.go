package responses

import (
	"strconv"

	"github.com/bifrost-gw/bifrost/adapters/convert"
	"github.com/mailru/easyjson/jlexer"
)

// decode reads one input item. Members that no translation can honour are noted in bad.
func (it *Item) decode(l *jlexer.Lexer) {
	for key := range convert.Fields(l) {
		switch key {
		case "type":
			it.Type = l.UnsafeString()
		case "role":
			it.Role = l.UnsafeString()
		case "content":
			it.decodeContent(l)
		case "call_id":
			it.CallID = l.UnsafeString()
		case "name":
			it.Name = l.UnsafeString()
		case "arguments":
			it.Arguments.UnmarshalEasyJSON(l)
		case "output":
			it.decodeOutput(l)
		case "summary":
			it.decodeSummary(l)
		case "encrypted_content":
			it.Encrypted.UnmarshalEasyJSON(l)
		default:
			// id, status: the gateway's own ids mean nothing to a provider.
			l.SkipRecursive()
		}
	}
}

func (it *Item) decodeContent(l *jlexer.Lexer) {
	if !l.IsDelim('[') {
		it.Content.UnmarshalEasyJSON(l)
		return
	}
	l.Delim('[')
	for !l.IsDelim(']') && l.Ok() {
		var p Part
		for key := range convert.Fields(l) {
			switch key {
			case "type":
				p.Type = l.UnsafeString()
			case "text":
				p.Text.UnmarshalEasyJSON(l)
			case "refusal":
				p.Text.UnmarshalEasyJSON(l)
			case "image_url":
				p.ImageURL.UnmarshalEasyJSON(l)
			case "detail":
				p.Detail = l.UnsafeString()
			case "file_id":
				if l.IsNull() {
					l.Skip()
				} else {
					p.FileID = l.UnsafeString()
				}
			case "file_data":
				p.FileData.UnmarshalEasyJSON(l)
			case "filename":
				p.Filename = l.UnsafeString()
			case "file_url":
				if l.IsNull() {
					l.Skip()
				} else if l.SkipRecursive(); it.bad == "" {
					it.bad, it.why = "content["+strconv.Itoa(len(it.Parts))+"].file_url", "a file_url has no translation: send file_data"
				}
			default:
				l.SkipRecursive() // annotations, logprobs
			}
		}
		it.Parts = append(it.Parts, p)
		l.WantComma()
	}
	l.Delim(']')
}

// decodeOutput reads a function_call_output's output: a string, or a list of parts of which
// the text ones are kept.
func (it *Item) decodeOutput(l *jlexer.Lexer) {
	if !l.IsDelim('[') {
		it.Output.UnmarshalEasyJSON(l)
		return
	}
	it.decodeContent(l)
}

func (it *Item) decodeSummary(l *jlexer.Lexer) {
	if l.IsNull() {
		l.Skip()
		return
	}
	l.Delim('[')
	for !l.IsDelim(']') && l.Ok() {
		for key := range convert.Fields(l) {
			if key == "text" {
				var t = len(it.Summary)
				it.Summary = append(it.Summary, nil)
				it.Summary[t].UnmarshalEasyJSON(l)
				continue
			}
			l.SkipRecursive()
		}
		l.WantComma()
	}
	l.Delim(']')
}
