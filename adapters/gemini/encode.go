package gemini

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/bifrost-gw/bifrost/adapters/convert"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

// EncodeChat writes a GenerateContentRequest (https://ai.google.dev/api/generate-content)
// for r. The model goes in the URL, and streaming is chosen by the URL too, so neither is in
// the body.
func (Codec) EncodeChat(w *jwriter.Writer, r *schemas.ChatRequest) error {
	var sc scratch
	defer sc.release()
	w.RawString(`{"contents":[`)
	msgs := r.Messages
	n, system := 0, 0
	for i := 0; i < len(msgs); i++ {
		m := &msgs[i]
		if m.Role == "system" || m.Role == "developer" {
			system++
			continue
		}
		if n > 0 {
			w.RawByte(',')
		}
		n++
		var err error
		switch m.Role {
		case "user":
			w.RawString(`{"role":"user","parts":[`)
			err = writeParts(w, &sc, m.Content, i)
		case "assistant":
			w.RawString(`{"role":"model","parts":[`)
			err = writeModelParts(w, &sc, m, i)
		case "tool":
			w.RawString(`{"role":"user","parts":[`)
			j := i
			for ; j < len(msgs) && msgs[j].Role == "tool"; j++ {
				if j > i {
					w.RawByte(',')
				}
				if err = writeFunctionResponse(w, &sc, msgs, i, j); err != nil {
					break
				}
			}
			i = j - 1
		default:
			err = fmt.Errorf("messages[%d]: role %q is not supported by gemini", i, m.Role)
		}
		if err != nil {
			return err
		}
		w.RawString(`]}`)
	}
	w.RawByte(']')
	if err := writeTools(w, r); err != nil {
		return err
	}
	if system > 0 {
		if err := writeSystem(w, &sc, msgs); err != nil {
			return err
		}
	}
	if err := writeGenerationConfig(w, r); err != nil {
		return err
	}
	w.RawByte('}')
	return nil
}

// writeText writes a text part; absent or null text is written as "".
func writeText(w *jwriter.Writer, t schemas.Text) {
	w.RawString(`{"text":`)
	if t.IsNull() {
		w.RawString(`""`)
	} else {
		w.Raw(t, nil)
	}
	w.RawByte('}')
}

// writeParts writes the parts of a user message (text, images, audio, files).
func writeParts(w *jwriter.Writer, sc *scratch, c schemas.MessageContent, msg int) error {
	if c.Parts == nil {
		writeText(w, c.Text)
		return nil
	}
	for k := range c.Parts {
		if k > 0 {
			w.RawByte(',')
		}
		p := &c.Parts[k]
		var err error
		switch p.Type {
		case "text":
			writeText(w, p.Text)
		case "image_url":
			if p.ImageURL == nil {
				err = errors.New("image_url is missing")
			} else {
				err = writeURL(w, sc, p.ImageURL.URL)
			}
		case "input_audio":
			if p.InputAudio == nil {
				err = errors.New("input_audio is missing")
			} else {
				w.RawString(`{"inlineData":{"mimeType":"audio/`)
				w.RawString(audioFormat(p.InputAudio.Format))
				w.RawString(`","data":`)
				w.Raw(p.InputAudio.Data, nil)
				w.RawString(`}}`)
			}
		case "file":
			switch {
			case p.File == nil:
				err = errors.New("file is missing")
			case p.File.FileData.IsDefined():
				err = writeURL(w, sc, p.File.FileData)
			case p.File.FileID != "":
				w.RawString(`{"fileData":{"fileUri":`)
				w.String(p.File.FileID)
				w.RawString(`}}`)
			default:
				err = errors.New("file needs file_data or file_id")
			}
		default:
			err = fmt.Errorf("content part type %q is not supported by gemini", p.Type)
		}
		if err != nil {
			return fmt.Errorf("messages[%d].content[%d]: %w", msg, k, err)
		}
	}
	return nil
}

// audioFormat gives the MIME subtype of an input_audio format (wav, mp3).
func audioFormat(f string) string {
	switch f {
	case "mp3", "mpeg":
		return "mp3"
	case "wav":
		return "wav"
	}
	return "wav"
}

