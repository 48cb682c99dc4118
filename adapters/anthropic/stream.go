package anthropic

import (
	"github.com/bifrost-gw/bifrost/adapters/convert"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/opt"
)

// DecodeChatEvent turns one event of a Messages API stream
// (https://docs.anthropic.com/en/docs/build-with-claude/streaming) into an OpenAI chunk:
//
//   - message_start: the role-only first chunk; the message id and model become the
//     stream's, and its usage (input and cache tokens) is kept in st;
//   - content_block_start of a tool_use block: a chunk opening tool call st.BeginTool(index)
//     with its id and name; other blocks start nothing;
//   - content_block_start of a redacted_thinking block: a chunk whose delta carries the
//     block in thinking_blocks (LiteLLM's member), so that it can be sent back;
//   - content_block_start of a block only Anthropic's shape has (server_tool_use,
//     web_search_tool_result, ...): a chunk whose delta carries the block as it came, and
//     its input_json_delta pieces, like citations_delta, chunks carrying the delta as it
//     came, for Outbound to relay to an Anthropic client;
//   - content_block_delta: text_delta is content, thinking_delta reasoning_content,
//     input_json_delta a fragment of the arguments of the block's tool call;
//     signature_delta a chunk whose delta carries thinking_blocks
//     [{"type":"thinking","thinking":"","signature":S}]: the signature of the thinking
//     streamed before it as reasoning_content (EncodeChat joins the two when the client sends
//     them back); others are relayed as they came (above);
//   - message_delta: the chunk with finish_reason, and the matched stop sequence as the
//     choice's stop_reason member; its cumulative usage replaces st's;
//   - message_stop: the usage chunk (no choices), the stream's last;
//   - ping, content_block_stop and unknown events: skipped; error: StepError.
//
// Chunks borrow from ev and st.
func (Codec) DecodeChatEvent(ev provider.Event, st *provider.StreamState, out *schemas.ChatStreamChunk) (provider.Step, error) {
	name := convert.View(ev.Name)
	if name == "" {
		// A relay that drops the event: lines; the type is in the data too.
		var t EventType
		if err := t.decode(ev.Data); err != nil {
			return provider.StepError, err
		}
		name = t.Type
	}
	switch name {
	case EventMessageStart:
		return messageStart(ev.Data, st, out)
	case EventContentBlockStart:
		return blockStart(ev.Data, st, out)
	case EventContentBlockDelta:
		return blockDelta(ev.Data, st, out)
	case EventMessageDelta:
		return messageDelta(ev.Data, st, out)
	case EventMessageStop:
		return messageStop(st, out)
	case EventError:
		return provider.StepError, nil
	}
	return provider.StepSkip, nil
}

// messageStart reads message_start: the id, the model, the input usage, and the first chunk
// with the role.
func messageStart(data []byte, st *provider.StreamState, out *schemas.ChatStreamChunk) (provider.Step, error) {
	var e MessageStartEvent
	if err := e.decode(data); err != nil {
		return provider.StepError, err
	}
	if e.Message.ID != "" {
		st.SetID(convert.ViewBytes(e.Message.ID))
	}
	if e.Message.Model != "" {
		st.SetModel(convert.ViewBytes(e.Message.Model))
	}
	u := &e.Message.Usage
	st.PromptTokens = u.InputTokens + u.CacheReadInputTokens + u.CacheCreationInputTokens
	st.CachedTokens, st.CacheWriteTokens = u.CacheReadInputTokens, u.CacheCreationInputTokens
	st.CompletionTokens = u.OutputTokens
	st.Role = true
	ch := chunk(st, out)
	ch.Delta.Role = "assistant"
	ch.Delta.Content.Text = convert.ViewBytes(`""`)
	return provider.StepChunk, nil
}

