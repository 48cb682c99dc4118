package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"

	"github.com/bifrost-gw/bifrost/adapters/convert"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
)

// FinishReason maps an Anthropic stop_reason to OpenAI's finish_reason
// (https://docs.anthropic.com/en/api/handling-stop-reasons): end_turn, stop_sequence and
// pause_turn stop; max_tokens and model_context_window_exceeded are length; tool_use is
// tool_calls; refusal is content_filter. An unknown reason is stop.
func FinishReason(stop string) string {
	switch stop {
	case "max_tokens", "model_context_window_exceeded":
		return "length"
	case "tool_use":
		return "tool_calls"
	case "refusal":
		return "content_filter"
	case "":
		return ""
	}
	return "stop"
}

// SetUsage fills OpenAI's usage from Anthropic's counts: the prompt is the input tokens plus
// the tokens read from and written to the prompt cache; cached_tokens are those read;
// cache_creation_input_tokens (LiteLLM's member, schemas.Usage) those written;
// reasoning_tokens are the thinking tokens.
func SetUsage(out *schemas.Usage, input, cacheRead, cacheWrite, output, thinking int) {
	out.PromptTokens = input + cacheRead + cacheWrite
	out.CompletionTokens = output
	out.TotalTokens = out.PromptTokens + output
	out.PromptTokensDetails.CachedTokens = cacheRead
	out.CacheCreationInputTokens = cacheWrite
	out.CompletionTokensDetails.ReasoningTokens = thinking
}

// setStopSequence keeps the stop sequence that ended a choice (Anthropic's stop_sequence, an
// encoded string borrowed from the body) as the choice's stop_reason member, the name vLLM
// gives the matched stop string; the drop-in endpoint answers it back as stop_sequence.
// Nothing is set for another stop reason or a null sequence.
func setStopSequence(e *schemas.Extras, stop string, seq schemas.Text) {
	if stop == "stop_sequence" && len(seq) > 1 && seq[0] == '"' {
		e.SetExtra(extraStopReason, schemas.Raw(seq))
	}
}

// DecodeChat reads a Messages API response into a unified chat completion, borrowing from
// body. One text block and one thinking block are borrowed as they are; several are joined
// (which allocates), and tool_use inputs are encoded as argument strings (one allocation per
// tool call).
func (Codec) DecodeChat(body []byte, out *schemas.ChatResponse) error {
	out.Object = "chat.completion"
	out.Created = time.Now().Unix()
	out.Choices = append(out.Choices[:0], schemas.ChatChoice{})
	msg := &out.Choices[0].Message
	msg.Role = "assistant"
	var usage Usage
	stop := ""
	var stopSeq schemas.Text
	l := jlexer.Lexer{Data: body}
	for key := range convert.Fields(&l) {
		if l.IsNull() {
			l.Skip()
			continue
		}
		switch key {
		case "id":
			out.ID = l.UnsafeString()
		case "model":
			out.Model = l.UnsafeString()
		case "stop_reason":
			stop = l.UnsafeString()
		case "stop_sequence":
			stopSeq.UnmarshalEasyJSON(&l)
		case "usage":
			usage.UnmarshalEasyJSON(&l)
		case "content":
			decodeContent(&l, msg)
		default:
			l.SkipRecursive()
		}
	}
	l.Consumed()
	if err := l.Error(); err != nil {
		return err
	}
	if msg.Content.Text == nil && len(msg.ToolCalls) > 0 {
		msg.Content.Text = convert.ViewBytes("null") // as OpenAI answers a tool call
	}
	out.Choices[0].FinishReason = schemas.NullString(FinishReason(stop))
	setStopSequence(&out.Choices[0].Extras, stop, stopSeq)
	SetUsage(&out.Usage, usage.InputTokens, usage.CacheReadInputTokens, usage.CacheCreationInputTokens,
		usage.OutputTokens, usage.OutputTokensDetails.ThinkingTokens)
	return nil
}

