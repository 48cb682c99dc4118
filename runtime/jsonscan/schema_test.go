package jsonscan

import (
	"reflect"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
)

// own are the members ScanRequest reads and types itself.
var own = map[string]bool{"model": true, "provider": true, "fallbacks": true, "stream": true, "stream_options": true,
	"messages": true, "n": true, "max_tokens": true, "max_completion_tokens": true, "dimensions": true, "prompt": true,
	"input": true, "encoding_format": true}

// TestSchemaTables: every member of runtime/schemas' request structs is in its table (or
// read by ScanRequest itself), so that a new member cannot pass through untyped.
func TestSchemaTables(t *testing.T) {
	for _, c := range []struct {
		typ    any
		fields []field
	}{
		{schemas.ChatRequest{}, chatFields}, {schemas.TextRequest{}, textFields}, {schemas.EmbeddingRequest{}, embeddingFields},
		{schemas.ChatMessage{}, message.fields}, {schemas.ContentPart{}, contentPart.fields}, {schemas.Tool{}, tool.fields},
		{schemas.FunctionDef{}, functionDef.fields}, {schemas.ToolCall{}, toolCall.fields}, {schemas.FunctionCall{}, functionCall.fields},
		{schemas.ResponseFormat{}, respFormat.fields}, {schemas.JSONSchema{}, jsonSchema.fields}, {schemas.ImageURL{}, imageURL.fields},
		{schemas.InputAudio{}, inputAudio.fields}, {schemas.File{}, file.fields}, {schemas.ToolChoiceObject{}, choiceObject.fields},
	} {
		rt := reflect.TypeOf(c.typ)
		for i := range rt.NumField() {
			tag, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			if tag == "" || tag == "-" {
				continue
			}
			if rt == reflect.TypeOf(schemas.ChatRequest{}) || rt == reflect.TypeOf(schemas.TextRequest{}) || rt == reflect.TypeOf(schemas.EmbeddingRequest{}) {
				if own[tag] {
					continue
				}
			}
			if f := lookup(c.fields, []byte(tag)); f.name != tag {
				t.Errorf("%s.%s (%q) is not in jsonscan's table", rt.Name(), rt.Field(i).Name, tag)
			}
		}
	}
}

func TestScanRequestTypes(t *testing.T) {
	const msgs = `"messages":[{"role":"user","content":"hi"}]`
	for _, c := range []struct {
		member string
		ok     bool
	}{
		{`"temperature":0.5`, true}, {`"temperature":"hot"`, false}, {`"temperature":1e999`, false}, {`"temperature":null`, true},
		{`"top_p":true`, false}, {`"seed":7`, true}, {`"seed":"7"`, false}, {`"stop":"x"`, true}, {`"stop":["a","b"]`, true},
		{`"stop":5`, false}, {`"stop":[1]`, false}, {`"tools":[{"type":"function","function":{"name":"f","parameters":{"x":[1]}}}]`, true},
		{`"tools":{}`, false}, {`"tool_choice":"auto"`, true}, {`"tool_choice":{"type":"function","function":{"name":"f"}}`, true},
		{`"tool_choice":5`, false}, {`"response_format":{"type":"json_schema","json_schema":{"name":"n","schema":{}}}`, true},
		{`"response_format":"json"`, false}, {`"parallel_tool_calls":"no"`, false}, {`"user":5`, false}, {`"user":"u"`, true},
		{`"logit_bias":{"1":2}`, true}, {`"metadata":{"a":[1,{"b":null}]}`, true}, {`"top_logprobs":1.5`, false},
		// float's short cut (no exponent, at most maxPlainFloat bytes) and its strconv path.
		{`"temperature":-0.000001`, true}, {`"temperature":1E2`, true}, {`"temperature":1E400`, false},
		{`"temperature":1e-400`, true}, {`"temperature":` + strings.Repeat("9", maxPlainFloat), true},
		{`"temperature":` + strings.Repeat("9", 400), false}, {`"temperature":0.` + strings.Repeat("1", 400), true},
	} {
		body := `{"model":"m",` + msgs + `,` + c.member + `}`
		var r Request
		if got := ScanRequest([]byte(body), Chat, &r); got != c.ok {
			t.Errorf("%s: ScanRequest = %v, want %v", c.member, got, c.ok)
		}
	}
	for _, c := range []struct {
		msg string
		ok  bool
	}{
		{`{"role":"user","content":[{"type":"text","text":"x"},{"type":"image_url","image_url":{"url":"data:x"}}]}`, true},
		{`{"role":"user","content":[{"type":"text","text":5}]}`, false}, {`{"role":"user","content":{"a":1}}`, false},
		{`{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}`, true},
		{`{"role":"assistant","tool_calls":{}}`, false}, {`{"role":"user","content":"x","name":5}`, false},
		{`{"role":"user","content":[null]}`, false}, {`{"role":1}`, false}, {`{"ro\u006ce":"user"}`, false},
	} {
		body := `{"model":"m","messages":[` + c.msg + `]}`
		var r Request
		if got := ScanRequest([]byte(body), Chat, &r); got != c.ok {
			t.Errorf("%s: ScanRequest = %v, want %v", c.msg, got, c.ok)
		}
	}
	for _, c := range []struct {
		input string
		ok    bool
	}{
		{`"a"`, true}, {`["a","b"]`, true}, {`[1,2]`, true}, {`[[1],[2,3]]`, true}, {`[]`, false}, {`["a",1]`, false},
		{`[1.5]`, false}, {`{}`, false}, {`[null]`, false}, {`""`, false},
	} {
		var r Request
		if got := ScanRequest([]byte(`{"model":"m","input":`+c.input+`}`), Embedding, &r); got != c.ok {
			t.Errorf("input %s: ScanRequest = %v, want %v", c.input, got, c.ok)
		}
	}
}
