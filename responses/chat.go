package responses

import (
	"strconv"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/opt"
)

// ToChat fills dst, a reset unified chat request, from r. history holds the items of the
// earlier turns (previous_response_id), which come before r's input. It returns a
// *ParamError for what has no translation.
func (r *Request) ToChat(dst *schemas.ChatRequest, history []Item) error {
	if r.refused != nil {
		return r.refused
	}
	if r.Model == "" && r.Provider == "" {
		return &ParamError{Param: "model", Code: CodeMissing, Message: "model is required"}
	}
	if r.InputText == nil && len(r.Input) == 0 && len(history) == 0 {
		return &ParamError{Param: "input", Code: CodeMissing, Message: "input is required: a string or a list of items"}
	}
	if r.MaxOutputTokens.Defined && r.MaxOutputTokens.V < 1 {
		return &ParamError{Param: "max_output_tokens", Code: CodeInvalid, Message: "max_output_tokens must be at least 1"}
	}
	dst.Model, dst.Provider, dst.Fallbacks = r.Model, r.Provider, r.Fallbacks
	if !r.Instructions.IsNull() {
		dst.Messages = append(dst.Messages, schemas.ChatMessage{Role: "system", Content: schemas.MessageContent{Text: r.Instructions}})
	}
	var c converter
	c.dst = dst
	if err := c.items(history, "previous_response_id"); err != nil {
		return err
	}
	if r.InputText != nil {
		dst.Messages = append(dst.Messages, schemas.ChatMessage{Role: "user", Content: schemas.MessageContent{Text: r.InputText}})
	} else if err := c.items(r.Input, "input"); err != nil {
		return err
	}
	if err := r.tools(dst); err != nil {
		return err
	}
	if err := r.toolChoice(dst); err != nil {
		return err
	}
	if err := r.format(dst); err != nil {
		return err
	}
	dst.ParallelToolCalls = r.ParallelToolCalls
	dst.MaxCompletionTokens = r.MaxOutputTokens
	dst.Temperature, dst.TopP = r.Temperature, r.TopP
	dst.User, dst.ReasoningEffort = r.User, r.Effort
	if r.Stream {
		// The stream's usage is part of response.completed, whatever the client asked.
		dst.Stream.V, dst.Stream.Defined = true, true
		dst.StreamOptions = &schemas.StreamOptions{IncludeUsage: opt.OBool(true)}
	}
	return nil
}

// converter turns input items into chat messages.
type converter struct {
	dst *schemas.ChatRequest
	// reasoning is the summary of a reasoning item, and blocks its provider's thinking
	// blocks, for the assistant message after it.
	reasoning schemas.Text
	blocks    schemas.Raw
}

func (c *converter) items(items []Item, param string) error {
	for i := range items {
		if err := c.item(&items[i], param, i); err != nil {
			return err
		}
	}
	return nil
}

func (c *converter) item(it *Item, param string, i int) error {
	at := func(member string) string { return param + "[" + strconv.Itoa(i) + "]" + member }
	if it.bad != "" {
		return &ParamError{Param: at("." + it.bad), Code: CodeUnsupported, Message: at("."+it.bad) + ": " + it.why}
	}
	switch it.Type {
	case "", "message":
		return c.message(it, at)
	case "function_call":
		if it.CallID == "" || it.Name == "" {
			return &ParamError{Param: at(".call_id"), Code: CodeMissing, Message: at(".call_id") + " and " + at(".name") + " are required in a function_call"}
		}
		m := c.assistant()
		m.ToolCalls = append(m.ToolCalls, schemas.ToolCall{ID: it.CallID, Type: "function",
			Function: schemas.FunctionCall{Name: it.Name, Arguments: it.Arguments}})
	case "function_call_output":
		if it.CallID == "" {
			return &ParamError{Param: at(".call_id"), Code: CodeMissing, Message: at(".call_id") + " is required: it names the function_call answered"}
		}
		m := schemas.ChatMessage{Role: "tool", ToolCallID: it.CallID, Content: schemas.MessageContent{Text: it.Output}}
		if it.Output == nil {
			text, err := textParts(it.Parts, at(".output"))
			if err != nil {
				return err
			}
			m.Content = text
		}
		c.dst.Messages = append(c.dst.Messages, m)
	case "reasoning":
		c.reasoning, c.blocks = joinTexts(it.Summary), thinkingBlocks(it.Encrypted)
	default:
		return &ParamError{Param: at(".type"), Code: CodeUnsupported,
			Message: at(".type") + ": item type " + strconv.Quote(it.Type) + " has no translation for providers without a native Responses API"}
	}
	return nil
}

