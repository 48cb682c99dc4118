// Package bedrock converts between Bifrost's unified (OpenAI-shaped) schema and Amazon
// Bedrock's Converse API: Converse and ConverseStream for chat, and InvokeModel bodies of
// the Amazon Titan and Cohere embedding models. The adapter (bedrock_gen.go) and the
// easyjson marshalers (bedrock_easyjson.go) are generated from specs/bedrock.yaml; the codec
// that specs/bedrock.yaml names, Codec (codec.go), and its converters here are hand-written.
//
// References, checked on 2025-06-01:
//   - https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
//   - https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html
//   - https://docs.aws.amazon.com/bedrock/latest/userguide/tool-use-inference-call.html
//   - https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html (cache tokens)
//   - https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-embed-text.html
//   - https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-embed.html (Cohere)
//
// What the unified request maps to: system and developer messages -> system; user, assistant
// and tool messages -> messages with content blocks (text, image from a base64 data URL,
// document from a file part's data URL, toolUse from tool_calls, toolResult from role tool;
// consecutive messages of one Converse role are merged, as Converse wants roles to
// alternate); max_completion_tokens or max_tokens, temperature, top_p and stop ->
// inferenceConfig; tools and tool_choice -> toolConfig ("required" is "any"; "none" sends
// the tools without a choice, since Converse has no "none"). Converse's own members
// additionalModelRequestFields, additionalModelResponseFieldPaths, guardrailConfig,
// performanceConfig, promptVariables and requestMetadata are forwarded when the client sends
// them. Fields Converse lacks (seed, penalties, logit_bias, logprobs, user,
// parallel_tool_calls, reasoning_effort) are not sent; n > 1 and a JSON response_format are
// refused, since Converse cannot honour them.
package bedrock