// writeURL writes an image or file given by URL: a base64 data URL becomes inlineData, any
// other URL fileData (https://ai.google.dev/gemini-api/docs/file-input-methods: Files API
// URIs, public HTTP URLs, YouTube), with a MIME type guessed from the file extension.
func writeURL(w *jwriter.Writer, sc *scratch, url schemas.Text) error {
	u, ok := sc.inner(url)
	if !ok || len(u) == 0 {
		return errors.New("the URL is empty or malformed")
	}
	if bytes.HasPrefix(u, []byte("data:")) {
		i := bytes.Index(u, []byte(";base64,"))
		if i < 0 {
			return errors.New("a data URL must be base64 (data:<mime>;base64,<data>)")
		}
		w.RawString(`{"inlineData":{"mimeType":`)
		w.String(convert.View(u[len("data:"):i]))
		w.RawString(`,"data":`)
		w.String(convert.View(u[i+len(";base64,"):]))
		w.RawString(`}}`)
		return nil
	}
	w.RawString(`{"fileData":{`)
	if mt := mimeByExt(u); mt != "" {
		w.RawString(`"mimeType":"`)
		w.RawString(mt)
		w.RawString(`",`)
	}
	w.RawString(`"fileUri":`)
	w.String(convert.View(u))
	w.RawString(`}}`)
	return nil
}

// mimeByExt guesses a MIME type from a URL's file extension; "" when unknown.
func mimeByExt(u []byte) string {
	if i := bytes.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	dot := bytes.LastIndexByte(u, '.')
	if dot < 0 || bytes.IndexByte(u[dot:], '/') >= 0 {
		return ""
	}
	var ext [8]byte
	e := u[dot+1:]
	if len(e) > len(ext) {
		return ""
	}
	for i, c := range e {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		ext[i] = c
	}
	switch string(ext[:len(e)]) {
	case "png":
		return "image/png"
	case "jpg", "jpeg":
		return "image/jpeg"
	case "webp":
		return "image/webp"
	case "gif":
		return "image/gif"
	case "heic":
		return "image/heic"
	case "heif":
		return "image/heif"
	case "pdf":
		return "application/pdf"
	case "mp3":
		return "audio/mp3"
	case "wav":
		return "audio/wav"
	case "mp4":
		return "video/mp4"
	}
	return ""
}

// writeModelParts writes an assistant message: its text, then a functionCall part per tool
// call, with the thoughtSignature its id carries (see signature.go). Reasoning text is not
// sent back.
func writeModelParts(w *jwriter.Writer, sc *scratch, m *schemas.ChatMessage, msg int) error {
	n := 0
	if m.Content.Parts != nil {
		for k := range m.Content.Parts {
			p := &m.Content.Parts[k]
			if p.Type != "text" {
				return fmt.Errorf("messages[%d].content[%d]: an assistant message takes text parts only", msg, k)
			}
			if n > 0 {
				w.RawByte(',')
			}
			n++
			writeText(w, p.Text)
		}
	} else if !m.Content.Text.IsNull() && len(m.Content.Text) > 2 {
		writeText(w, m.Content.Text)
		n++
	}
	for k := range m.ToolCalls {
		tc := &m.ToolCalls[k]
		if n > 0 {
			w.RawByte(',')
		}
		n++
		w.RawString(`{"functionCall":{"name":`)
		w.String(tc.Function.Name)
		w.RawString(`,"args":`)
		args, ok := sc.inner(tc.Function.Arguments)
		args = bytes.TrimSpace(args)
		switch {
		case !ok:
			return fmt.Errorf("messages[%d].tool_calls[%d].function.arguments is not a valid string", msg, k)
		case len(args) == 0:
			w.RawString(`{}`)
		case args[0] != '{' || !json.Valid(args):
			return fmt.Errorf("messages[%d].tool_calls[%d].function.arguments must be a JSON object for gemini", msg, k)
		default:
			w.Raw(args, nil)
		}
		w.RawByte('}')
		sig := signatureOf(tc.ID)
		if sig == "" {
			sig = extraContentSignature(tc)
		}
		if sig != "" {
			w.RawString(`,"thoughtSignature":`)
			if !writeSignature(w, sig) {
				return fmt.Errorf("messages[%d].tool_calls[%d]: the thought signature in the id is not base64", msg, k)
			}
		}
		w.RawByte('}')
	}
	if n == 0 {
		writeText(w, nil)
	}
	return nil
}

