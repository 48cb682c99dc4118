package cohere

import (
	"github.com/bifrost-gw/bifrost/adapters/convert"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/opt"
)

// emptyText is the JSON string "", the content of OpenAI's first, role-only chunk.
var emptyText = schemas.Text(`""`)

// DecodeChatEvent reads one event of a v2 chat stream
// (https://docs.cohere.com/reference/chat-stream) into out:
//
//   - message-start: the role chunk ({"role":"assistant","content":""}); the stream's id
//     becomes Cohere's message id.
//   - content-delta: a content chunk (reasoning_content for a thinking block).
//   - tool-plan-delta: a content chunk, as the tool plan is the message's text in the
//     OpenAI shape (see DecodeChat).
//   - tool-call-start: a tool_calls chunk with the call's index, id, type and name.
//   - tool-call-delta: a tool_calls chunk with a piece of the arguments.
//   - message-end: the last chunk, an empty delta with the finish reason and the usage; a
//     generation that failed (finish_reason ERROR) is StepError, its data read by DecodeError.
//   - content-start, content-end, tool-call-end, citation-start, citation-end, debug and
//     unknown events: skipped.
//
// The event type is read from the data's "type" (the SSE event name carries the same).
// Decoding allocates nothing but a tool call's one-element list.
func (Codec) DecodeChatEvent(ev provider.Event, st *provider.StreamState, out *schemas.ChatStreamChunk) (provider.Step, error) {
	var e streamEvent
	l := jlexer.Lexer{Data: ev.Data}
	e.UnmarshalEasyJSON(&l)
	l.Consumed()
	if err := l.Error(); err != nil {
		return provider.StepError, err
	}
	typ := e.Type
	if typ == "" {
		typ = string(ev.Name) // does not escape: compared only
	}
	m := &e.Delta.Message
	switch typ {
	case "message-start":
		if e.ID != "" {
			st.SetID(convert.ViewBytes(e.ID)) // copied by SetID
		}
		c := chunk(st, out)
		c.Delta.Content.Text = emptyText
	case "content-delta":
		c := chunk(st, out)
		if m.Content.Type == "thinking" || (m.Content.Thinking != nil && m.Content.Text == nil) {
			c.Delta.ReasoningContent = m.Content.Thinking
		} else {
			c.Delta.Content.Text = m.Content.Text
		}
	case "tool-plan-delta":
		chunk(st, out).Delta.Content.Text = m.ToolPlan
	case "tool-call-start":
		c := chunk(st, out)
		c.Delta.ToolCalls = []schemas.ToolCall{{ID: m.ToolCalls.ID, Type: "function",
			Function: schemas.FunctionCall{Name: m.ToolCalls.Function.Name, Arguments: orEmpty(m.ToolCalls.Function.Arguments)}}}
		c.Delta.ToolCalls[0].Index = opt.OInt(st.BeginTool(e.Index))
	case "tool-call-delta":
		i := st.ToolIndex(e.Index)
		if i < 0 {
			i = st.BeginTool(e.Index)
		}
		c := chunk(st, out)
		c.Delta.ToolCalls = []schemas.ToolCall{{Function: schemas.FunctionCall{Arguments: m.ToolCalls.Function.Arguments}}}
		c.Delta.ToolCalls[0].Index = opt.OInt(i)
	case "message-end":
		if e.Delta.FinishReason == "ERROR" {
			return provider.StepError, nil
		}
		c := chunk(st, out)
		c.FinishReason = schemas.NullString(FinishReason(e.Delta.FinishReason))
		if c.FinishReason == "" {
			c.FinishReason = "stop"
		}
		mapUsage(&e.Delta.Usage, &out.Usage)
		st.Finish = string(c.FinishReason)
	default:
		return provider.StepSkip, nil
	}
	return provider.StepChunk, nil
}

// chunk fills out's envelope from the stream's state and returns its one choice. The first
// chunk of a stream carries the assistant role.
func chunk(st *provider.StreamState, out *schemas.ChatStreamChunk) *schemas.ChatStreamChoice {
	out.ID, out.Object, out.Created, out.Model = st.ID(), "chat.completion.chunk", st.Created, st.Model()
	out.Choices = append(out.Choices[:0], schemas.ChatStreamChoice{})
	c := &out.Choices[0]
	if !st.Role {
		c.Delta.Role = "assistant"
		st.Role = true
	}
	return c
}

// orEmpty returns t, or the JSON string "" when t is absent.
func orEmpty(t schemas.Text) schemas.Text {
	if t.IsNull() {
		return emptyText
	}
	return t
}
