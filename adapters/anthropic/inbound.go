package anthropic

import (
	"bytes"
	"errors"
	"strconv"

	"github.com/bifrost-gw/bifrost/adapters/convert"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/opt"
)

// Inbound turns a native Anthropic Messages request (the body of the gateway's
// POST /anthropic/v1/messages) into the unified chat request, for any provider. It keeps the
// decoded request and the scratch memory the conversion needs, so that a pooled Inbound
// converts a request without allocating once its buffers have grown. One Inbound serves one
// request at a time: Reset it before the next.
//
// What the unified request holds borrows from the body and from the Inbound: both must stay
// unchanged until the request is done. README.md ("Drop-in endpoint") gives the mapping.
type Inbound struct {
	// Req is the decoded request.
	Req MessagesRequest

	parts  []schemas.ContentPart // backing array of the messages' content parts
	calls  []schemas.ToolCall    // backing array of the assistant messages' tool calls
	tools  []schemas.Tool
	buf    []byte // encoded values the conversion makes (tool arguments, data URLs, ...)
	blocks Content
	choice schemas.ToolChoiceObject
	opts   schemas.StreamOptions
	// Decoding fills these through Req's pointers instead of allocating new ones; a zero
	// value (an empty type) reads as absent.
	meta  Metadata
	tc    ToolChoice
	think ThinkingConfig
}

// maxKept is the largest scratch buffer an Inbound keeps across Reset.
const maxKept = 1 << 20

// Reset empties in for the next request, keeping its buffers.
func (in *Inbound) Reset() {
	msgs := in.Req.Messages[:cap(in.Req.Messages)]
	clear(msgs)
	tools := in.Req.Tools[:cap(in.Req.Tools)]
	clear(tools)
	stops := in.Req.StopSequences[:cap(in.Req.StopSequences)]
	clear(stops)
	in.meta, in.tc, in.think = Metadata{}, ToolChoice{}, ThinkingConfig{}
	in.Req = MessagesRequest{Messages: msgs[:0], Tools: tools[:0], StopSequences: stops[:0],
		Metadata: &in.meta, ToolChoice: &in.tc, Thinking: &in.think}
	clear(in.parts[:cap(in.parts)])
	in.parts = in.parts[:0]
	clear(in.calls[:cap(in.calls)])
	in.calls = in.calls[:0]
	clear(in.tools[:cap(in.tools)])
	in.tools = in.tools[:0]
	if cap(in.buf) > maxKept {
		in.buf = nil
	}
	in.buf = in.buf[:0]
	clear(in.blocks.Blocks[:cap(in.blocks.Blocks)])
	in.blocks = Content{Blocks: in.blocks.Blocks[:0]}
	in.choice = schemas.ToolChoiceObject{}
	in.opts = schemas.StreamOptions{}
}

// Decode reads a Messages request body into in.Req, borrowing from body.
func (in *Inbound) Decode(body []byte) error {
	l := jlexer.Lexer{Data: body}
	in.Req.UnmarshalEasyJSON(&l)
	l.Consumed()
	return l.Error()
}

// Gateway members a native request may carry besides Anthropic's, as on /v1.
const (
	extraProvider  = "provider"
	extraFallbacks = "fallbacks"
)

// Route returns the gateway members of the request: the provider member, and the fallbacks
// list kept as it was sent (nil when absent).
func (in *Inbound) Route() (provider string, fallbacks schemas.Raw) {
	if v := extra(&in.Req.Extras, extraProvider); v != nil {
		provider = unquote(v)
	}
	return provider, extra(&in.Req.Extras, extraFallbacks)
}

// ToChat writes the request in its unified form into out, which must be empty (Reset).
//
// native says that the request goes to Anthropic (the caller routed it there by name):
// members only Anthropic understands are then kept for its encoder (cache_control on blocks
// and tools, the exact thinking budget, thinking blocks of earlier turns). Without it they
// are dropped, so that any provider accepts the request.
func (in *Inbound) ToChat(out *schemas.ChatRequest, native bool) error {
	if in.Req.MaxTokens < 1 && in.Req.Model != "" {
		return errors.New("max_tokens: Field required, at least 1")
	}
	return in.convert(out, native)
}

