package cohere

import (
	"errors"
	"sync"
	"time"

	"github.com/bifrost-gw/bifrost/adapters/convert"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
	"github.com/mailru/easyjson/opt"
)

// EncodeChat writes the body of POST /v2/chat for r (https://docs.cohere.com/reference/chat).
//
// Messages keep their roles ("developer" becomes "system"); content parts become Cohere's
// content blocks; an assistant message's tool calls are sent as they are and its text becomes
// the tool_plan. stop becomes stop_sequences, top_p p, max_completion_tokens fills max_tokens,
// tool_choice "required"/"none" becomes "REQUIRED"/"NONE" (a named function sends only that
// tool, with "REQUIRED"), a strict function tool sets strict_tools, and response_format
// json_object / json_schema becomes {"type":"json_object"} with the schema. Fields Cohere has
// no counterpart for (logit_bias, logprobs, top_logprobs, user, parallel_tool_calls,
// stream_options, reasoning_effort) are not sent; n above 1 is refused.
func (Codec) EncodeChat(w *jwriter.Writer, r *schemas.ChatRequest) error {
	if r.N.Defined && r.N.V != 1 {
		return errNotOneChoice
	}
	x := chatRequest{
		Model:            r.Model,
		Messages:         messages{list: r.Messages},
		MaxTokens:        r.MaxTokens,
		StopSequences:    stopSequences{r.Stop},
		Temperature:      r.Temperature,
		Seed:             r.Seed,
		FrequencyPenalty: r.FrequencyPenalty,
		PresencePenalty:  r.PresencePenalty,
		P:                r.TopP,
		Stream:           r.Stream.V,
		Extras:           r.Extras,
	}
	if !x.MaxTokens.Defined {
		x.MaxTokens = r.MaxCompletionTokens
	}
	if len(r.Tools) > 0 {
		x.Tools = tools{list: r.Tools}
		for i := range r.Tools {
			if r.Tools[i].Function.Strict.V {
				x.StrictTools = opt.OBool(true)
			}
		}
	}
	switch {
	case r.ToolChoice.Object != nil:
		x.Tools.only = r.ToolChoice.Object.Function.Name
		x.ToolChoice = "REQUIRED"
	case r.ToolChoice.Mode == "required":
		x.ToolChoice = "REQUIRED"
	case r.ToolChoice.Mode == "none":
		x.ToolChoice = "NONE"
	}
	var rf responseFormat
	if f := r.ResponseFormat; f != nil {
		switch f.Type {
		case "json_object":
			rf.Type = "json_object"
		case "json_schema":
			rf.Type = "json_object"
			if f.JSONSchema != nil {
				rf.JSONSchema = f.JSONSchema.Schema
			}
		default:
			rf.Type = "text"
		}
		x.ResponseFormat = &rf
	}
	x.MarshalEasyJSON(w)
	return w.Error
}

// MarshalUnknowns forwards the client's unmodelled members, except those this wire type
// writes itself, so that none is sent twice.
func (x chatRequest) MarshalUnknowns(w *jwriter.Writer, first bool) {
	x.Extras.MarshalUnknownsExcept(w, first, chatWritten[:])
}

// chatWritten are the members of chatRequest that a client could also send as unmodelled ones.
var chatWritten = [...]string{"p", "stop_sequences", "strict_tools"}

var (
	errNotOneChoice = errors.New("cohere returns one choice per request: n must be 1")
	errAudio        = errors.New("cohere does not accept input_audio content")
	errFile         = errors.New("cohere does not accept file content in chat messages")
)

// messages writes the unified messages as Cohere's.
type messages struct{ list []schemas.ChatMessage }

// MarshalEasyJSON writes the message list.
func (m messages) MarshalEasyJSON(w *jwriter.Writer) {
	w.RawByte('[')
	for i := range m.list {
		if i > 0 {
			w.RawByte(',')
		}
		writeMessage(w, &m.list[i])
	}
	w.RawByte(']')
}

// writeMessage writes one message: {"role", "content"} for system and user messages,
// {"role":"assistant", "tool_calls", "tool_plan"} or {"role":"assistant","content"} for the
// model's turns, {"role":"tool","tool_call_id","content"} for tool results.
func writeMessage(w *jwriter.Writer, m *schemas.ChatMessage) {
	switch m.Role {
	case "system", "developer":
		w.RawString(`{"role":"system"`)
	case "assistant":
		w.RawString(`{"role":"assistant"`)
		if len(m.ToolCalls) > 0 {
			w.RawString(`,"tool_calls":[`)
			for i := range m.ToolCalls {
				if i > 0 {
					w.RawByte(',')
				}
				writeToolCall(w, &m.ToolCalls[i])
			}
			w.RawByte(']')
			if hasText(m.Content) {
				w.RawString(`,"tool_plan":`)
				writeJoined(w, m.Content)
			}
			w.RawByte('}')
			return
		}
	case "tool":
		w.RawString(`{"role":"tool","tool_call_id":`)
		w.String(m.ToolCallID)
	default:
		w.RawString(`{"role":`)
		w.String(m.Role)
	}
	if m.Content.IsDefined() {
		w.RawString(`,"content":`)
		writeContent(w, m.Content)
	}
	w.RawByte('}')
}