// assistant returns the last message when it is the assistant's, else a new assistant
// message, carrying the pending reasoning.
func (c *converter) assistant() *schemas.ChatMessage {
	ms := c.dst.Messages
	if n := len(ms); n > 0 && ms[n-1].Role == "assistant" && c.reasoning == nil && c.blocks == nil {
		return &ms[n-1]
	}
	c.dst.Messages = append(ms, schemas.ChatMessage{Role: "assistant", ReasoningContent: c.reasoning})
	m := &c.dst.Messages[len(c.dst.Messages)-1]
	if c.blocks != nil {
		m.SetExtra(extraThinking, c.blocks)
	}
	c.reasoning, c.blocks = nil, nil
	return m
}

func (c *converter) message(it *Item, at func(string) string) error {
	role := it.Role
	switch role {
	case "user", "system", "assistant":
	case "developer":
		role = "system"
	default:
		return &ParamError{Param: at(".role"), Code: CodeInvalid, Message: at(".role") + ": expected user, assistant, system or developer"}
	}
	var content schemas.MessageContent
	if it.Content != nil {
		content.Text = it.Content
	} else {
		var err error
		if content, err = parts(it.Parts, at(".content")); err != nil {
			return err
		}
	}
	if role == "assistant" {
		m := c.assistant()
		if m.Content.IsDefined() || len(m.ToolCalls) > 0 {
			c.dst.Messages = append(c.dst.Messages, schemas.ChatMessage{Role: "assistant"})
			m = &c.dst.Messages[len(c.dst.Messages)-1]
		}
		m.Content = content
		return nil
	}
	c.dst.Messages = append(c.dst.Messages, schemas.ChatMessage{Role: role, Content: content})
	return nil
}

// parts converts a message's content parts. A single text part becomes string content,
// which every provider takes.
func parts(ps []Part, param string) (schemas.MessageContent, error) {
	if len(ps) == 1 && isText(ps[0].Type) {
		return schemas.MessageContent{Text: ps[0].Text}, nil
	}
	out := make([]schemas.ContentPart, 0, len(ps))
	for j := range ps {
		p := &ps[j]
		at := param + "[" + strconv.Itoa(j) + "]"
		switch {
		case isText(p.Type):
			out = append(out, schemas.ContentPart{Type: "text", Text: p.Text})
		case p.Type == "input_image":
			if p.FileID != "" {
				return schemas.MessageContent{}, &ParamError{Param: at + ".file_id", Code: CodeUnsupported,
					Message: at + ".file_id: an image by file id has no translation: send image_url (a URL or a data URL)"}
			}
			if p.ImageURL.IsNull() {
				return schemas.MessageContent{}, &ParamError{Param: at + ".image_url", Code: CodeMissing, Message: at + ".image_url is required"}
			}
			out = append(out, schemas.ContentPart{Type: "image_url", ImageURL: &schemas.ImageURL{URL: p.ImageURL, Detail: p.Detail}})
		case p.Type == "input_file":
			out = append(out, schemas.ContentPart{Type: "file", File: &schemas.File{FileData: p.FileData, FileID: p.FileID, Filename: p.Filename}})
		default:
			return schemas.MessageContent{}, &ParamError{Param: at + ".type", Code: CodeUnsupported,
				Message: at + ".type: content part " + strconv.Quote(p.Type) + " has no translation"}
		}
	}
	return schemas.MessageContent{Parts: out}, nil
}

// textParts converts a function_call_output's parts, which must be text.
func textParts(ps []Part, param string) (schemas.MessageContent, error) {
	for j := range ps {
		if !isText(ps[j].Type) {
			return schemas.MessageContent{}, &ParamError{Param: param + "[" + strconv.Itoa(j) + "].type", Code: CodeUnsupported,
				Message: param + "[" + strconv.Itoa(j) + "].type: only text parts translate in a function_call_output"}
		}
	}
	return parts(ps, param)
}

func isText(typ string) bool {
	return typ == "input_text" || typ == "output_text" || typ == "text" || typ == "refusal"
}

// thinkingBlocks returns the thinking blocks that an encrypted_content made by the gateway
// holds (a JSON array in a string), or nil: OpenAI's own encrypted reasoning means nothing to
// another provider.
func thinkingBlocks(enc schemas.Text) schemas.Raw {
	if len(enc) < 4 || enc[1] != '[' {
		return nil
	}
	s := enc.String()
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil
	}
	return schemas.Raw(s)
}

// joinTexts joins JSON strings into one, separated by a blank line; nil for none.
func joinTexts(ts []schemas.Text) schemas.Text {
	switch len(ts) {
	case 0:
		return nil
	case 1:
		return ts[0]
	}
	out := schemas.Text{'"'}
	for i, t := range ts {
		if t.IsNull() {
			continue
		}
		if i > 0 {
			out = append(out, `\n\n`...)
		}
		out = append(out, t[1:len(t)-1]...)
	}
	return append(out, '"')
}
