package anthropic

import (
	"bytes"
	"encoding/json"

	"github.com/bifrost-gw/bifrost/adapters/convert"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

// Outbound writes unified responses in Anthropic's shapes for the gateway's native
// /anthropic/v1/messages endpoint: a chat completion as a Message (EncodeMessage), a
// stream's chunks as Anthropic's server-sent events (StreamChunk, StreamEnd, StreamError)
// and failures as Anthropic's error body (EncodeError). A pooled Outbound allocates nothing
// once its scratch buffer has grown; it serves one response at a time (Reset).
type Outbound struct {
	buf []byte // unescaped tool arguments; the stream's id, model and stop sequence
	st  streamState
}

// Block kinds of the stream's open content block.
const (
	blockNone uint8 = iota
	blockText
	blockThinking
	blockTool
	blockRedacted
	blockRaw // a block relayed as Anthropic sent it
)

// streamState tracks one stream: whether message_start went out, the open content block,
// and what the closing message_delta reports.
type streamState struct {
	started bool
	kind    uint8 // the open block's kind, blockNone when none is open
	index   int   // the open block's index
	next    int   // the next block's index
	tool    int   // the open tool_use block's OpenAI tool_calls index
	finish  string
	stopSeq []byte // the matched stop sequence, encoded, kept in buf
	usage   usageCounts
}

type usageCounts struct {
	input, output, cacheRead, cacheWrite int
	set                                  bool
}

// Reset prepares o for the next response.
func (o *Outbound) Reset() {
	if cap(o.buf) > maxKept {
		o.buf = nil
	}
	o.buf = o.buf[:0]
	o.st = streamState{}
}

// StopReason maps OpenAI's finish_reason to Anthropic's stop_reason: stop is end_turn (or
// stop_sequence when the provider named the matched sequence), length is max_tokens,
// tool_calls (and the older function_call) is tool_use, content_filter is refusal.
func StopReason(finish string, stopSeq bool) string {
	switch finish {
	case "length":
		return "max_tokens"
	case "tool_calls", "function_call":
		return "tool_use"
	case "content_filter":
		return "refusal"
	}
	if stopSeq {
		return "stop_sequence"
	}
	return "end_turn"
}

// extraStopReason is the member of a unified choice that carries what OpenAI's shape has no
// field for: the matched stop sequence (a choice's stop_reason, as vLLM names it; DecodeChat
// and DecodeChatEvent set it from Anthropic's stop_sequence). The tokens written to the
// prompt cache have a field of their own, schemas.Usage.CacheCreationInputTokens.
const extraStopReason = "stop_reason"

// matchedStop returns the stop sequence a choice names, encoded, or nil.
func matchedStop(e *schemas.Extras) schemas.Raw {
	if v := extra(e, extraStopReason); len(v) > 1 && v[0] == '"' {
		return v
	}
	return nil
}

// countsOf splits a unified usage into Anthropic's counts: input tokens are the prompt's
// without those read from or written to the cache.
func countsOf(u *schemas.Usage) usageCounts {
	c := usageCounts{output: u.CompletionTokens, cacheRead: u.PromptTokensDetails.CachedTokens, cacheWrite: u.CacheCreationInputTokens, set: true}
	c.input = u.PromptTokens - c.cacheRead - c.cacheWrite
	if c.input < 0 {
		c.input = 0
	}
	return c
}

func writeUsage(w *jwriter.Writer, u usageCounts) {
	w.RawString(`{"input_tokens":`)
	w.Int(u.input)
	w.RawString(`,"cache_creation_input_tokens":`)
	w.Int(u.cacheWrite)
	w.RawString(`,"cache_read_input_tokens":`)
	w.Int(u.cacheRead)
	w.RawString(`,"output_tokens":`)
	w.Int(u.output)
	w.RawByte('}')
}

// EncodeMessage writes the first choice of a unified chat completion as an Anthropic
// Message (https://docs.anthropic.com/en/api/messages): thinking, text and tool_use blocks,
// stop_reason and stop_sequence, and usage with the cache tokens. model is written when the
// response names none.
func (o *Outbound) EncodeMessage(w *jwriter.Writer, r *schemas.ChatResponse, model string) {
	w.RawString(`{"id":`)
	writeID(w, r.ID)
	w.RawString(`,"type":"message","role":"assistant","model":`)
	if r.Model != "" {
		model = r.Model
	}
	w.String(model)
	w.RawString(`,"content":[`)
	finish := ""
	var stop schemas.Raw
	if len(r.Choices) > 0 {
		ch := &r.Choices[0]
		o.writeBlocks(w, &ch.Message)
		finish = string(ch.FinishReason)
		stop = matchedStop(&ch.Extras)
	}
	w.RawString(`],"stop_reason":"`)
	w.RawString(StopReason(finish, stop != nil && finish == "stop"))
	w.RawString(`","stop_sequence":`)
	if stop != nil && finish == "stop" {
		w.Raw(stop, nil)
	} else {
		w.RawString("null")
	}
	w.RawString(`,"usage":`)
	writeUsage(w, countsOf(&r.Usage))
	w.RawByte('}')
}

// writeID writes a message id, or a placeholder when the provider sent none (the SDKs
// require one).
func writeID(w *jwriter.Writer, id string) {
	if id == "" {
		w.RawString(`"msg_bifrost"`)
		return
	}
	w.String(id)
}

// writeBlocks writes a message's content blocks: thinking (Anthropic's own blocks, with
// their signatures, when the provider was Anthropic; else the reasoning text), text (and a
// refusal, as text), then one tool_use per tool call. An answer from Anthropic with blocks
// only its shape carries (server tools, citations) is written as it came.
func (o *Outbound) writeBlocks(w *jwriter.Writer, m *schemas.ChatMessage) {
	if raw := extra(&m.Extras, extraContent); len(raw) > 2 && raw[0] == '[' {
		// Anthropic's own answer, with server tool blocks or citations: as it came.
		w.Raw(bytes.TrimSpace(raw[1:len(raw)-1]), nil)
		return
	}
	first := true
	sep := func() {
		if !first {
			w.RawByte(',')
		}
		first = false
	}
	if tb := extra(&m.Extras, extraThinkingBlocks); len(tb) > 2 && tb[0] == '[' {
		sep()
		w.Raw(bytes.TrimSpace(tb[1:len(tb)-1]), nil)
	} else if !m.ReasoningContent.IsNull() && string(m.ReasoningContent) != `""` {
		sep()
		w.RawString(`{"type":"thinking","thinking":`)
		w.Raw(m.ReasoningContent, nil)
		w.RawString(`,"signature":""}`)
	}
	if m.Content.Parts != nil {
		for i := range m.Content.Parts {
			if p := &m.Content.Parts[i]; p.Type == "text" && !p.Text.IsNull() {
				sep()
				w.RawString(`{"type":"text","text":`)
				w.Raw(p.Text, nil)
				w.RawByte('}')
			}
		}
	} else if t := m.Content.Text; !t.IsNull() && string(t) != `""` {
		sep()
		w.RawString(`{"type":"text","text":`)
		w.Raw(t, nil)
		w.RawByte('}')
	}
	if !m.Refusal.IsNull() && string(m.Refusal) != `""` {
		sep()
		w.RawString(`{"type":"text","text":`)
		w.Raw(m.Refusal, nil)
		w.RawByte('}')
	}
	for i := range m.ToolCalls {
		tc := &m.ToolCalls[i]
		sep()
		w.RawString(`{"type":"tool_use","id":`)
		w.String(tc.ID)
		w.RawString(`,"name":`)
		w.String(tc.Function.Name)
		w.RawString(`,"input":`)
		w.Raw(o.input(tc.Function.Arguments), nil)
		w.RawByte('}')
	}
}

// input returns a tool call's arguments (a JSON string holding a JSON object) as the object
// itself, unescaped into o's buffer; {} when they are empty or not one JSON object (a
// model's malformed arguments must not break the response around them).
func (o *Outbound) input(args schemas.Text) []byte {
	if len(args) < 2 || args[0] != '"' || string(args) == `""` {
		return convert.ViewBytes("{}")
	}
	start := len(o.buf)
	var ok bool
	o.buf, ok = convert.AppendUnescaped(o.buf, args[1:len(args)-1])
	obj := bytes.TrimSpace(o.buf[start:])
	if !ok || len(obj) == 0 || obj[0] != '{' || !json.Valid(obj) {
		o.buf = o.buf[:start]
		return convert.ViewBytes("{}")
	}
	return obj
}

// EncodeError writes Anthropic's error body, {"type":"error","error":{"type":T,"message":M}}
// (https://docs.anthropic.com/en/api/errors), for a gateway or provider error with status.
func EncodeError(w *jwriter.Writer, status int, e *schemas.ErrorBody) {
	w.RawString(`{"type":"error","error":{"type":"`)
	w.RawString(ErrorType(status, e))
	w.RawString(`","message":`)
	w.String(e.Message)
	w.RawString(`}}`)
}

// ErrorType returns Anthropic's error type for a unified error: the provider's own
// Anthropic type when it sent one (kept as the code), else the one Anthropic uses for the
// status (400 invalid_request_error, 401 authentication_error, 403 permission_error,
// 404 not_found_error, 413 request_too_large, 429 rate_limit_error, 504 timeout_error,
// 529 overloaded_error, other 5xx api_error).
func ErrorType(status int, e *schemas.ErrorBody) string {
	switch c := string(e.Code); c {
	case "invalid_request_error", "authentication_error", "permission_error", "not_found_error",
		"request_too_large", "rate_limit_error", "api_error", "overloaded_error", "timeout_error":
		return c
	}
	switch status {
	case 401:
		return "authentication_error"
	case 403:
		return "permission_error"
	case 404:
		return "not_found_error"
	case 413:
		return "request_too_large"
	case 429:
		return "rate_limit_error"
	case 504, 408:
		return "timeout_error"
	case 529:
		return "overloaded_error"
	}
	if status >= 500 {
		if e.Type == schemas.ErrTimeout {
			return "timeout_error"
		}
		return "api_error"
	}
	return "invalid_request_error"
}