// ToCountTokens is ToChat for a count_tokens request, whose body is a Messages request
// without max_tokens (https://docs.anthropic.com/en/api/messages-count-tokens): the unified
// request it writes has the system prompt, messages, tools, tool choice and thinking, and
// none of the members that only shape an answer (max_tokens, sampling, stop sequences,
// stream, metadata), which token-counting endpoints do not take.
func (in *Inbound) ToCountTokens(out *schemas.ChatRequest, native bool) error {
	if err := in.convert(out, native); err != nil {
		return err
	}
	// Only what is counted: members that shape the answer do not reach a counting endpoint.
	out.MaxTokens, out.Temperature, out.TopP = opt.Int{}, opt.Float64{}, opt.Float64{}
	out.Stop, out.Stream, out.StreamOptions, out.User = schemas.Stop{}, opt.Bool{}, nil, ""
	return nil
}

// convert is ToChat without the check of max_tokens.
func (in *Inbound) convert(out *schemas.ChatRequest, native bool) error {
	r := &in.Req
	if r.Model == "" {
		return errors.New("model: Field required")
	}
	if len(r.Messages) == 0 {
		return errors.New("messages: at least one message is required")
	}
	out.Model = r.Model
	if r.MaxTokens > 0 {
		out.MaxTokens = opt.OInt(r.MaxTokens)
	}
	provider, fallbacks := in.Route()
	out.Provider = provider
	if fallbacks != nil && !fallbacks.IsNull() {
		l := jlexer.Lexer{Data: fallbacks}
		out.Fallbacks.UnmarshalEasyJSON(&l)
		if l.Error() != nil {
			return errors.New("fallbacks: must be a list of provider/model strings")
		}
	}
	if len(r.System.Blocks) > 0 || !r.System.Text.IsNull() && string(r.System.Text) != `""` {
		if err := in.system(out, native); err != nil {
			return err
		}
	}
	for i := range r.Messages {
		if err := in.message(out, &r.Messages[i], native); err != nil {
			return errors.New("messages." + strconv.Itoa(i) + ": " + err.Error())
		}
	}
	if m := r.Metadata; m != nil && !m.UserID.IsNull() {
		out.User = unquote(schemas.Raw(m.UserID))
	}
	if len(r.StopSequences) > 0 {
		out.Stop = schemas.Stop{Values: r.StopSequences, List: true}
	}
	out.Temperature = r.Temperature
	out.TopP = r.TopP
	if r.TopK.IsDefined() {
		start := len(in.buf)
		in.buf = strconv.AppendInt(in.buf, int64(r.TopK.V), 10)
		out.SetExtra(extraTopK, in.buf[start:len(in.buf):len(in.buf)])
	}
	if r.Stream.V {
		out.Stream = opt.OBool(true)
		// Usage is Anthropic's to send in every stream; OpenAI-shaped providers send it only
		// when asked.
		in.opts.IncludeUsage = opt.OBool(true)
		out.StreamOptions = &in.opts
	}
	if err := in.toolsTo(out, native); err != nil {
		return err
	}
	if native {
		in.keepMembers(out)
	}
	return in.thinking(out, native)
}

// system writes the system prompt as the first message: a string stays a string, text
// blocks become text parts.
func (in *Inbound) system(out *schemas.ChatRequest, native bool) error {
	s := &in.Req.System
	m := schemas.ChatMessage{Role: "system"}
	if s.Blocks == nil {
		m.Content.Text = s.Text
	} else {
		start := len(in.parts)
		for i := range s.Blocks {
			b := &s.Blocks[i]
			if b.Type != "text" {
				return errors.New("system." + strconv.Itoa(i) + ": only text blocks are allowed, not " + strconv.Quote(b.Type))
			}
			in.parts = append(in.parts, textPart(b, native))
		}
		m.Content.Parts = in.parts[start:len(in.parts):len(in.parts)]
	}
	out.Messages = append(out.Messages, m)
	return nil
}

func textPart(b *ContentBlock, native bool) schemas.ContentPart {
	p := schemas.ContentPart{Type: "text", Text: b.Text}
	if p.Text.IsNull() {
		p.Text = convert.ViewBytes(`""`)
	}
	if native && b.CacheControl != nil {
		p.SetExtra(extraCacheControl, b.CacheControl)
	}
	return p
}

