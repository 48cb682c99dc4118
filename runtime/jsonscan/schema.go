package jsonscan

import (
	"strconv"
	"unsafe"
)

// The request members that the gateway's decoder (runtime/schemas, easyjson) types are
// checked here as it types them, so that a body it would refuse never passes through: it is
// declined, and the decoding path answers the error as before. Every known member may be
// null (the decoder skips null); members it does not know are kept as they are (any valid
// JSON). An escaped member name inside a checked object declines. The tables follow
// runtime/schemas' structs; TestSchemaTables checks them against the structs' json tags.

// shape is the JSON type a value must have.
type shape uint8

const (
	anyValue     shape = iota // schemas.Raw, or a member the decoder keeps unread
	str                       // a Go string
	text                      // schemas.Text: a string
	number                    // opt.Float64
	integer                   // opt.Int, opt.Int64
	boolean                   // opt.Bool
	object                    // a struct: fields
	array                     // a slice: elem
	stopShape                 // schemas.Stop: a string or an array of strings
	choiceShape               // schemas.ToolChoice: a string or a ToolChoiceObject
	contentShape              // schemas.MessageContent: a string or an array of content parts
	inputShape                // schemas.Input: a string, or a non-empty array of strings, of integers or of integer arrays
	skip                      // read elsewhere (ScanRequest's own members)
)

// field is one known member of an object.
type field struct {
	name  string
	shape shape
	sub   *node // object: its fields; array: its element
}

// node describes an object (fields) or an array's element (elem).
type node struct {
	fields []field
	elem   field
}

var (
	functionCall = node{fields: []field{{"name", str, nil}, {"arguments", text, nil}}}
	toolCall     = node{fields: []field{{"index", integer, nil}, {"id", str, nil}, {"type", str, nil}, {"function", object, &functionCall}}}
	toolCalls    = node{elem: field{"", object, &toolCall}}
	functionDef  = node{fields: []field{{"name", str, nil}, {"description", text, nil}, {"parameters", anyValue, nil}, {"strict", boolean, nil}}}
	tool         = node{fields: []field{{"type", str, nil}, {"function", object, &functionDef}}}
	tools        = node{elem: field{"", object, &tool}}
	jsonSchema   = node{fields: []field{{"name", str, nil}, {"description", text, nil}, {"schema", anyValue, nil}, {"strict", boolean, nil}}}
	respFormat   = node{fields: []field{{"type", str, nil}, {"json_schema", object, &jsonSchema}}}
	imageURL     = node{fields: []field{{"url", text, nil}, {"detail", str, nil}}}
	inputAudio   = node{fields: []field{{"data", text, nil}, {"format", str, nil}}}
	file         = node{fields: []field{{"file_data", text, nil}, {"file_id", str, nil}, {"filename", str, nil}}}
	contentPart  = node{fields: []field{{"type", str, nil}, {"text", text, nil}, {"image_url", object, &imageURL},
		{"input_audio", object, &inputAudio}, {"file", object, &file}}}
	functionName = node{fields: []field{{"name", str, nil}}}
	choiceObject = node{fields: []field{{"type", str, nil}, {"function", object, &functionName}}}
	message      = node{fields: []field{{"role", skip, nil}, {"content", contentShape, nil}, {"name", str, nil},
		{"tool_calls", array, &toolCalls}, {"tool_call_id", skip, nil}, {"refusal", text, nil}, {"annotations", anyValue, nil},
		{"reasoning_content", text, nil}}}
)

// Top-level members of each kind's request, other than ScanRequest's own (model, provider,
// fallbacks, stream, stream_options, messages, n, max_tokens, max_completion_tokens,
// dimensions, prompt, input, encoding_format), which it reads and types itself.
var (
	chatFields = []field{{"tools", array, &tools}, {"tool_choice", choiceShape, nil}, {"parallel_tool_calls", boolean, nil},
		{"response_format", object, &respFormat}, {"stop", stopShape, nil}, {"temperature", number, nil}, {"top_p", number, nil},
		{"presence_penalty", number, nil}, {"frequency_penalty", number, nil}, {"logit_bias", anyValue, nil},
		{"logprobs", boolean, nil}, {"top_logprobs", integer, nil}, {"seed", integer, nil}, {"user", str, nil},
		{"reasoning_effort", str, nil}}
	textFields = []field{{"suffix", text, nil}, {"temperature", number, nil}, {"top_p", number, nil}, {"logprobs", integer, nil},
		{"echo", boolean, nil}, {"stop", stopShape, nil}, {"presence_penalty", number, nil}, {"frequency_penalty", number, nil},
		{"best_of", integer, nil}, {"logit_bias", anyValue, nil}, {"seed", integer, nil}, {"user", str, nil}}
	embeddingFields = []field{{"user", str, nil}}
	kindFields      = [...][]field{Chat: chatFields, Text: textFields, Embedding: embeddingFields}
)