import (
	"errors"
	"strconv"
	"time"

	"github.com/bifrost-gw/bifrost/adapters/convert"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

// forwarded are the Converse request members a client may send as they are.
var forwarded = [...]string{"additionalModelRequestFields", "additionalModelResponseFieldPaths",
	"guardrailConfig", "performanceConfig", "promptVariables", "requestMetadata"}

// Converse roles.
const (
	roleNone = iota
	roleUser
	roleAssistant
)

// EncodeChat writes a Converse request body for r.
func (Codec) EncodeChat(w *jwriter.Writer, r *schemas.ChatRequest) error {
	if r.N.IsDefined() && r.N.V > 1 {
		return errors.New("bedrock returns one choice: n must be 1")
	}
	if rf := r.ResponseFormat; rf != nil && rf.Type != "" && rf.Type != "text" {
		return errors.New("bedrock's Converse API has no response_format " + strconv.Quote(rf.Type))
	}
	w.RawString(`{"messages":[`)
	open, blocks := roleNone, 0
	for i := range r.Messages {
		m := &r.Messages[i]
		role := roleUser
		switch m.Role {
		case "system", "developer":
			continue
		case "user", "tool":
		case "assistant":
			role = roleAssistant
		default:
			return errors.New("messages[" + strconv.Itoa(i) + "]: bedrock has no role " + strconv.Quote(m.Role))
		}
		if role != open {
			if open != roleNone {
				w.RawString(`]},`)
			}
			if role == roleUser {
				w.RawString(`{"role":"user","content":[`)
			} else {
				w.RawString(`{"role":"assistant","content":[`)
			}
			open, blocks = role, 0
		}
		var err error
		switch m.Role {
		case "tool":
			blocks = writeToolResult(w, m, blocks)
		case "assistant":
			blocks, err = writeAssistant(w, m, blocks)
		default:
			blocks, err = writeContent(w, &m.Content, blocks, true)
		}
		if err != nil {
			return errors.New("messages[" + strconv.Itoa(i) + "]: " + err.Error())
		}
	}
	if open != roleNone {
		w.RawString(`]}`)
	}
	w.RawByte(']')
	if err := writeSystem(w, r); err != nil {
		return err
	}
	writeInferenceConfig(w, r)
	if err := writeToolConfig(w, r); err != nil {
		return err
	}
	for _, f := range r.ExtraFields() {
		for _, name := range forwarded {
			if f.Key == name {
				w.RawByte(',')
				w.String(f.Key)
				w.RawByte(':')
				w.Raw(f.Value, nil)
			}
		}
	}
	w.RawByte('}')
	return nil
}

// writeSystem writes the system and developer messages as the system blocks.
func writeSystem(w *jwriter.Writer, r *schemas.ChatRequest) error {
	n := 0
	for i := range r.Messages {
		m := &r.Messages[i]
		if m.Role != "system" && m.Role != "developer" {
			continue
		}
		if n == 0 {
			w.RawString(`,"system":[`)
		}
		var err error
		if n, err = writeContent(w, &m.Content, n, false); err != nil {
			return errors.New("messages[" + strconv.Itoa(i) + "]: " + err.Error())
		}
	}
	if n > 0 {
		w.RawByte(']')
	}
	return nil
}

// sep writes the comma before every block but the first and returns the new count.
func sep(w *jwriter.Writer, n int) int {
	if n > 0 {
		w.RawByte(',')
	}
	return n + 1
}

// writeText writes a text block, unless the text is empty or null (Converse refuses blank
// text blocks).
func writeText(w *jwriter.Writer, t schemas.Text, n int) int {
	if t.IsNull() || string(t) == `""` {
		return n
	}
	n = sep(w, n)
	w.RawString(`{"text":`)
	w.Raw(t, nil)
	w.RawByte('}')
	return n
}

// writeContent writes a message's content as blocks: text, and with media, images and
// documents from data URLs.
func writeContent(w *jwriter.Writer, c *schemas.MessageContent, n int, media bool) (int, error) {
	if c.Parts == nil {
		return writeText(w, c.Text, n), nil
	}
	for i := range c.Parts {
		p := &c.Parts[i]
		switch {
		case p.Type == "text":
			n = writeText(w, p.Text, n)
		case p.Type == "image_url" && media && p.ImageURL != nil:
			mime, data, ok := convert.DataURL(p.ImageURL.URL)
			format := imageFormat(mime)
			if !ok || format == "" {
				return n, errors.New("bedrock takes images as base64 data URLs of png, jpeg, gif or webp (data:image/png;base64,...)")
			}
			n = sep(w, n)
			w.RawString(`{"image":{"format":"`)
			w.RawString(format)
			w.RawString(`","source":{"bytes":"`)
			w.Buffer.AppendBytes(data)
			w.RawString(`"}}}`)
		case p.Type == "file" && media && p.File != nil:
			mime, data, ok := convert.DataURL(p.File.FileData)
			format := documentFormat(mime)
			if !ok || format == "" {
				return n, errors.New("bedrock takes documents as base64 data URLs in file.file_data (pdf, csv, doc, docx, xls, xlsx, html, txt, md)")
			}
			n = sep(w, n)
			w.RawString(`{"document":{"format":"`)
			w.RawString(format)
			w.RawString(`","name":"`)
			writeDocumentName(w, p.File.Filename)
			w.RawString(`","source":{"bytes":"`)
			w.Buffer.AppendBytes(data)
			w.RawString(`"}}}`)
		default:
			return n, errors.New("bedrock does not take content parts of type " + strconv.Quote(p.Type) + " here")
		}
	}
	return n, nil
}

// writeAssistant writes an assistant message: its text, then a toolUse block per tool call.
func writeAssistant(w *jwriter.Writer, m *schemas.ChatMessage, n int) (int, error) {
	n, err := writeContent(w, &m.Content, n, false)
	if err != nil {
		return n, err
	}
	for i := range m.ToolCalls {
		tc := &m.ToolCalls[i]
		n = sep(w, n)
		w.RawString(`{"toolUse":{"toolUseId":`)
		w.String(tc.ID)
		w.RawString(`,"name":`)
		w.String(tc.Function.Name)
		w.RawString(`,"input":`)
		if err := writeArguments(w, tc.Function.Arguments); err != nil {
			return n, errors.New("tool_calls[" + strconv.Itoa(i) + "].function.arguments: " + err.Error())
		}
		w.RawString(`}}`)
	}
	return n, nil
}

// writeToolResult writes a tool message as a toolResult block.
func writeToolResult(w *jwriter.Writer, m *schemas.ChatMessage, n int) int {
	n = sep(w, n)
	w.RawString(`{"toolResult":{"toolUseId":`)
	w.String(m.ToolCallID)
	w.RawString(`,"content":[`)
	k := 0
	if m.Content.Parts != nil {
		for i := range m.Content.Parts {
			if p := &m.Content.Parts[i]; p.Type == "text" {
				k = writeText(w, p.Text, k)
			}
		}
	} else {
		k = writeText(w, m.Content.Text, k)
	}
	if k == 0 {
		w.RawString(`{"text":""}`) // Converse needs a content block
	}
	w.RawString(`]}}`)
	return n
}

// writeInferenceConfig writes inferenceConfig when the request sets any of its members.
func writeInferenceConfig(w *jwriter.Writer, r *schemas.ChatRequest) {
	maxTokens := r.MaxCompletionTokens
	if !maxTokens.IsDefined() {
		maxTokens = r.MaxTokens
	}
	if !maxTokens.IsDefined() && !r.Temperature.IsDefined() && !r.TopP.IsDefined() && len(r.Stop.Values) == 0 {
		return
	}
	w.RawString(`,"inferenceConfig":{`)
	first := true
	field := func(name string) {
		if !first {
			w.RawByte(',')
		}
		first = false
		w.RawString(name)
	}
	if maxTokens.IsDefined() {
		field(`"maxTokens":`)
		w.Int(maxTokens.V)
	}
	if r.Temperature.IsDefined() {
		field(`"temperature":`)
		w.Float64(r.Temperature.V)
	}
	if r.TopP.IsDefined() {
		field(`"topP":`)
		w.Float64(r.TopP.V)
	}
	if len(r.Stop.Values) > 0 {
		field(`"stopSequences":[`)
		for i, s := range r.Stop.Values {
			if i > 0 {
				w.RawByte(',')
			}
			w.Raw(s, nil)
		}
		w.RawByte(']')
	}
	w.RawByte('}')
}

// writeToolConfig writes toolConfig: the function tools and the tool choice.
func writeToolConfig(w *jwriter.Writer, r *schemas.ChatRequest) error {
	if len(r.Tools) == 0 {
		return nil
	}
	w.RawString(`,"toolConfig":{"tools":[`)
	for i := range r.Tools {
		t := &r.Tools[i]
		if t.Type != "function" {
			return errors.New("tools[" + strconv.Itoa(i) + "]: bedrock takes function tools only, not " + strconv.Quote(t.Type))
		}
		if i > 0 {
			w.RawByte(',')
		}
		w.RawString(`{"toolSpec":{"name":`)
		w.String(t.Function.Name)
		if !t.Function.Description.IsNull() {
			w.RawString(`,"description":`)
			w.Raw(t.Function.Description, nil)
		}
		w.RawString(`,"inputSchema":{"json":`)
		if p := t.Function.Parameters; p != nil && !p.IsNull() {
			w.Raw(p, nil)
		} else {
			w.RawString(`{"type":"object","properties":{}}`)
		}
		w.RawString(`}}}`)
	}
	w.RawByte(']')
	tc := r.ToolChoice
	switch {
	case tc.Object != nil:
		if tc.Object.Type != "function" || tc.Object.Function.Name == "" {
			return errors.New("tool_choice: bedrock takes a function by name, auto, required or none")
		}
		w.RawString(`,"toolChoice":{"tool":{"name":`)
		w.String(tc.Object.Function.Name)
		w.RawString(`}}`)
	case tc.Mode == "auto":
		w.RawString(`,"toolChoice":{"auto":{}}`)
	case tc.Mode == "required":
		w.RawString(`,"toolChoice":{"any":{}}`)
	case tc.Mode == "none" || tc.Mode == "":
	default:
		return errors.New("tool_choice " + strconv.Quote(tc.Mode) + " is not auto, required or none")
	}
	w.RawByte('}')
	return nil
}

// DecodeChat reads a Converse response into out. Converse sends no id and no model: the
// runtime fills them in. Like the other codecs it is lenient: members it does not know are
// skipped, and a body without output.message gives an empty assistant message.
func (Codec) DecodeChat(body []byte, out *schemas.ChatResponse) error {
	l := jlexer.Lexer{Data: body}
	out.Object = "chat.completion"
	out.Created = time.Now().Unix()
	out.Choices = append(out.Choices[:0], schemas.ChatChoice{})
	ch := &out.Choices[0]
	ch.Message.Role = "assistant"
	var u tokenUsage
	for key := range convert.Fields(&l) {
		switch {
		case l.IsNull():
			l.Skip()
		case key == "output":
			decodeOutput(&l, &ch.Message)
		case key == "stopReason":
			ch.FinishReason = schemas.NullString(FinishReason(l.UnsafeString()))
		case key == "usage":
			u.UnmarshalEasyJSON(&l)
		default:
			l.SkipRecursive()
		}
	}
	l.Consumed()
	if err := l.Error(); err != nil {
		return err
	}
	if !ch.Message.Content.IsDefined() {
		ch.Message.Content.Text = nullText
	}
	setUsage(&out.Usage, &u)
	return nil
}

var (
	nullText  = schemas.Text("null")
	emptyText = schemas.Text(`""`)
)

// decodeOutput reads output: {"message": {"role", "content": [blocks]}}.
func decodeOutput(l *jlexer.Lexer, m *schemas.ChatMessage) {
	for key := range convert.Fields(l) {
		if key != "message" || l.IsNull() {
			l.SkipRecursive()
			continue
		}
		for key := range convert.Fields(l) {
			if key != "content" || l.IsNull() {
				l.SkipRecursive()
				continue
			}
			l.Delim('[')
			for !l.IsDelim(']') && l.Ok() {
				var b contentBlock
				b.UnmarshalEasyJSON(l)
				addBlock(m, &b)
				l.WantComma()
			}
			l.Delim(']')
		}
	}
}

// addBlock adds a response content block to the message: text to the content, toolUse as a
// tool call, reasoning to reasoning_content. Several text blocks are joined.
func addBlock(m *schemas.ChatMessage, b *contentBlock) {
	switch {
	case b.Text != nil && !b.Text.IsNull():
		m.Content.Text = convert.JoinText(m.Content.Text, b.Text)
	case b.ToolUse.ToolUseID != "":
		m.ToolCalls = append(m.ToolCalls, schemas.ToolCall{ID: b.ToolUse.ToolUseID, Type: "function",
			Function: schemas.FunctionCall{Name: b.ToolUse.Name, Arguments: convert.QuoteJSON(b.ToolUse.Input, convert.ToolArguments)}})
	case b.ReasoningContent.ReasoningText.Text != nil:
		m.ReasoningContent = convert.JoinText(m.ReasoningContent, b.ReasoningContent.ReasoningText.Text)
	}
}

// FinishReason maps a Converse stopReason to OpenAI's finish_reason; an unknown one is
// passed on as it is.
func FinishReason(stop string) string {
	switch stop {
	case "end_turn", "stop_sequence":
		return "stop"
	case "max_tokens", "model_context_window_exceeded":
		return "length"
	case "tool_use":
		return "tool_calls"
	case "guardrail_intervened", "content_filtered":
		return "content_filter"
	}
	return stop
}

// setUsage fills OpenAI's usage from Converse's: prompt tokens count the cache reads and
// writes too (Converse's inputTokens does not), cached_tokens are the cache reads.
func setUsage(out *schemas.Usage, u *tokenUsage) {
	out.PromptTokens = u.InputTokens + u.CacheReadInputTokens + u.CacheWriteInputTokens
	out.CompletionTokens = u.OutputTokens
	out.TotalTokens = u.TotalTokens
	if out.TotalTokens == 0 {
		out.TotalTokens = out.PromptTokens + out.CompletionTokens
	}
	out.PromptTokensDetails.CachedTokens = u.CacheReadInputTokens
}
