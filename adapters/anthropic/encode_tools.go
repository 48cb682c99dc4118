package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/bifrost-gw/bifrost/adapters/convert"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

// writeTools writes tools, tool_choice and parallel_tool_calls.
func writeTools(w *jwriter.Writer, r *schemas.ChatRequest) error {
	if len(r.Tools) > 0 {
		w.RawString(`,"tools":[`)
		for i := range r.Tools {
			t := &r.Tools[i]
			if raw := extra(&t.Extras, extraTool); raw != nil {
				if i > 0 {
					w.RawByte(',')
				}
				w.Raw(raw, nil)
				continue
			}
			if t.Type != "function" {
				return errors.New("tool type " + strconv.Quote(t.Type) + " is not supported by Anthropic (function)")
			}
			if i > 0 {
				w.RawByte(',')
			}
			w.RawString(`{"name":`)
			w.String(t.Function.Name)
			if !t.Function.Description.IsNull() {
				w.RawString(`,"description":`)
				w.Raw(t.Function.Description, nil)
			}
			w.RawString(`,"input_schema":`)
			if t.Function.Parameters.IsDefined() && !t.Function.Parameters.IsNull() {
				w.Raw(t.Function.Parameters, nil)
			} else {
				w.RawString(`{"type":"object","properties":{}}`)
			}
			writeCacheControl(w, &t.Extras)
			w.RawByte('}')
		}
		w.RawByte(']')
	}
	noParallel := r.ParallelToolCalls.IsDefined() && !r.ParallelToolCalls.V
	tc := r.ToolChoice
	typ, name := "", ""
	switch {
	case tc.Object != nil:
		if tc.Object.Type != "function" || tc.Object.Function.Name == "" {
			return errors.New(`tool_choice must be "none", "auto", "required" or {"type":"function","function":{"name":...}}`)
		}
		typ, name = "tool", tc.Object.Function.Name
	case tc.Mode == "auto":
		typ = "auto"
	case tc.Mode == "required":
		typ = "any"
	case tc.Mode == "none":
		typ = "none"
	case tc.Mode != "":
		return errors.New("tool_choice " + strconv.Quote(tc.Mode) + ` is not one of "none", "auto", "required"`)
	case noParallel && len(r.Tools) > 0:
		typ = "auto"
	default:
		return nil
	}
	w.RawString(`,"tool_choice":{"type":"`)
	w.RawString(typ)
	w.RawByte('"')
	if name != "" {
		w.RawString(`,"name":`)
		w.String(name)
	}
	if noParallel && typ != "none" {
		w.RawString(`,"disable_parallel_tool_use":true`)
	}
	w.RawByte('}')
	return nil
}

// errInput is the error for tool-call arguments that are not a JSON object.
var errInput = errors.New("function.arguments must be a JSON object encoded as a string")

// writeInput writes a tool call's arguments (a JSON string holding a JSON object) as the
// object itself: unescaped straight into w, then checked, so that arguments that are not
// one JSON object cannot change the request around them. Absent or empty arguments are {}.
func writeInput(w *jwriter.Writer, args schemas.Text) error {
	if args.IsNull() || string(args) == `""` {
		w.RawString("{}")
		return nil
	}
	if len(args) < 2 || args[0] != '"' {
		return errInput
	}
	before, size := len(w.Buffer.Buf), w.Buffer.Size()
	if !unescapeInto(w, args[1:len(args)-1]) {
		return errInput
	}
	var written []byte
	if w.Buffer.Size()-size == len(w.Buffer.Buf)-before {
		written = w.Buffer.Buf[before:]
	} else {
		// The writer moved to a new chunk: check a decoded copy instead.
		written = []byte(args.String())
	}
	if t := bytes.TrimLeft(written, " \t\r\n"); len(t) == 0 || t[0] != '{' || !json.Valid(t) {
		return errInput
	}
	return nil
}

// unescapeInto writes the unescaped content of a JSON string (without its quotes) to w. It
// reports false for a bad escape.
func unescapeInto(w *jwriter.Writer, s []byte) bool {
	for len(s) > 0 {
		i := bytes.IndexByte(s, '\\')
		if i < 0 {
			w.Buffer.AppendBytes(s)
			return true
		}
		w.Buffer.AppendBytes(s[:i])
		s = s[i:]
		if len(s) < 2 {
			return false
		}
		switch s[1] {
		case '"', '\\', '/':
			w.Buffer.AppendByte(s[1])
		case 'b':
			w.Buffer.AppendByte('\b')
		case 'f':
			w.Buffer.AppendByte('\f')
		case 'n':
			w.Buffer.AppendByte('\n')
		case 'r':
			w.Buffer.AppendByte('\r')
		case 't':
			w.Buffer.AppendByte('\t')
		case 'u':
			r, n := convert.DecodeEscapeU(s)
			if n == 0 {
				return false
			}
			var b [utf8.UTFMax]byte
			w.Buffer.AppendBytes(utf8.AppendRune(b[:0], r))
			s = s[n:]
			continue
		default:
			return false
		}
		s = s[2:]
	}
	return true
}

// extra returns the value of an unmodelled member kept in e, or nil.
func extra(e *schemas.Extras, key string) schemas.Raw {
	for _, f := range e.ExtraFields() {
		if f.Key == key && !f.Value.IsNull() {
			return f.Value
		}
	}
	return nil
}
