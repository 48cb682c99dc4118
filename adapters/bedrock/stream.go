package bedrock

import (
	"bytes"

	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/opt"
)

// DecodeChatEvent converts one ConverseStream event (its :event-type in ev.Name, its JSON
// payload in ev.Data) into an OpenAI chunk:
//
//	messageStart                     -> the role chunk: {"role":"assistant","content":""}
//	contentBlockStart with toolUse   -> a tool call's first chunk: index, id, type, name, ""
//	contentBlockDelta text           -> a content chunk
//	contentBlockDelta toolUse.input  -> a tool call's arguments fragment
//	contentBlockDelta reasoningContent.text -> a reasoning_content chunk
//	messageStop                      -> the finish chunk, finish_reason mapped as in DecodeChat
//	metadata                         -> the usage chunk (no choices)
//	contentBlockStop, others         -> nothing
//	*Exception (an exception message's :exception-type) -> StepError
//
// The stream ends when the body does, after metadata.
func (Codec) DecodeChatEvent(ev provider.Event, st *provider.StreamState, out *schemas.ChatStreamChunk) (provider.Step, error) {
	if bytes.HasSuffix(ev.Name, []byte("Exception")) {
		return provider.StepError, nil
	}
	l := jlexer.Lexer{Data: ev.Data}
	var step provider.Step
	switch string(ev.Name) {
	case "messageStart":
		st.Role = true
		d := &choice(st, out).Delta
		d.Role, d.Content.Text = "assistant", emptyText
		step = provider.StepChunk
	case "contentBlockStart":
		var e blockStartEvent
		e.UnmarshalEasyJSON(&l)
		tu := &e.Start.ToolUse
		if tu.ToolUseID == "" {
			break
		}
		d := &choice(st, out).Delta
		d.ToolCalls = append(d.ToolCalls[:0], schemas.ToolCall{ID: tu.ToolUseID, Type: "function",
			Function: schemas.FunctionCall{Name: tu.Name, Arguments: emptyText}})
		d.ToolCalls[0].Index = opt.OInt(st.BeginTool(e.ContentBlockIndex))
		step = provider.StepChunk
	case "contentBlockDelta":
		var e blockDeltaEvent
		e.UnmarshalEasyJSON(&l)
		switch {
		case e.Delta.Text != nil && !e.Delta.Text.IsNull():
			choice(st, out).Delta.Content.Text = e.Delta.Text
			step = provider.StepChunk
		case e.Delta.ToolUse.Input != nil && !e.Delta.ToolUse.Input.IsNull() && string(e.Delta.ToolUse.Input) != `""`:
			idx := st.ToolIndex(e.ContentBlockIndex)
			if idx < 0 {
				break // input of a block that did not start a tool call
			}
			d := &choice(st, out).Delta
			d.ToolCalls = append(d.ToolCalls[:0], schemas.ToolCall{Function: schemas.FunctionCall{Arguments: e.Delta.ToolUse.Input}})
			d.ToolCalls[0].Index = opt.OInt(idx)
			step = provider.StepChunk
		case e.Delta.ReasoningContent.Text != nil && !e.Delta.ReasoningContent.Text.IsNull():
			choice(st, out).Delta.ReasoningContent = e.Delta.ReasoningContent.Text
			step = provider.StepChunk
		}
	case "messageStop":
		var e messageStopEvent
		e.UnmarshalEasyJSON(&l)
		st.Finish = FinishReason(e.StopReason)
		if st.Finish == "" {
			st.Finish = "stop"
		}
		choice(st, out).FinishReason = schemas.NullString(st.Finish)
		step = provider.StepChunk
	case "metadata":
		var e metadataEvent
		e.UnmarshalEasyJSON(&l)
		header(st, out)
		out.Choices = out.Choices[:0]
		if out.Choices == nil {
			out.Choices = []schemas.ChatStreamChoice{}
		}
		st.PromptTokens = e.Usage.InputTokens + e.Usage.CacheReadInputTokens + e.Usage.CacheWriteInputTokens
		st.CompletionTokens, st.CachedTokens, st.CacheWriteTokens = e.Usage.OutputTokens, e.Usage.CacheReadInputTokens, e.Usage.CacheWriteInputTokens
		setUsage(&out.Usage, &e.Usage)
		step = provider.StepChunk
	}
	if err := l.Error(); err != nil {
		return provider.StepSkip, err
	}
	return step, nil
}

// header sets a chunk's id, object, creation time and model from the stream's state.
func header(st *provider.StreamState, out *schemas.ChatStreamChunk) {
	out.ID, out.Object, out.Created, out.Model = st.ID(), "chat.completion.chunk", st.Created, st.Model()
}

// choice starts a chunk with one choice and returns it.
func choice(st *provider.StreamState, out *schemas.ChatStreamChunk) *schemas.ChatStreamChoice {
	header(st, out)
	out.Choices = append(out.Choices[:0], schemas.ChatStreamChoice{})
	return &out.Choices[0]
}