// lookup returns the field of fields named name, or an anyValue field.
func lookup(fields []field, name []byte) field {
	for _, f := range fields {
		if f.name == string(name) {
			return f
		}
	}
	return field{shape: anyValue}
}

// typed reads one value as f says it must be; a value of another type fails the scan.
func (s *scanner) typed(f field) {
	if f.shape != anyValue && s.peek() == 'n' {
		s.lit("null") // the decoder skips a null member
		return
	}
	switch f.shape {
	case str, text:
		s.wantString()
	case number:
		s.float()
	case integer:
		start := s.pos
		s.number()
		s.intLiteral(start)
	case boolean:
		if c := s.peek(); c != 't' && c != 'f' {
			s.fail()
			return
		}
		s.value()
	case object:
		s.typedObject(f.sub.fields)
	case array:
		s.typedArray(f.sub.elem)
	case stopShape:
		if s.peek() == '[' {
			s.typedArray(field{shape: text})
			return
		}
		s.wantString()
	case choiceShape:
		if s.peek() == '"' {
			s.wantString()
			return
		}
		s.typedObject(choiceObject.fields)
	case contentShape:
		if s.peek() == '[' {
			s.typedArray(field{shape: object, sub: &contentPart})
			return
		}
		s.wantString()
	default:
		s.value()
	}
}

// wantString reads a string; anything else fails.
func (s *scanner) wantString() {
	if s.peek() != '"' {
		s.fail()
		return
	}
	s.str()
}

// float reads a number that parses as a float64 (an overflow fails, as the decoder's).
func (s *scanner) float() {
	start := s.pos
	if c := s.peek(); c != '-' && (c < '0' || c > '9') {
		s.fail()
		return
	}
	s.number()
	if s.failed {
		return
	}
	// Only an exponent or an integer part of more than 308 digits can overflow a float64:
	// a plain literal of at most maxPlainFloat bytes parses, and skips strconv.
	lit := s.b[start:s.pos]
	if len(lit) <= maxPlainFloat && !hasExponent(lit) {
		return
	}
	if _, err := strconv.ParseFloat(unsafe.String(&lit[0], len(lit)), 64); err != nil {
		s.fail()
	}
}

// maxPlainFloat is the longest number literal without an exponent that float takes without
// parsing it: its integer part is below 1e300, far inside float64's range.
const maxPlainFloat = 300

// hasExponent reports whether the number literal lit has an exponent part.
func hasExponent(lit []byte) bool {
	for _, c := range lit {
		if c|0x20 == 'e' {
			return true
		}
	}
	return false
}

// intLiteral fails unless the number read from start is an integer literal of at most 18
// digits (the decoder's strconv.ParseInt; longer ones are left to it).
func (s *scanner) intLiteral(start int) {
	if s.failed {
		return
	}
	lit := s.b[start:s.pos]
	if lit[0] == '-' {
		lit = lit[1:]
	}
	if len(lit) == 0 || len(lit) > 18 {
		s.fail()
		return
	}
	for _, c := range lit {
		if c < '0' || c > '9' {
			s.fail()
			return
		}
	}
}

// typedObject reads an object whose known members are fields (an array element that is
// null declines: the decoder would take it as an empty object, whose rules differ).
func (s *scanner) typedObject(fields []field) {
	if s.peek() != '{' {
		s.fail()
		return
	}
	s.object(func(s *scanner, _ int, name []byte, escaped bool) {
		if escaped {
			s.fail()
			return
		}
		s.typed(lookup(fields, name))
	})
}

// typedArray reads an array of elements of elem's shape; a null element declines.
func (s *scanner) typedArray(elem field) {
	if s.peek() != '[' {
		s.fail()
		return
	}
	s.array(func(s *scanner, _ int) {
		if s.peek() == 'n' {
			s.fail()
			return
		}
		s.typed(elem)
	})
}

// input reads a prompt or an embeddings input as schemas.Input takes it: a string, or a
// non-empty array of strings, of integers, or of arrays of integers (one kind throughout).
func (s *scanner) input() {
	switch s.peek() {
	case '"':
		s.str()
		return
	case '[':
	default:
		s.fail()
		return
	}
	first := byte(0)
	n := 0
	s.array(func(s *scanner, _ int) {
		c := s.peek()
		if first == 0 {
			first = elemKind(c)
		}
		n++
		switch {
		case elemKind(c) != first:
			s.fail() // mixed kinds
		case c == '"':
			s.str()
		case c == '[':
			s.typedArray(field{shape: integer})
		case c == '-' || c >= '0' && c <= '9':
			start := s.pos
			s.number()
			s.intLiteral(start)
		default:
			s.fail()
		}
	})
	if n == 0 {
		s.fail()
	}
}

// elemKind classes an input element by its first byte: a string, an array, a number (0:
// anything else).
func elemKind(c byte) byte {
	switch {
	case c == '"', c == '[':
		return c
	case c == '-' || c >= '0' && c <= '9':
		return '0'
	}
	return 0
}