// message appends one Anthropic message: a user turn becomes its tool results (one role
// tool message each, first, as OpenAI wants them right after the assistant's tool calls)
// and then a user message with the other blocks; an assistant turn becomes one assistant
// message with its text and tool calls.
func (in *Inbound) message(out *schemas.ChatRequest, m *MessageParam, native bool) error {
	switch m.Role {
	case "user":
		if m.Content.Blocks == nil {
			out.Messages = append(out.Messages, schemas.ChatMessage{Role: "user", Content: schemas.MessageContent{Text: orEmpty(m.Content.Text)}})
			return nil
		}
		// Tool results first, each converted whole, so that the other blocks' parts stay
		// contiguous in in.parts.
		others := 0
		for i := range m.Content.Blocks {
			b := &m.Content.Blocks[i]
			if b.Type != "tool_result" {
				others++
				continue
			}
			tm, err := in.toolResult(b, native)
			if err != nil {
				return errors.New("content." + strconv.Itoa(i) + ": " + err.Error())
			}
			out.Messages = append(out.Messages, tm)
		}
		if others == 0 && len(m.Content.Blocks) > 0 {
			return nil
		}
		start := len(in.parts)
		for i := range m.Content.Blocks {
			b := &m.Content.Blocks[i]
			if b.Type == "tool_result" {
				continue
			}
			p, err := in.part(b, native)
			if err != nil {
				return errors.New("content." + strconv.Itoa(i) + ": " + err.Error())
			}
			in.parts = append(in.parts, p)
		}
		out.Messages = append(out.Messages, schemas.ChatMessage{Role: "user",
			Content: schemas.MessageContent{Parts: in.parts[start:len(in.parts):len(in.parts)]}})
		return nil
	case "assistant":
		return in.assistant(out, m, native)
	}
	return errors.New("role: must be user or assistant, not " + strconv.Quote(m.Role))
}

// part converts a user content block other than tool_result.
func (in *Inbound) part(b *ContentBlock, native bool) (schemas.ContentPart, error) {
	switch b.Type {
	case "text":
		return textPart(b, native), nil
	case "image":
		if native && b.Source != nil && b.Source.Type == "file" {
			return rawBlock(b)
		}
		url, err := in.sourceURL(b.Source, "")
		if err != nil {
			return schemas.ContentPart{}, err
		}
		p := schemas.ContentPart{Type: "image_url", ImageURL: &schemas.ImageURL{URL: url}}
		if native && b.CacheControl != nil {
			p.SetExtra(extraCacheControl, b.CacheControl)
		}
		return p, nil
	case "document":
		if native && b.Source != nil && b.Source.Type == "file" {
			return rawBlock(b)
		}
		if b.Source != nil && b.Source.Type == "text" {
			// A plain-text document is its text.
			return schemas.ContentPart{Type: "text", Text: orEmpty(b.Source.Data)}, nil
		}
		url, err := in.sourceURL(b.Source, "application/pdf")
		if err != nil {
			return schemas.ContentPart{}, err
		}
		f := &schemas.File{FileData: url}
		if t := extra(&b.Extras, "title"); t != nil {
			f.Filename = unquote(t)
		}
		p := schemas.ContentPart{Type: "file", File: f}
		if native && b.CacheControl != nil {
			p.SetExtra(extraCacheControl, b.CacheControl)
		}
		return p, nil
	}
	return schemas.ContentPart{}, errors.New("content block type " + strconv.Quote(b.Type) + " is not supported by the gateway (text, image, document, tool_result)")
}

// sourceURL returns an image's or a document's source as the URL OpenAI's shape takes: a
// base64 source becomes a data URL, a url source its URL.
func (in *Inbound) sourceURL(s *Source, defaultType string) (schemas.Text, error) {
	if s == nil {
		return nil, errors.New("source: Field required")
	}
	switch s.Type {
	case "base64":
		if s.Data.IsNull() || len(s.Data) < 2 || s.Data[0] != '"' {
			return nil, errors.New("source.data: Field required")
		}
		mt := s.MediaType
		if mt == "" {
			mt = defaultType
		}
		if mt == "" {
			return nil, errors.New("source.media_type: Field required")
		}
		start := len(in.buf)
		in.buf = append(in.buf, `"data:`...)
		in.buf = convert.AppendEscaped(in.buf, convert.ViewBytes(mt))
		in.buf = append(in.buf, ";base64,"...)
		in.buf = append(in.buf, s.Data[1:len(s.Data)-1]...)
		in.buf = append(in.buf, '"')
		return in.buf[start:len(in.buf):len(in.buf)], nil
	case "url":
		if s.URL.IsNull() {
			return nil, errors.New("source.url: Field required")
		}
		return s.URL, nil
	}
	return nil, errors.New("source type " + strconv.Quote(s.Type) + " is not supported by the gateway (base64, url)")
}