// decodeContent reads the content blocks into msg: text into content, thinking into
// reasoning_content (with the blocks themselves in thinking_blocks, for the next turn),
// tool_use into tool_calls. Blocks the unified schema has no place for (server tools' use
// and results, such as server_tool_use and web_search_tool_result, and text with
// citations) are skipped there; the whole content array is then also kept as it came, in
// the message's extraContent, for Outbound to answer an Anthropic client with.
func decodeContent(outer *jlexer.Lexer, msg *schemas.ChatMessage) {
	// The blocks are read from outer itself and the array's bytes taken from its positions:
	// Raw would scan the array twice more (its end, then encoding/json.Valid).
	l := outer
	var thinking []byte // thinking_blocks, built only when the response has any
	native := false     // a block only Anthropic's shape can carry
	l.Delim('[')
	start := l.GetPos() - 1
	for !l.IsDelim(']') && l.Ok() {
		var b ResponseBlock
		b.UnmarshalEasyJSON(l)
		switch b.Type {
		case "text", "thinking", "redacted_thinking", "tool_use":
		default:
			native = true
		}
		switch b.Type {
		case "text":
			msg.Content.Text = convert.JoinText(msg.Content.Text, b.Text)
		case "thinking", "redacted_thinking":
			if b.Type == "thinking" {
				msg.ReasoningContent = convert.JoinText(msg.ReasoningContent, b.Thinking)
			}
			if len(thinking) == 0 {
				thinking = append(thinking, '[')
			} else {
				thinking = append(thinking, ',')
			}
			thinking = appendThinkingBlock(thinking, &b)
		case "tool_use":
			args := convert.ViewBytes(`"{}"`)
			if len(b.Input) > 0 {
				args = convert.QuoteJSON(b.Input, convert.ToolArguments)
			}
			msg.ToolCalls = append(msg.ToolCalls, schemas.ToolCall{
				ID: b.ID, Type: "function", Function: schemas.FunctionCall{Name: b.Name, Arguments: args},
			})
		}
		l.WantComma()
	}
	l.Delim(']')
	if !l.Ok() {
		return
	}
	raw := l.Data[start:l.GetPos()]
	if len(thinking) > 0 {
		msg.SetExtra(extraThinkingBlocks, append(thinking, ']'))
	}
	if native || bytes.Contains(raw, []byte(`"citations":[`)) {
		// Kept as it came, so it is checked here: the lexer skips the members of a block
		// that it does not know without validating them. Text-only answers skip the check.
		if !json.Valid(raw) {
			l.AddError(&jlexer.LexerError{Reason: "invalid JSON in the content blocks", Offset: start})
			return
		}
		msg.SetExtra(extraContent, raw)
	}
}

// appendThinkingBlock appends a thinking or redacted_thinking block as Anthropic wants it
// back in the next turn.
func appendThinkingBlock(dst []byte, b *ResponseBlock) []byte {
	if b.Type == "redacted_thinking" {
		dst = append(dst, `{"type":"redacted_thinking","data":`...)
		dst = appendText(dst, b.Data)
		return append(dst, '}')
	}
	dst = append(dst, `{"type":"thinking","thinking":`...)
	dst = appendText(dst, b.Thinking)
	dst = append(dst, `,"signature":`...)
	dst = appendText(dst, b.Signature)
	return append(dst, '}')
}

// appendText appends an encoded string, "" when it is null or absent.
func appendText(dst []byte, t schemas.Text) []byte {
	if t.IsNull() {
		return append(dst, `""`...)
	}
	return append(dst, t...)
}

// DecodeModels reads GET /v1/models (https://docs.anthropic.com/en/api/models-list) into
// OpenAI's model list, with created from created_at.
func (Codec) DecodeModels(body []byte, out *schemas.ModelList) error {
	var list ModelList
	if err := schemas.Decode(body, &list); err != nil {
		return err
	}
	if list.Data == nil {
		return errors.New(`the model list has no "data"`)
	}
	out.Object = "list"
	out.Data = out.Data[:0]
	for _, m := range list.Data {
		var created int64
		if t, err := time.Parse(time.RFC3339, m.CreatedAt); err == nil {
			created = t.Unix()
		}
		out.Data = append(out.Data, schemas.Model{ID: m.ID, Object: "model", Created: created, OwnedBy: "anthropic"})
	}
	return nil
}

// DecodeError reads Anthropic's error body, {"type":"error","error":{"type":...,
// "message":...}} (https://docs.anthropic.com/en/api/errors), into the unified error: the
// message as sent, OpenAI's type for Anthropic's (api_error and overloaded_error are server
// errors, request_too_large an invalid request) and Anthropic's type as the code. Other
// bodies (a proxy's, say) are read as convert.DecodeOpenAIError reads them.
func (Codec) DecodeError(status int, body []byte, out *schemas.ErrorBody) {
	var e ErrorResponse
	l := jlexer.Lexer{Data: body}
	e.UnmarshalEasyJSON(&l)
	if l.Error() != nil || e.Error.Message == "" {
		convert.DecodeOpenAIError(status, body, out)
		return
	}
	*out = schemas.ErrorBody{Message: e.Error.Message, Code: schemas.NullString(e.Error.Type)}
	switch e.Error.Type {
	case schemas.ErrInvalidRequest, schemas.ErrAuthentication, schemas.ErrPermission, schemas.ErrNotFound, schemas.ErrRateLimit:
		out.Type = e.Error.Type
	case "request_too_large":
		out.Type = schemas.ErrInvalidRequest
	case "api_error", "overloaded_error", "timeout_error":
		out.Type = schemas.ErrServer
	default:
		out.Type = convert.TypeForStatus(status)
	}
}