// writeToolCall writes a tool call in Cohere's shape, which is OpenAI's.
func writeToolCall(w *jwriter.Writer, c *schemas.ToolCall) {
	w.RawString(`{"id":`)
	w.String(c.ID)
	w.RawString(`,"type":"function","function":{"name":`)
	w.String(c.Function.Name)
	w.RawString(`,"arguments":`)
	if c.Function.Arguments.IsNull() {
		w.RawString(`"{}"`)
	} else {
		c.Function.Arguments.MarshalEasyJSON(w)
	}
	w.RawString(`}}`)
}

// writeContent writes a string content as it is, and content parts as Cohere's blocks:
// {"type":"text","text"} and {"type":"image_url","image_url":{"url","detail"}}.
func writeContent(w *jwriter.Writer, c schemas.MessageContent) {
	if c.Parts == nil {
		c.Text.MarshalEasyJSON(w)
		return
	}
	w.RawByte('[')
	for i := range c.Parts {
		p := &c.Parts[i]
		if i > 0 {
			w.RawByte(',')
		}
		switch {
		case p.ImageURL != nil:
			w.RawString(`{"type":"image_url","image_url":{"url":`)
			p.ImageURL.URL.MarshalEasyJSON(w)
			if p.ImageURL.Detail != "" {
				w.RawString(`,"detail":`)
				w.String(p.ImageURL.Detail)
			}
			w.RawString(`}}`)
		case p.InputAudio != nil:
			w.Error = errAudio
		case p.File != nil:
			w.Error = errFile
		default:
			w.RawString(`{"type":"text","text":`)
			p.Text.MarshalEasyJSON(w)
			w.RawByte('}')
		}
	}
	w.RawByte(']')
}

// hasText reports whether content holds any text.
func hasText(c schemas.MessageContent) bool {
	if c.Parts == nil {
		return !c.Text.IsNull() && string(c.Text) != `""`
	}
	for i := range c.Parts {
		if !c.Parts[i].Text.IsNull() && string(c.Parts[i].Text) != `""` {
			return true
		}
	}
	return false
}

// writeJoined writes the text of content as one JSON string: a string as it is, the text
// parts joined. Each part is a valid JSON string, so its inner bytes are copied unchanged.
func writeJoined(w *jwriter.Writer, c schemas.MessageContent) {
	if c.Parts == nil {
		c.Text.MarshalEasyJSON(w)
		return
	}
	w.RawByte('"')
	for i := range c.Parts {
		if inner, ok := convert.Inner(c.Parts[i].Text); ok {
			w.Raw(inner, nil)
		}
	}
	w.RawByte('"')
}

// tools writes function tools in Cohere's shape: {"type":"function","function":{"name",
// "description","parameters"}}. only, when set, keeps just the function of that name (a
// tool_choice naming one function).
type tools struct {
	list []schemas.Tool
	only string
}

// IsDefined reports whether there are tools to send.
func (t tools) IsDefined() bool { return len(t.list) > 0 }

// emptyParameters is what OpenAI means by a function without parameters.
const emptyParameters = `{"type":"object","properties":{}}`

// MarshalEasyJSON writes the tool list.
func (t tools) MarshalEasyJSON(w *jwriter.Writer) {
	w.RawByte('[')
	n := 0
	for i := range t.list {
		f := &t.list[i].Function
		if t.only != "" && f.Name != t.only {
			continue
		}
		if n > 0 {
			w.RawByte(',')
		}
		n++
		w.RawString(`{"type":"function","function":{"name":`)
		w.String(f.Name)
		if f.Description.IsDefined() && !f.Description.IsNull() {
			w.RawString(`,"description":`)
			f.Description.MarshalEasyJSON(w)
		}
		w.RawString(`,"parameters":`)
		if f.Parameters.IsDefined() && !f.Parameters.IsNull() {
			w.Raw(f.Parameters, nil)
		} else {
			w.RawString(emptyParameters)
		}
		w.RawString(`}}`)
	}
	w.RawByte(']')
}

// stopSequences writes OpenAI's stop (a string or a list) as Cohere's list.
type stopSequences struct{ stop schemas.Stop }

// IsDefined reports whether stop was given.
func (s stopSequences) IsDefined() bool { return s.stop.IsDefined() }

// MarshalEasyJSON writes the list.
func (s stopSequences) MarshalEasyJSON(w *jwriter.Writer) {
	w.RawByte('[')
	for i, v := range s.stop.Values {
		if i > 0 {
			w.RawByte(',')
		}
		v.MarshalEasyJSON(w)
	}
	w.RawByte(']')
}

// responses holds the decoding scratch of DecodeChat, so that its slices are reused.
var responses = sync.Pool{New: func() any { return new(chatResponse) }}