// toolResult converts a tool_result block into a role tool message. is_error has no
// counterpart in OpenAI's shape and is dropped.
func (in *Inbound) toolResult(b *ContentBlock, native bool) (schemas.ChatMessage, error) {
	if b.ToolUseID == "" {
		return schemas.ChatMessage{}, errors.New("tool_use_id: Field required")
	}
	m := schemas.ChatMessage{Role: "tool", ToolCallID: b.ToolUseID}
	c := b.Content
	switch {
	case c == nil || c.IsNull():
		m.Content.Text = convert.ViewBytes(`""`)
	case c[0] == '"':
		m.Content.Text = schemas.Text(c)
	default:
		l := jlexer.Lexer{Data: c}
		in.blocks.UnmarshalEasyJSON(&l)
		if err := l.Error(); err != nil {
			return m, errors.New("content: " + err.Error())
		}
		if bl := in.blocks.Blocks; len(bl) == 1 && bl[0].Type == "text" && !native {
			// One text block is a string to OpenAI-shaped providers, whose tool messages
			// may not take parts.
			m.Content.Text = orEmpty(bl[0].Text)
			return m, nil
		}
		start := len(in.parts)
		for i := range in.blocks.Blocks {
			p, err := in.part(&in.blocks.Blocks[i], native)
			if err != nil {
				return m, errors.New("content." + strconv.Itoa(i) + ": " + err.Error())
			}
			in.parts = append(in.parts, p)
		}
		m.Content.Parts = in.parts[start:len(in.parts):len(in.parts)]
	}
	return m, nil
}

// assistant converts an assistant turn: text blocks into the content (a string for one,
// text parts for several), tool_use blocks into tool calls, and, for a native request,
// thinking blocks into thinking_blocks for Anthropic's encoder.
func (in *Inbound) assistant(out *schemas.ChatRequest, m *MessageParam, native bool) error {
	msg := schemas.ChatMessage{Role: "assistant"}
	if m.Content.Blocks == nil {
		msg.Content.Text = orEmpty(m.Content.Text)
		out.Messages = append(out.Messages, msg)
		return nil
	}
	texts, calls := 0, len(in.calls)
	hasThinking := false
	for i := range m.Content.Blocks {
		b := &m.Content.Blocks[i]
		switch b.Type {
		case "text":
			texts++
		case "tool_use":
			if b.ID == "" || b.Name == "" {
				return errors.New("content." + strconv.Itoa(i) + ": a tool_use block needs id and name")
			}
			args := convert.ViewBytes(`"{}"`)
			if b.Input != nil && !b.Input.IsNull() {
				start := len(in.buf)
				in.buf = convert.AppendQuotedJSON(in.buf, b.Input, convert.ToolArguments)
				args = in.buf[start:len(in.buf):len(in.buf)]
			}
			in.calls = append(in.calls, schemas.ToolCall{ID: b.ID, Type: "function",
				Function: schemas.FunctionCall{Name: b.Name, Arguments: args}})
		case "thinking", "redacted_thinking":
			// Written below, in one piece; only Anthropic can check a block's signature.
			hasThinking = native
		default:
			return errors.New("content." + strconv.Itoa(i) + ": content block type " + strconv.Quote(b.Type) +
				" is not supported in an assistant turn by the gateway (text, tool_use, thinking, redacted_thinking)")
		}
	}
	switch {
	case texts == 1:
		for i := range m.Content.Blocks {
			if b := &m.Content.Blocks[i]; b.Type == "text" {
				msg.Content.Text = orEmpty(b.Text)
			}
		}
	case texts > 1:
		start := len(in.parts)
		for i := range m.Content.Blocks {
			if b := &m.Content.Blocks[i]; b.Type == "text" {
				in.parts = append(in.parts, textPart(b, native))
			}
		}
		msg.Content.Parts = in.parts[start:len(in.parts):len(in.parts)]
	case len(in.calls) == calls:
		msg.Content.Text = convert.ViewBytes(`""`)
	}
	if len(in.calls) > calls {
		msg.ToolCalls = in.calls[calls:len(in.calls):len(in.calls)]
	}
	if hasThinking {
		start := len(in.buf)
		for i := range m.Content.Blocks {
			b := &m.Content.Blocks[i]
			if b.Type != "thinking" && b.Type != "redacted_thinking" {
				continue
			}
			if len(in.buf) == start {
				in.buf = append(in.buf, '[')
			} else {
				in.buf = append(in.buf, ',')
			}
			in.buf = appendThinkingBlock(in.buf, &ResponseBlock{Type: b.Type, Thinking: b.Thinking, Signature: b.Signature, Data: b.Data})
		}
		in.buf = append(in.buf, ']')
		msg.SetExtra(extraThinkingBlocks, in.buf[start:len(in.buf):len(in.buf)])
	}
	out.Messages = append(out.Messages, msg)
	return nil
}

