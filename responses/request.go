package responses

import (
	"github.com/bifrost-gw/bifrost/adapters/convert"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/opt"
)

// Request is a decoded Responses request. Strings and texts are borrowed from the body that
// Decode read: the body must outlive the Request's use.
type Request struct {
	Model              string
	Provider           string          // gateway member: the provider to use
	Fallbacks          schemas.Strings // gateway member: the models to try next
	Instructions       schemas.Text
	InputText          schemas.Text // input as a string, or nil
	Input              []Item       // input as a list of items
	InputRaw           schemas.Raw  // input as sent (string or array)
	Tools              []Tool
	ToolsRaw           schemas.Raw
	ToolChoice         schemas.Raw
	ParallelToolCalls  opt.Bool
	Text               schemas.Raw // the text member as sent
	Format             Format
	Effort             string
	Reasoning          schemas.Raw
	MaxOutputTokens    opt.Int
	Temperature        opt.Float64
	TopP               opt.Float64
	Metadata           schemas.Raw
	User               string
	Store              opt.Bool
	PreviousResponseID string
	Stream             bool
	Include            schemas.Strings
	// refused is the first member that has no translation, found while decoding.
	refused *ParamError
}

// Item is one input item: a message, a function call, its output or a reasoning item.
type Item struct {
	Type      string // message (also when absent), function_call, function_call_output, reasoning
	Role      string
	Content   schemas.Text // a string content
	Parts     []Part
	CallID    string
	Name      string
	Arguments schemas.Text
	Output    schemas.Text // a string output
	Summary   []schemas.Text
	// Encrypted is a reasoning item's encrypted_content: the provider's thinking blocks
	// when the gateway made the item (see writeReasoning).
	Encrypted schemas.Text
	// bad names the first member of the item that has no translation, with its path below
	// the item, and why.
	bad, why string
}

// Part is one content part of a message item.
type Part struct {
	Type     string // input_text, output_text, refusal, input_image, input_file
	Text     schemas.Text
	ImageURL schemas.Text
	Detail   string
	FileID   string
	FileData schemas.Text
	Filename string
}

// Tool is one function tool.
type Tool struct {
	Type        string
	Name        string
	Description schemas.Text
	Parameters  schemas.Raw
	Strict      opt.Bool
}

// Format is text.format: text, json_object or json_schema.
type Format struct {
	Type        string
	Name        string
	Description schemas.Text
	Schema      schemas.Raw
	Strict      opt.Bool
}

// ParamError is a request member that cannot be served: Param names it as OpenAI does
// ("tools[0].type"), Code says why.
type ParamError struct {
	Param, Code, Message string
}

// Error returns the message.
func (e *ParamError) Error() string { return e.Message }

// Codes of ParamError.
const (
	CodeUnsupported = "unsupported_parameter"
	CodeInvalid     = "invalid_value"
	CodeMissing     = "missing_required_parameter"
)

// Reset empties r, keeping the capacity of its lists.
func (r *Request) Reset() {
	items := r.Input[:cap(r.Input)]
	for i := range items {
		items[i].reset()
	}
	tools := r.Tools[:cap(r.Tools)]
	clear(tools)
	*r = Request{Input: items[:0], Tools: tools[:0]}
}

func (it *Item) reset() {
	parts := it.Parts[:cap(it.Parts)]
	clear(parts)
	sum := it.Summary[:cap(it.Summary)]
	clear(sum)
	*it = Item{Parts: parts[:0], Summary: sum[:0]}
}

// Decode reads a Responses request body into r (reset first). A member with no translation
// is not an error here: ToChat reports it.
func (r *Request) Decode(body []byte) error {
	r.Reset()
	l := jlexer.Lexer{Data: body}
	for key := range convert.Fields(&l) {
		r.member(&l, key)
	}
	l.Consumed()
	return l.Error()
}

func (r *Request) member(l *jlexer.Lexer, key string) {
	switch key {
	case "model":
		r.Model = l.UnsafeString()
	case "provider":
		r.Provider = l.UnsafeString()
	case "fallbacks":
		r.Fallbacks.UnmarshalEasyJSON(l)
	case "instructions":
		r.Instructions.UnmarshalEasyJSON(l)
	case "input":
		r.decodeInput(l)
	case "tools":
		r.decodeTools(l)
	case "tool_choice":
		r.ToolChoice.UnmarshalEasyJSON(l)
	case "parallel_tool_calls":
		r.ParallelToolCalls.UnmarshalEasyJSON(l)
	case "text":
		r.decodeText(l)
	case "reasoning":
		r.decodeReasoning(l)
	case "max_output_tokens":
		r.MaxOutputTokens.UnmarshalEasyJSON(l)
	case "temperature":
		r.Temperature.UnmarshalEasyJSON(l)
	case "top_p":
		r.TopP.UnmarshalEasyJSON(l)
	case "metadata":
		r.Metadata.UnmarshalEasyJSON(l)
	case "user", "safety_identifier":
		if l.IsNull() {
			l.Skip()
		} else if s := l.UnsafeString(); key == "user" || r.User == "" {
			r.User = s
		}
	case "store":
		r.Store.UnmarshalEasyJSON(l)
	case "previous_response_id":
		if l.IsNull() {
			l.Skip()
		} else {
			r.PreviousResponseID = l.UnsafeString()
		}
	case "stream":
		if l.IsNull() {
			l.Skip()
		} else {
			r.Stream = l.Bool()
		}
	case "include":
		r.Include.UnmarshalEasyJSON(l)
	case "background", "conversation", "prompt", "max_tool_calls", "top_logprobs":
		r.refuseUnlessEmpty(l, key)
	default:
		// truncation, service_tier, prompt_cache_key, stream_options and the like change
		// nothing a translation can honour or break.
		l.SkipRecursive()
	}
}

