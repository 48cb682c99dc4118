package responses

import (
	"crypto/rand"
	"encoding/hex"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

// Response statuses.
const (
	StatusInProgress = "in_progress"
	StatusCompleted  = "completed"
	StatusIncomplete = "incomplete"
	StatusFailed     = "failed"
)

// Meta is a response's identity and what it echoes of its request.
type Meta struct {
	ID        string // resp_...
	CreatedAt int64  // Unix seconds
	Model     string // as the client named it
	Req       *Request
}

// NewID returns a new response id: "resp_" and 48 random hex digits.
func NewID() string {
	var b [24]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand.Read never fails (Go 1.24+)
	return "resp_" + hex.EncodeToString(b[:])
}

// idSuffix is the random part of a response id, which its items' ids share.
func idSuffix(id string) string {
	if len(id) > 5 && id[:5] == "resp_" {
		return id[5:]
	}
	return id
}

// Encoder writes a response's output items and the Response object around them. It is
// reusable: Reset keeps its buffers.
type Encoder struct {
	// out holds the finished output items, encoded and separated by commas.
	out []byte
	// items counts them; calls counts the function calls among them.
	items, calls int
	// status and reason are the response's status and incomplete reason.
	status, reason string
	usage          schemas.Usage
	w              jwriter.Writer
	scratch        []byte
}

// Reset empties e, keeping its buffers.
func (e *Encoder) Reset() {
	e.out = e.out[:0]
	e.items, e.calls = 0, 0
	e.status, e.reason = "", ""
	e.usage = schemas.Usage{}
}

// Output returns the output items encoded as a JSON array's members (no brackets).
func (e *Encoder) Output() []byte { return e.out }

// FromChat fills e with the output items, status and usage of a chat completion (its first
// choice).
func (e *Encoder) FromChat(meta *Meta, resp *schemas.ChatResponse) {
	e.Reset()
	setUsage(&e.usage, &resp.Usage)
	e.status = StatusCompleted
	if len(resp.Choices) == 0 {
		return
	}
	ch := &resp.Choices[0]
	e.status, e.reason = statusOf(string(ch.FinishReason))
	m := &ch.Message
	sfx := idSuffix(meta.ID)
	if blocks := ThinkingBlocks(&m.Extras); len(inner(m.ReasoningContent)) > 0 || blocks != nil {
		e.item(func(w *jwriter.Writer) { writeReasoning(w, sfx, inner(m.ReasoningContent), blocks) })
	}
	if texts := m.Content; texts.Text != nil && len(texts.Text) > 2 || len(texts.Parts) > 0 {
		e.item(func(w *jwriter.Writer) { writeMessage(w, sfx, StatusCompleted, &texts) })
	}
	for i := range m.ToolCalls {
		tc := &m.ToolCalls[i]
		n := e.calls
		e.item(func(w *jwriter.Writer) {
			writeCall(w, sfx, n, StatusCompleted, tc.ID, tc.Function.Name, inner(tc.Function.Arguments))
		})
		e.calls++
	}
}

// item appends one output item that write encodes.
func (e *Encoder) item(write func(w *jwriter.Writer)) {
	e.w = jwriter.Writer{}
	e.w.Buffer.Buf = e.scratch[:0]
	write(&e.w)
	b := e.w.Buffer.BuildBytes()
	if e.items > 0 {
		e.out = append(e.out, ',')
	}
	e.out = append(e.out, b...)
	e.scratch = b[:0]
	e.items++
}

// statusOf maps a chat finish reason to a response status and incomplete reason.
func statusOf(finish string) (status, reason string) {
	switch finish {
	case "length":
		return StatusIncomplete, "max_output_tokens"
	case "content_filter":
		return StatusIncomplete, "content_filter"
	}
	return StatusCompleted, ""
}

// setUsage copies the token counts of a chat usage.
func setUsage(dst, src *schemas.Usage) {
	*dst = schemas.Usage{PromptTokens: src.PromptTokens, CompletionTokens: src.CompletionTokens, TotalTokens: src.TotalTokens}
	dst.PromptTokensDetails.CachedTokens = src.PromptTokensDetails.CachedTokens
	dst.CompletionTokensDetails.ReasoningTokens = src.CompletionTokensDetails.ReasoningTokens
}

// inner returns a JSON string's bytes without its quotes (nil for null or absent).
func inner(t schemas.Text) []byte {
	if t.IsNull() || len(t) < 2 {
		return nil
	}
	return t[1 : len(t)-1]
}

// quoted writes b, the inside of a JSON string, as a string.
func quoted(w *jwriter.Writer, b []byte) {
	w.RawByte('"')
	w.Buffer.AppendBytes(b)
	w.RawByte('"')
}

func writeID(w *jwriter.Writer, prefix, sfx string, n int) {
	w.RawByte('"')
	w.RawString(prefix)
	w.RawString(sfx)
	if n >= 0 {
		w.RawByte('_')
		w.Int(n)
	}
	w.RawByte('"')
}

// extraThinking is the unified message member that carries a provider's own thinking
// blocks (Anthropic's, with their signatures), which it wants back in the next turn.
const extraThinking = "thinking_blocks"

// ThinkingBlocks returns the thinking_blocks member of a message or delta, or nil.
func ThinkingBlocks(e *schemas.Extras) schemas.Raw {
	for _, f := range e.ExtraFields() {
		if f.Key == extraThinking && len(f.Value) > 0 && f.Value[0] == '[' {
			return f.Value
		}
	}
	return nil
}

// writeReasoning writes a reasoning item: the thinking text as its summary, and the
// provider's thinking blocks, if any, as its encrypted_content (a JSON string holding them),
// which a client sends back as it is in the next turn.
func writeReasoning(w *jwriter.Writer, sfx string, text, blocks []byte) {
	w.RawString(`{"id":`)
	writeID(w, "rs_", sfx, -1)
	w.RawString(`,"type":"reasoning","summary":[`)
	if text != nil {
		w.RawString(`{"type":"summary_text","text":`)
		quoted(w, text)
		w.RawByte('}')
	}
	w.RawByte(']')
	if len(blocks) > 0 {
		w.RawString(`,"encrypted_content":`)
		w.String(string(blocks))
	}
	w.RawByte('}')
}

func writeMessage(w *jwriter.Writer, sfx, status string, content *schemas.MessageContent) {
	w.RawString(`{"id":`)
	writeID(w, "msg_", sfx, -1)
	w.RawString(`,"type":"message","status":"`)
	w.RawString(status)
	w.RawString(`","role":"assistant","content":[`)
	switch {
	case content == nil:
	case content.Parts != nil:
		n := 0
		for i := range content.Parts {
			if p := &content.Parts[i]; p.Type == "text" {
				if n > 0 {
					w.RawByte(',')
				}
				writeOutputText(w, inner(p.Text))
				n++
			}
		}
	default:
		writeOutputText(w, inner(content.Text))
	}
	w.RawString(`]}`)
}

func writeOutputText(w *jwriter.Writer, text []byte) {
	w.RawString(`{"type":"output_text","annotations":[],"logprobs":[],"text":`)
	quoted(w, text)
	w.RawByte('}')
}

func writeCall(w *jwriter.Writer, sfx string, n int, status, callID, name string, args []byte) {
	w.RawString(`{"id":`)
	writeID(w, "fc_", sfx, n)
	w.RawString(`,"type":"function_call","status":"`)
	w.RawString(status)
	w.RawString(`","arguments":`)
	quoted(w, args)
	w.RawString(`,"call_id":`)
	w.String(callID)
	w.RawString(`,"name":`)
	w.String(name)
	w.RawByte('}')
}