// DecodeChat reads a v2 chat response into out, borrowing from body.
//
// Text blocks become the message content (joined when there are several), thinking blocks
// reasoning_content, tool calls tool_calls (with Cohere's ids), and a tool plan the content
// of a message that has tool calls and no text. Usage and the finish reason are mapped by
// mapUsage and FinishReason. A generation that failed (finish_reason ERROR) is an error.
func (Codec) DecodeChat(body []byte, out *schemas.ChatResponse) error {
	x := responses.Get().(*chatResponse)
	defer release(x)
	l := jlexer.Lexer{Data: body}
	x.UnmarshalEasyJSON(&l)
	l.Consumed()
	if err := l.Error(); err != nil {
		return err
	}
	if x.FinishReason == "ERROR" {
		return errGeneration
	}
	out.ID, out.Object, out.Created = x.ID, "chat.completion", time.Now().Unix()
	out.Choices = append(out.Choices[:0], schemas.ChatChoice{FinishReason: schemas.NullString(FinishReason(x.FinishReason))})
	msg := &out.Choices[0].Message
	msg.Role = "assistant"
	msg.Content.Text = joinBlocks(x.Message.Content, textOf)
	msg.ReasoningContent = joinBlocks(x.Message.Content, thinkingOf)
	if n := len(x.Message.ToolCalls); n > 0 {
		msg.ToolCalls = make([]schemas.ToolCall, n)
		for i := range x.Message.ToolCalls {
			c := &x.Message.ToolCalls[i]
			msg.ToolCalls[i] = schemas.ToolCall{ID: c.ID, Type: "function",
				Function: schemas.FunctionCall{Name: c.Function.Name, Arguments: c.Function.Arguments}}
		}
		if msg.Content.Text == nil {
			msg.Content.Text = x.Message.ToolPlan
		}
	}
	if msg.Content.Text == nil {
		msg.Content.Text = nullText
	}
	mapUsage(&x.Usage, &out.Usage)
	return nil
}

// release empties x, keeping its slices' capacity, and returns it to the pool.
func release(x *chatResponse) {
	content, calls := x.Message.Content[:cap(x.Message.Content)], x.Message.ToolCalls[:cap(x.Message.ToolCalls)]
	clear(content)
	clear(calls)
	*x = chatResponse{Message: assistantMessage{Content: content[:0], ToolCalls: calls[:0]}}
	responses.Put(x)
}

var errGeneration = errors.New("cohere reports that the generation failed (finish_reason ERROR)")

// nullText is JSON null, the content of a message without text.
var nullText = schemas.Text("null")

func textOf(b *contentBlock) schemas.Text {
	if b.Type == "text" || b.Type == "" {
		return b.Text
	}
	return nil
}

func thinkingOf(b *contentBlock) schemas.Text {
	if b.Type == "thinking" {
		return b.Thinking
	}
	return nil
}

// joinBlocks returns the text that pick finds in blocks: the one block's text as it is (no
// copy), or, when several blocks have text, their texts joined into a new JSON string.
func joinBlocks(blocks []contentBlock, pick func(*contentBlock) schemas.Text) schemas.Text {
	var one schemas.Text
	n, size := 0, 2
	for i := range blocks {
		t := pick(&blocks[i])
		if inner, ok := convert.Inner(t); ok {
			one = t
			n++
			size += len(inner)
		}
	}
	if n <= 1 {
		return one
	}
	joined := make(schemas.Text, 0, size)
	joined = append(joined, '"')
	for i := range blocks {
		if inner, ok := convert.Inner(pick(&blocks[i])); ok {
			joined = append(joined, inner...)
		}
	}
	return append(joined, '"')
}

// FinishReason maps Cohere's finish_reason to OpenAI's: COMPLETE and STOP_SEQUENCE are "stop",
// MAX_TOKENS is "length", TOOL_CALL is "tool_calls", and TIMEOUT (the generation was cut by
// Cohere's time limit, its text so far returned) is "length" as well. ERROR is an error, not
// a finish reason (see DecodeChat and DecodeChatEvent); any other value passes unchanged.
func FinishReason(r string) string {
	switch r {
	case "COMPLETE", "STOP_SEQUENCE":
		return "stop"
	case "MAX_TOKENS", "TIMEOUT":
		return "length"
	case "TOOL_CALL":
		return "tool_calls"
	}
	return r
}

// mapUsage converts Cohere's usage into OpenAI's. Prompt and completion tokens come from
// usage.tokens, the tokens the model read and wrote, which is what OpenAI counts (its
// prompt_tokens include the chat template's tokens); billed_units leaves out the tokens
// Cohere does not charge for (its own prompt template), so it is used only when tokens is
// absent. cached_tokens becomes prompt_tokens_details.cached_tokens. Cohere does not report
// reasoning tokens apart from output tokens.
func mapUsage(u *usage, out *schemas.Usage) {
	in, outTok := u.Tokens.InputTokens, u.Tokens.OutputTokens
	if !in.Defined && !outTok.Defined {
		in, outTok = u.BilledUnits.InputTokens, u.BilledUnits.OutputTokens
	}
	out.PromptTokens = int(in.V)
	out.CompletionTokens = int(outTok.V)
	out.TotalTokens = out.PromptTokens + out.CompletionTokens
	out.PromptTokensDetails.CachedTokens = int(u.CachedTokens)
}