// refuseUnlessEmpty refuses key unless its value is null, false or 0.
func (r *Request) refuseUnlessEmpty(l *jlexer.Lexer, key string) {
	raw := l.Raw()
	switch string(raw) {
	case "null", "false", "0", "":
		return
	}
	r.refuse(key, CodeUnsupported, key+" is not supported by this gateway for providers without a native Responses API")
}

func (r *Request) refuse(param, code, msg string) {
	if r.refused == nil {
		r.refused = &ParamError{Param: param, Code: code, Message: msg}
	}
}

func (r *Request) decodeInput(l *jlexer.Lexer) {
	start := l.GetPos()
	if l.IsNull() {
		l.Skip()
		return
	}
	if !l.IsDelim('[') {
		r.InputText.UnmarshalEasyJSON(l)
		r.InputRaw = schemas.Raw(r.InputText)
		return
	}
	l.Delim('[')
	for !l.IsDelim(']') && l.Ok() {
		r.Input = append(r.Input, Item{})
		it := &r.Input[len(r.Input)-1]
		it.reset()
		it.decode(l)
		l.WantComma()
	}
	l.Delim(']')
	if l.Ok() {
		r.InputRaw = valueBytes(l.Data[start:l.GetPos()])
	}
}

func (r *Request) decodeTools(l *jlexer.Lexer) {
	start := l.GetPos()
	if l.IsNull() {
		l.Skip()
		return
	}
	l.Delim('[')
	for !l.IsDelim(']') && l.Ok() {
		var t Tool
		for key := range convert.Fields(l) {
			switch key {
			case "type":
				t.Type = l.UnsafeString()
			case "name":
				t.Name = l.UnsafeString()
			case "description":
				t.Description.UnmarshalEasyJSON(l)
			case "parameters":
				t.Parameters.UnmarshalEasyJSON(l)
			case "strict":
				t.Strict.UnmarshalEasyJSON(l)
			default:
				l.SkipRecursive()
			}
		}
		r.Tools = append(r.Tools, t)
		l.WantComma()
	}
	l.Delim(']')
	if l.Ok() {
		r.ToolsRaw = valueBytes(l.Data[start:l.GetPos()])
	}
}

func (r *Request) decodeText(l *jlexer.Lexer) {
	start := l.GetPos()
	if l.IsNull() {
		l.Skip()
		return
	}
	for key := range convert.Fields(l) {
		if key != "format" || l.IsNull() {
			l.SkipRecursive() // verbosity: a hint with no chat equivalent
			continue
		}
		f := &r.Format
		for fk := range convert.Fields(l) {
			switch fk {
			case "type":
				f.Type = l.UnsafeString()
			case "name":
				f.Name = l.UnsafeString()
			case "description":
				f.Description.UnmarshalEasyJSON(l)
			case "schema":
				f.Schema.UnmarshalEasyJSON(l)
			case "strict":
				f.Strict.UnmarshalEasyJSON(l)
			default:
				l.SkipRecursive()
			}
		}
	}
	if l.Ok() {
		r.Text = valueBytes(l.Data[start:l.GetPos()])
	}
}

func (r *Request) decodeReasoning(l *jlexer.Lexer) {
	start := l.GetPos()
	if l.IsNull() {
		l.Skip()
		return
	}
	for key := range convert.Fields(l) {
		if key == "effort" && !l.IsNull() {
			r.Effort = l.UnsafeString()
			continue
		}
		l.SkipRecursive() // summary, generate_summary: a summary is the provider's thinking when it has any
	}
	if l.Ok() {
		r.Reasoning = valueBytes(l.Data[start:l.GetPos()])
	}
}

// valueBytes returns the value in b, bytes read from the lexer since just after the member's
// key: the colon and the space around are dropped.
func valueBytes(b []byte) []byte {
	b = trimSpace(b)
	if len(b) > 0 && b[0] == ':' {
		b = trimSpace(b[1:])
	}
	return b
}

// trimSpace drops the JSON whitespace around a value's bytes.
func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