// blockStart reads content_block_start: a tool call begins, or a block starts with text,
// thinking or redacted thinking.
func blockStart(data []byte, st *provider.StreamState, out *schemas.ChatStreamChunk) (provider.Step, error) {
	var e ContentBlockStartEvent
	if err := e.decode(data); err != nil {
		return provider.StepError, err
	}
	b := &e.ContentBlock
	switch b.Type {
	case "tool_use":
		ch := chunk(st, out)
		ch.Delta.ToolCalls = append(ch.Delta.ToolCalls, schemas.ToolCall{
			ID: b.ID, Type: "function", Function: schemas.FunctionCall{Name: b.Name, Arguments: convert.ViewBytes(`""`)},
		})
		ch.Delta.ToolCalls[0].Index = opt.OInt(st.BeginTool(e.Index))
		return provider.StepChunk, nil
	case "text":
		if !b.Text.IsNull() && string(b.Text) != `""` {
			chunk(st, out).Delta.Content.Text = b.Text
			return provider.StepChunk, nil
		}
	case "thinking":
		if !b.Thinking.IsNull() && string(b.Thinking) != `""` {
			chunk(st, out).Delta.ReasoningContent = b.Thinking
			return provider.StepChunk, nil
		}
	case "redacted_thinking":
		if b.Data.IsNull() {
			return provider.StepSkip, nil
		}
		tb := append(make([]byte, 0, len(b.Data)+40), '[')
		tb = appendThinkingBlock(tb, b)
		chunk(st, out).Delta.SetExtra(extraThinkingBlocks, append(tb, ']'))
		return provider.StepChunk, nil
	default:
		// A block only Anthropic's shape carries (server_tool_use, web_search_tool_result,
		// ...): relayed as it came, for an Anthropic client (see extraBlockStart).
		if raw := member(data, "content_block"); raw != nil {
			chunk(st, out).Delta.SetExtra(extraBlockStart, raw)
			return provider.StepChunk, nil
		}
	}
	return provider.StepSkip, nil
}

// blockDelta reads content_block_delta: text, thinking, a thinking signature, or a piece of a
// tool call's input.
func blockDelta(data []byte, st *provider.StreamState, out *schemas.ChatStreamChunk) (provider.Step, error) {
	var e ContentBlockDeltaEvent
	if err := e.decode(data); err != nil {
		return provider.StepError, err
	}
	d := &e.Delta
	switch d.Type {
	case "text_delta":
		if d.Text.IsNull() {
			return provider.StepSkip, nil
		}
		chunk(st, out).Delta.Content.Text = d.Text
	case "thinking_delta":
		if d.Thinking.IsNull() {
			return provider.StepSkip, nil
		}
		chunk(st, out).Delta.ReasoningContent = d.Thinking
	case "signature_delta":
		if d.Signature.IsNull() || string(d.Signature) == `""` {
			return provider.StepSkip, nil
		}
		const head = `[{"type":"thinking","thinking":"","signature":`
		tb := append(make([]byte, 0, len(head)+len(d.Signature)+2), head...)
		tb = append(append(tb, d.Signature...), '}', ']')
		chunk(st, out).Delta.SetExtra(extraThinkingBlocks, tb)
	case "input_json_delta":
		i := st.ToolIndex(e.Index)
		if d.PartialJSON.IsNull() || string(d.PartialJSON) == `""` {
			return provider.StepSkip, nil
		}
		if i < 0 {
			return rawDelta(data, st, out) // the input of a server tool's call
		}
		ch := chunk(st, out)
		ch.Delta.ToolCalls = append(ch.Delta.ToolCalls, schemas.ToolCall{Function: schemas.FunctionCall{Arguments: d.PartialJSON}})
		ch.Delta.ToolCalls[0].Index = opt.OInt(i)
	default:
		return rawDelta(data, st, out) // citations_delta, ...
	}
	return provider.StepChunk, nil
}

// rawDelta relays a delta the unified schema has no place for as it came (see extraDelta).
func rawDelta(data []byte, st *provider.StreamState, out *schemas.ChatStreamChunk) (provider.Step, error) {
	raw := member(data, "delta")
	if raw == nil {
		return provider.StepSkip, nil
	}
	chunk(st, out).Delta.SetExtra(extraDelta, raw)
	return provider.StepChunk, nil
}

