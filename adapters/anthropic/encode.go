package anthropic

import (
	"errors"
	"strconv"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

// DefaultMaxTokens is the max_tokens sent when the client gives neither max_tokens nor
// max_completion_tokens: Anthropic requires the field, and 4096 is the largest value that
// every Claude model accepts (Claude 3 Haiku's and Claude 3 Opus's output limit), so a
// request without a limit works whatever the model.
const DefaultMaxTokens = 4096

// Thinking budgets (thinking.budget_tokens) for OpenAI's reasoning_effort. Anthropic's
// minimum budget is 1024 and the budget must stay below max_tokens
// (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking).
const (
	BudgetMinimal = 1024
	BudgetLow     = 2048
	BudgetMedium  = 8192
	BudgetHigh    = 16384
)

// ThinkingBudget returns the thinking budget for a reasoning_effort value: 0 for "" and
// "none" (no thinking), and an error for a value OpenAI does not define.
func ThinkingBudget(effort string) (int, error) {
	switch effort {
	case "", "none":
		return 0, nil
	case "minimal":
		return BudgetMinimal, nil
	case "low":
		return BudgetLow, nil
	case "medium":
		return BudgetMedium, nil
	case "high":
		return BudgetHigh, nil
	}
	return 0, errors.New("reasoning_effort " + strconv.Quote(effort) + " is not one of none, minimal, low, medium, high")
}

// Request members that a client may send in an OpenAI-shaped request in Anthropic's own
// terms; they are forwarded as they are. Other unknown members are not: Anthropic rejects
// members it does not know, and OpenAI clients send many.
const (
	extraTopK     = "top_k"
	extraThinking = "thinking"
	// extraCacheControl on a content part or a tool marks a prompt-caching breakpoint.
	extraCacheControl = "cache_control"
	// extraThinkingBlocks on an assistant message holds Anthropic thinking and
	// redacted_thinking blocks (with their signatures) from an earlier response, sent back
	// before the message's other content, as tool use with thinking requires.
	extraThinkingBlocks = "thinking_blocks"
)

// EncodeChat writes the Messages API body for a unified chat request
// (https://docs.anthropic.com/en/api/messages). See README.md for the mapping.
func (Codec) EncodeChat(w *jwriter.Writer, r *schemas.ChatRequest) error { return encodeChat(w, r, "") }

// VertexVersion is the anthropic_version that Claude on Vertex AI takes in the request body
// (https://docs.anthropic.com/en/api/claude-on-vertex-ai).
const VertexVersion = "vertex-2023-10-16"

// EncodeChatVersioned writes the Messages API body as platforms that name the model in the
// URL want it: without "model", and with "anthropic_version": version first (VertexVersion
// for Vertex AI's rawPredict and streamRawPredict). The rest is EncodeChat's.
func EncodeChatVersioned(w *jwriter.Writer, r *schemas.ChatRequest, version string) error {
	return encodeChat(w, r, version)
}

// encodeChat writes the body: with "model" when version is "", else with
// "anthropic_version" and no model.
func encodeChat(w *jwriter.Writer, r *schemas.ChatRequest, version string) error {
	if r.N.IsDefined() && r.N.V != 1 {
		return errors.New("n must be 1: Anthropic returns one choice")
	}
	maxTokens, budget, err := limits(r)
	if err != nil {
		return err
	}
	if version == "" {
		w.RawString(`{"model":`)
		w.String(r.Model)
	} else {
		w.RawString(`{"anthropic_version":`)
		w.String(version)
	}
	w.RawString(`,"max_tokens":`)
	w.Int(maxTokens)
	if err := writeConversation(w, r); err != nil {
		return err
	}
	if r.User != "" {
		w.RawString(`,"metadata":{"user_id":`)
		w.String(r.User)
		w.RawByte('}')
	}
	if len(r.Stop.Values) > 0 {
		w.RawString(`,"stop_sequences":[`)
		for i, s := range r.Stop.Values {
			if i > 0 {
				w.RawByte(',')
			}
			s.MarshalEasyJSON(w)
		}
		w.RawByte(']')
	}
	if r.Stream.V {
		w.RawString(`,"stream":true`)
	}
	if r.Temperature.IsDefined() {
		w.RawString(`,"temperature":`)
		w.Float64(r.Temperature.V)
	}
	if r.TopP.IsDefined() {
		w.RawString(`,"top_p":`)
		w.Float64(r.TopP.V)
	}
	if v := extra(&r.Extras, extraTopK); v != nil {
		w.RawString(`,"top_k":`)
		w.Raw(v, nil)
	}
	if err := writeTools(w, r); err != nil {
		return err
	}
	writeThinking(w, r, budget)
	writeMembers(w, r)
	w.RawByte('}')
	return nil
}

// writeConversation writes system and messages.
func writeConversation(w *jwriter.Writer, r *schemas.ChatRequest) error {
	if err := writeSystem(w, r.Messages); err != nil {
		return err
	}
	w.RawString(`,"messages":`)
	return writeMessages(w, r.Messages)
}

// writeThinking writes the thinking member: the client's own (a native request), else the
// budget of its reasoning_effort, if any.
func writeThinking(w *jwriter.Writer, r *schemas.ChatRequest, budget int) {
	switch native := extra(&r.Extras, extraThinking); {
	case native != nil:
		w.RawString(`,"thinking":`)
		w.Raw(native, nil)
	case budget > 0:
		w.RawString(`,"thinking":{"type":"enabled","budget_tokens":`)
		w.Int(budget)
		w.RawByte('}')
	}
}

// limits returns max_tokens and the thinking budget of r: max_tokens as given (max_tokens,
// else max_completion_tokens) or DefaultMaxTokens, and the budget of its reasoning_effort
// (ThinkingBudget; 0 when the request brings Anthropic's own thinking member). Without an
// explicit max_tokens the budget is added to the default; with one, a budget that would not
// fit below it is halved, and an error when that is under Anthropic's minimum.
func limits(r *schemas.ChatRequest) (maxTokens, budget int, err error) {
	maxTokens, explicit := DefaultMaxTokens, false
	switch {
	case r.MaxTokens.IsDefined():
		maxTokens, explicit = r.MaxTokens.V, true
	case r.MaxCompletionTokens.IsDefined():
		maxTokens, explicit = r.MaxCompletionTokens.V, true
	}
	if extra(&r.Extras, extraThinking) == nil {
		if budget, err = ThinkingBudget(r.ReasoningEffort); err != nil {
			return 0, 0, err
		}
	}
	if budget > 0 {
		switch {
		case !explicit:
			maxTokens = budget + DefaultMaxTokens
		case budget >= maxTokens:
			budget = maxTokens / 2
			if budget < BudgetMinimal {
				return 0, 0, errors.New("max_tokens " + strconv.Itoa(maxTokens) + " is too small for reasoning_effort: Anthropic's thinking budget is at least 1024 tokens and below max_tokens")
			}
		}
	}
	return maxTokens, budget, nil
}

// isSystem reports whether a message goes to the top-level system prompt.
func isSystem(role string) bool { return role == "system" || role == "developer" }

// writeSystem writes the system and developer messages, wherever they are in the
// conversation, as the top-level system prompt: one string message as a string, else an
// array of text blocks.
func writeSystem(w *jwriter.Writer, msgs []schemas.ChatMessage) error {
	n, single := 0, -1
	for i := range msgs {
		if isSystem(msgs[i].Role) {
			n++
			single = i
		}
	}
	if n == 0 {
		return nil
	}
	w.RawString(`,"system":`)
	if m := &msgs[single]; n == 1 && m.Content.Parts == nil {
		writeText(w, m.Content.Text)
		return nil
	}
	w.RawByte('[')
	first := true
	for i := range msgs {
		m := &msgs[i]
		if !isSystem(m.Role) {
			continue
		}
		if m.Content.Parts == nil {
			if !first {
				w.RawByte(',')
			}
			first = false
			w.RawString(`{"type":"text","text":`)
			writeText(w, m.Content.Text)
			w.RawByte('}')
			continue
		}
		for j := range m.Content.Parts {
			p := &m.Content.Parts[j]
			if p.Type != "text" {
				return errors.New("a " + m.Role + " message may hold only text parts, not " + strconv.Quote(p.Type))
			}
			if !first {
				w.RawByte(',')
			}
			first = false
			writeTextPart(w, p)
		}
	}
	w.RawByte(']')
	return nil
}

// writeText writes a string content, "" when it is null or absent.
func writeText(w *jwriter.Writer, t schemas.Text) {
	if t.IsNull() {
		w.RawString(`""`)
		return
	}
	w.Raw(t, nil)
}

// writeMessages writes the conversation without its system messages. Role tool messages
// become tool_result blocks of a user turn; consecutive ones share that turn.
func writeMessages(w *jwriter.Writer, msgs []schemas.ChatMessage) error {
	w.RawByte('[')
	first, inResults := true, false
	for i := range msgs {
		m := &msgs[i]
		if isSystem(m.Role) {
			continue
		}
		if m.Role == "tool" {
			if inResults {
				w.RawByte(',')
			} else {
				if !first {
					w.RawByte(',')
				}
				w.RawString(`{"role":"user","content":[`)
				inResults = true
			}
			first = false
			if err := writeToolResult(w, m); err != nil {
				return err
			}
			continue
		}
		if inResults {
			w.RawString(`]}`)
			inResults = false
		}
		if !first {
			w.RawByte(',')
		}
		first = false
		var err error
		switch m.Role {
		case "user":
			err = writeUser(w, m)
		case "assistant":
			err = writeAssistant(w, m)
		default:
			err = errors.New("message role " + strconv.Quote(m.Role) + " is not supported by Anthropic (system, developer, user, assistant, tool)")
		}
		if err != nil {
			return err
		}
	}
	if inResults {
		w.RawString(`]}`)
	}
	w.RawByte(']')
	return nil
}

func writeUser(w *jwriter.Writer, m *schemas.ChatMessage) error {
	w.RawString(`{"role":"user","content":`)
	if m.Content.Parts == nil {
		writeText(w, m.Content.Text)
	} else {
		w.RawByte('[')
		for j := range m.Content.Parts {
			if j > 0 {
				w.RawByte(',')
			}
			if err := writePart(w, &m.Content.Parts[j]); err != nil {
				return err
			}
		}
		w.RawByte(']')
	}
	w.RawByte('}')
	return nil
}

// writeAssistant writes an assistant turn: its thinking blocks, its text and its tool calls
// as tool_use blocks. Plain text without tool calls stays a string.
func writeAssistant(w *jwriter.Writer, m *schemas.ChatMessage) error {
	w.RawString(`{"role":"assistant","content":`)
	thinking := extra(&m.Extras, extraThinkingBlocks)
	if len(m.ToolCalls) == 0 && thinking == nil && m.Content.Parts == nil {
		writeText(w, m.Content.Text)
		w.RawByte('}')
		return nil
	}
	w.RawByte('[')
	first := true
	sep := func() {
		if !first {
			w.RawByte(',')
		}
		first = false
	}
	if thinking != nil {
		l := jlexer.Lexer{Data: thinking}
		if !l.IsDelim('[') {
			return errors.New("thinking_blocks must be an array of Anthropic thinking blocks")
		}
		l.Delim('[')
		reasoning := m.ReasoningContent
		for !l.IsDelim(']') && l.Ok() {
			sep()
			raw := l.Raw()
			if b, ok := signatureOnly(raw); ok && !reasoning.IsNull() && string(reasoning) != `""` {
				// A streamed answer: the thinking came as reasoning_content, its signature
				// alone in thinking_blocks (see DecodeChatEvent). Join them again.
				w.RawString(`{"type":"thinking","thinking":`)
				w.Raw(reasoning, nil)
				w.RawString(`,"signature":`)
				w.Raw(b.Signature, nil)
				w.RawByte('}')
				reasoning = nil
			} else {
				w.Raw(raw, nil)
			}
			l.WantComma()
		}
		l.Delim(']')
		if l.Error() != nil {
			return errors.New("thinking_blocks: " + l.Error().Error())
		}
	}
	if m.Content.Parts != nil {
		for j := range m.Content.Parts {
			p := &m.Content.Parts[j]
			switch p.Type {
			case "text":
				sep()
				writeTextPart(w, p)
			case "refusal":
			default:
				return errors.New("an assistant message may hold only text parts, not " + strconv.Quote(p.Type))
			}
		}
	} else if !m.Content.Text.IsNull() && string(m.Content.Text) != `""` {
		sep()
		w.RawString(`{"type":"text","text":`)
		w.Raw(m.Content.Text, nil)
		w.RawByte('}')
	}
	for j := range m.ToolCalls {
		tc := &m.ToolCalls[j]
		sep()
		w.RawString(`{"type":"tool_use","id":`)
		w.String(tc.ID)
		w.RawString(`,"name":`)
		w.String(tc.Function.Name)
		w.RawString(`,"input":`)
		if err := writeInput(w, tc.Function.Arguments); err != nil {
			return errors.New("tool call " + strconv.Quote(tc.ID) + ": " + err.Error())
		}
		w.RawByte('}')
	}
	w.RawString(`]}`)
	return nil
}

// signatureOnly reads a thinking_blocks entry and reports whether it is a thinking block
// with a signature and no thinking text, as a stream relays it.
func signatureOnly(raw []byte) (ResponseBlock, bool) {
	var b ResponseBlock
	if len(raw) == 0 || raw[0] != '{' {
		return b, false
	}
	l := jlexer.Lexer{Data: raw}
	b.UnmarshalEasyJSON(&l)
	ok := l.Error() == nil && b.Type == "thinking" && (b.Thinking.IsNull() || string(b.Thinking) == `""`) &&
		len(b.Signature) > 2 && b.Signature[0] == '"'
	return b, ok
}

// writeToolResult writes a role tool message as a tool_result block.
func writeToolResult(w *jwriter.Writer, m *schemas.ChatMessage) error {
	w.RawString(`{"type":"tool_result","tool_use_id":`)
	w.String(m.ToolCallID)
	w.RawString(`,"content":`)
	if m.Content.Parts == nil {
		writeText(w, m.Content.Text)
	} else {
		w.RawByte('[')
		for j := range m.Content.Parts {
			if j > 0 {
				w.RawByte(',')
			}
			if err := writePart(w, &m.Content.Parts[j]); err != nil {
				return err
			}
		}
		w.RawByte(']')
	}
	w.RawByte('}')
	return nil
}
