package responses

import (
	"strconv"

	"github.com/bifrost-gw/bifrost/adapters/convert"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
)

// tools converts the function tools; OpenAI's built-in tools (web_search, file_search,
// code_interpreter, computer use, image generation, mcp, local_shell, custom tools) have
// no equivalent in the unified schema and are refused.
func (r *Request) tools(dst *schemas.ChatRequest) error {
	for i := range r.Tools {
		t := &r.Tools[i]
		if t.Type != "function" {
			p := "tools[" + strconv.Itoa(i) + "].type"
			return &ParamError{Param: p, Code: CodeUnsupported, Message: p + ": the built-in tool " + strconv.Quote(t.Type) +
				" has no equivalent on providers without a native Responses API: only function tools translate"}
		}
		if t.Name == "" {
			p := "tools[" + strconv.Itoa(i) + "].name"
			return &ParamError{Param: p, Code: CodeMissing, Message: p + " is required"}
		}
		dst.Tools = append(dst.Tools, schemas.Tool{Type: "function", Function: schemas.FunctionDef{
			Name: t.Name, Description: t.Description, Parameters: t.Parameters, Strict: t.Strict}})
	}
	return nil
}

// toolChoice converts tool_choice: "auto", "none", "required", or {"type":"function","name"}.
func (r *Request) toolChoice(dst *schemas.ChatRequest) error {
	raw := r.ToolChoice
	if raw == nil || raw.IsNull() {
		return nil
	}
	l := jlexer.Lexer{Data: raw}
	if l.CurrentToken() == jlexer.TokenString {
		switch mode := l.UnsafeString(); mode {
		case "auto", "none", "required":
			dst.ToolChoice.Mode = mode
			return nil
		}
		return &ParamError{Param: "tool_choice", Code: CodeInvalid, Message: "tool_choice: expected auto, none, required or a function"}
	}
	var typ, name string
	for key := range convert.Fields(&l) {
		switch key {
		case "type":
			typ = l.UnsafeString()
		case "name":
			name = l.UnsafeString()
		default:
			l.SkipRecursive()
		}
	}
	if typ != "function" || name == "" {
		return &ParamError{Param: "tool_choice.type", Code: CodeUnsupported,
			Message: "tool_choice.type: only a function (" + `{"type":"function","name":...}` + ") translates, not " + strconv.Quote(typ)}
	}
	dst.ToolChoice.Object = &schemas.ToolChoiceObject{Type: "function", Function: schemas.FunctionName{Name: name}}
	return nil
}

// format converts text.format to response_format.
func (r *Request) format(dst *schemas.ChatRequest) error {
	f := &r.Format
	switch f.Type {
	case "", "text":
	case "json_object":
		dst.ResponseFormat = &schemas.ResponseFormat{Type: "json_object"}
	case "json_schema":
		if f.Schema == nil {
			return &ParamError{Param: "text.format.schema", Code: CodeMissing, Message: "text.format.schema is required"}
		}
		name := f.Name
		if name == "" {
			name = "response"
		}
		dst.ResponseFormat = &schemas.ResponseFormat{Type: "json_schema", JSONSchema: &schemas.JSONSchema{
			Name: name, Description: f.Description, Schema: f.Schema, Strict: f.Strict}}
	default:
		return &ParamError{Param: "text.format.type", Code: CodeInvalid, Message: "text.format.type: expected text, json_object or json_schema"}
	}
	return nil
}