// messageDelta reads message_delta: the output usage and the stop reason.
func messageDelta(data []byte, st *provider.StreamState, out *schemas.ChatStreamChunk) (provider.Step, error) {
	var e MessageDeltaEvent
	if err := e.decode(data); err != nil {
		return provider.StepError, err
	}
	u := &e.Usage
	st.CompletionTokens = u.OutputTokens
	if u.InputTokens.IsDefined() || u.CacheReadInputTokens.IsDefined() || u.CacheCreationInputTokens.IsDefined() {
		input := st.PromptTokens - st.CachedTokens - st.CacheWriteTokens
		if u.InputTokens.IsDefined() {
			input = u.InputTokens.V
		}
		if u.CacheReadInputTokens.IsDefined() {
			st.CachedTokens = u.CacheReadInputTokens.V
		}
		if u.CacheCreationInputTokens.IsDefined() {
			st.CacheWriteTokens = u.CacheCreationInputTokens.V
		}
		st.PromptTokens = input + st.CachedTokens + st.CacheWriteTokens
	}
	if u.OutputTokensDetails.ThinkingTokens != 0 {
		st.ReasoningTokens = u.OutputTokensDetails.ThinkingTokens
	}
	if e.Delta.StopReason == "" {
		return provider.StepSkip, nil
	}
	st.Finish = FinishReason(e.Delta.StopReason)
	ch := chunk(st, out)
	ch.FinishReason = schemas.NullString(st.Finish)
	setStopSequence(&ch.Extras, e.Delta.StopReason, e.Delta.StopSequence)
	return provider.StepChunk, nil
}

// messageStop ends the stream with the usage chunk.
func messageStop(st *provider.StreamState, out *schemas.ChatStreamChunk) (provider.Step, error) {
	head(st, out)
	if out.Choices == nil {
		out.Choices = []schemas.ChatStreamChoice{}
	}
	input := st.PromptTokens - st.CachedTokens - st.CacheWriteTokens
	SetUsage(&out.Usage, input, st.CachedTokens, st.CacheWriteTokens, st.CompletionTokens, st.ReasoningTokens)
	return provider.StepChunk, nil
}

// head sets the members every chunk of the stream shares, with no choices.
func head(st *provider.StreamState, out *schemas.ChatStreamChunk) {
	out.ID = st.ID()
	out.Object = "chat.completion.chunk"
	out.Created = st.Created
	out.Model = st.Model()
	out.Choices = out.Choices[:0]
}

// chunk sets up out as a chunk with one choice and returns the choice.
func chunk(st *provider.StreamState, out *schemas.ChatStreamChunk) *schemas.ChatStreamChoice {
	head(st, out)
	out.Choices = append(out.Choices, schemas.ChatStreamChoice{})
	return &out.Choices[0]
}

// The decode methods read one event's data, which must be the whole of it, into the event.
// They are spelled out per type so that the event stays on the stack.

func (e *EventType) decode(data []byte) error {
	l := jlexer.Lexer{Data: data}
	e.UnmarshalEasyJSON(&l)
	l.Consumed()
	return l.Error()
}

func (e *MessageStartEvent) decode(data []byte) error {
	l := jlexer.Lexer{Data: data}
	e.UnmarshalEasyJSON(&l)
	l.Consumed()
	return l.Error()
}

func (e *ContentBlockStartEvent) decode(data []byte) error {
	l := jlexer.Lexer{Data: data}
	e.UnmarshalEasyJSON(&l)
	l.Consumed()
	return l.Error()
}

func (e *ContentBlockDeltaEvent) decode(data []byte) error {
	l := jlexer.Lexer{Data: data}
	e.UnmarshalEasyJSON(&l)
	l.Consumed()
	return l.Error()
}

func (e *MessageDeltaEvent) decode(data []byte) error {
	l := jlexer.Lexer{Data: data}
	e.UnmarshalEasyJSON(&l)
	l.Consumed()
	return l.Error()
}