// writeFunctionResponse writes tool message msgs[j] as a functionResponse part. Its name is
// that of the tool call with the message's tool_call_id in the nearest assistant message
// before the tool messages that start at first. A result that is a JSON object is the
// response as it is; any other result is {"output": "<the text>"}, the key Google's
// FunctionResponse documentation names for a function's output.
func writeFunctionResponse(w *jwriter.Writer, sc *scratch, msgs []schemas.ChatMessage, first, j int) error {
	m := &msgs[j]
	name := toolName(msgs[:first], m.ToolCallID)
	if name == "" {
		name = m.Name
	}
	if name == "" {
		return fmt.Errorf("messages[%d]: tool_call_id %q matches no tool call of an earlier assistant message, and the message has no name", j, m.ToolCallID)
	}
	text := m.Content.Text
	if m.Content.Parts != nil {
		text = nil
		for k := range m.Content.Parts {
			if m.Content.Parts[k].Type == "text" {
				text = m.Content.Parts[k].Text
				break
			}
		}
	}
	w.RawString(`{"functionResponse":{"name":`)
	w.String(name)
	w.RawString(`,"response":`)
	if in, ok := sc.inner(text); ok {
		if in = bytes.TrimSpace(in); len(in) > 0 && in[0] == '{' && json.Valid(in) {
			w.Raw(in, nil)
			w.RawString(`}}`)
			return nil
		}
	}
	w.RawString(`{"output":`)
	if text.IsNull() {
		w.RawString(`""`)
	} else {
		w.Raw(text, nil)
	}
	w.RawString(`}}}`)
	return nil
}

// toolName finds the function name of tool call id in the assistant messages of msgs, the
// nearest first.
func toolName(msgs []schemas.ChatMessage, id string) string {
	if id == "" {
		return ""
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		for k := range msgs[i].ToolCalls {
			if msgs[i].ToolCalls[k].ID == id {
				return msgs[i].ToolCalls[k].Function.Name
			}
		}
	}
	return ""
}

// writeSystem writes the system and developer messages as systemInstruction, one text part
// each (or one per text part).
func writeSystem(w *jwriter.Writer, sc *scratch, msgs []schemas.ChatMessage) error {
	w.RawString(`,"systemInstruction":{"parts":[`)
	n := 0
	for i := range msgs {
		m := &msgs[i]
		if m.Role != "system" && m.Role != "developer" {
			continue
		}
		if m.Content.Parts == nil {
			if n > 0 {
				w.RawByte(',')
			}
			n++
			writeText(w, m.Content.Text)
			continue
		}
		for k := range m.Content.Parts {
			if m.Content.Parts[k].Type != "text" {
				return fmt.Errorf("messages[%d].content[%d]: a system message takes text parts only", i, k)
			}
			if n > 0 {
				w.RawByte(',')
			}
			n++
			writeText(w, m.Content.Parts[k].Text)
		}
	}
	w.RawString(`]}`)
	return nil
}

// writeTools writes tools as functionDeclarations (their JSON Schema as
// parametersJsonSchema) and tool_choice as toolConfig.functionCallingConfig: "none" is NONE,
// "auto" AUTO, "required" ANY, and a named function ANY limited to it
// (https://ai.google.dev/gemini-api/docs/function-calling#function_calling_modes).
func writeTools(w *jwriter.Writer, r *schemas.ChatRequest) error {
	if len(r.Tools) > 0 {
		w.RawString(`,"tools":[{"functionDeclarations":[`)
		for i := range r.Tools {
			t := &r.Tools[i]
			if t.Type != "function" {
				return fmt.Errorf("tools[%d]: type %q is not supported by gemini (function only)", i, t.Type)
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
			if t.Function.Parameters.IsDefined() && !t.Function.Parameters.IsNull() {
				w.RawString(`,"parametersJsonSchema":`)
				w.Raw(t.Function.Parameters, nil)
			}
			w.RawByte('}')
		}
		w.RawString(`]}]`)
	}
	tc := r.ToolChoice
	if !tc.IsDefined() {
		return nil
	}
	mode, only := "", ""
	switch {
	case tc.Object != nil:
		mode, only = "ANY", tc.Object.Function.Name
		if only == "" {
			return errors.New("tool_choice: a function name is required")
		}
	case tc.Mode == "none":
		mode = "NONE"
	case tc.Mode == "auto":
		mode = "AUTO"
	case tc.Mode == "required":
		mode = "ANY"
	default:
		return fmt.Errorf("tool_choice %q is not supported by gemini (none, auto, required or a function)", tc.Mode)
	}
	w.RawString(`,"toolConfig":{"functionCallingConfig":{"mode":"`)
	w.RawString(mode)
	w.RawByte('"')
	if only != "" {
		w.RawString(`,"allowedFunctionNames":[`)
		w.String(only)
		w.RawByte(']')
	}
	w.RawString(`}}`)
	return nil
}