// toolsTo converts tools and tool_choice. Anthropic's server tools (a type other than
// "custom") have no counterpart elsewhere and are refused.
func (in *Inbound) toolsTo(out *schemas.ChatRequest, native bool) error {
	r := &in.Req
	for i := range r.Tools {
		t := &r.Tools[i]
		if t.Type != "" && t.Type != "custom" {
			if native {
				// Anthropic's own tool: sent to Anthropic as it came.
				in.tools = append(in.tools, serverTool(t))
				continue
			}
			return errors.New("tools." + strconv.Itoa(i) + ": tool type " + strconv.Quote(t.Type) +
				" (an Anthropic server tool) is supported only when the request goes to Anthropic; declare client tools with name and input_schema")
		}
		if t.Name == "" {
			return errors.New("tools." + strconv.Itoa(i) + ".name: Field required")
		}
		tool := schemas.Tool{Type: "function", Function: schemas.FunctionDef{Name: t.Name, Description: t.Description, Parameters: t.InputSchema}}
		if native && t.CacheControl != nil {
			tool.SetExtra(extraCacheControl, t.CacheControl)
		}
		in.tools = append(in.tools, tool)
	}
	if len(in.tools) > 0 {
		out.Tools = in.tools
	}
	tc := r.ToolChoice
	if tc == nil || tc.Type == "" {
		return nil
	}
	switch tc.Type {
	case "auto":
		out.ToolChoice.Mode = "auto"
	case "any":
		out.ToolChoice.Mode = "required"
	case "none":
		out.ToolChoice.Mode = "none"
	case "tool":
		if tc.Name == "" {
			return errors.New("tool_choice.name: Field required")
		}
		in.choice = schemas.ToolChoiceObject{Type: "function", Function: schemas.FunctionName{Name: tc.Name}}
		out.ToolChoice.Object = &in.choice
	default:
		return errors.New("tool_choice.type: must be auto, any, tool or none, not " + strconv.Quote(tc.Type))
	}
	if tc.DisableParallelToolUse.V {
		out.ParallelToolCalls = opt.OBool(false)
	}
	return nil
}

// thinking maps extended thinking to reasoning_effort: the largest effort whose budget
// (ThinkingBudget) fits in budget_tokens, so that the gateway never spends more on thinking
// than the client allowed. A native request also keeps the thinking object as it was sent.
func (in *Inbound) thinking(out *schemas.ChatRequest, native bool) error {
	t := in.Req.Thinking
	if t == nil || t.Type == "" {
		return nil
	}
	switch t.Type {
	case "disabled":
		return nil
	case "enabled":
	default:
		if native {
			// A thinking mode newer than the gateway (adaptive, ...): Anthropic knows it.
			start := len(in.buf)
			in.buf = append(in.buf, `{"type":`...)
			in.buf = appendQuoted(in.buf, t.Type)
			if t.BudgetTokens > 0 {
				in.buf = append(in.buf, `,"budget_tokens":`...)
				in.buf = strconv.AppendInt(in.buf, int64(t.BudgetTokens), 10)
			}
			in.buf = append(in.buf, '}')
			out.SetExtra(extraThinking, in.buf[start:len(in.buf):len(in.buf)])
			return nil
		}
		return errors.New("thinking.type: must be enabled or disabled, not " + strconv.Quote(t.Type))
	}
	if t.BudgetTokens < BudgetMinimal {
		return errors.New("thinking.budget_tokens: must be at least 1024")
	}
	out.ReasoningEffort = EffortFor(t.BudgetTokens)
	if native {
		start := len(in.buf)
		in.buf = append(in.buf, `{"type":"enabled","budget_tokens":`...)
		in.buf = strconv.AppendInt(in.buf, int64(t.BudgetTokens), 10)
		in.buf = append(in.buf, '}')
		out.SetExtra(extraThinking, in.buf[start:len(in.buf):len(in.buf)])
	}
	return nil
}

// EffortFor returns the reasoning_effort for a thinking budget: the largest effort whose
// budget (see ThinkingBudget) is at most budget, and "minimal" below that.
func EffortFor(budget int) string {
	switch {
	case budget >= BudgetHigh:
		return "high"
	case budget >= BudgetMedium:
		return "medium"
	case budget >= BudgetLow:
		return "low"
	}
	return "minimal"
}

// orEmpty returns t, or "" when it is absent or null.
func orEmpty(t schemas.Text) schemas.Text {
	if t.IsNull() {
		return convert.ViewBytes(`""`)
	}
	return t
}

// unquote returns the string an encoded JSON string holds, without copying when it has no
// escapes; "" for anything else.
func unquote(raw schemas.Raw) string {
	if len(raw) < 2 || raw[0] != '"' {
		return ""
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return convert.View(raw[1 : len(raw)-1])
	}
	return schemas.Text(raw).String()
}
