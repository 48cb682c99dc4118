package anthropic

import (
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

// The stream side of Outbound: a unified chunk stream written as Anthropic's server-sent
// events (https://docs.anthropic.com/en/docs/build-with-claude/streaming):
//
//	message_start                      before anything else, with the id and model
//	content_block_start / _delta / _stop
//	                                   one block per run of reasoning (thinking, ended by its
//	                                   signature_delta when the delta's thinking_blocks carry
//	                                   one), per redacted_thinking block, per run of text, or
//	                                   per tool call (tool_use, with input_json_delta pieces),
//	                                   and, as Anthropic sent them, per block only its shape
//	                                   carries (server tools' use and results)
//	message_delta                      stop_reason, stop_sequence and the usage, at the end
//	message_stop
//
// Each event is "event: <type>\ndata: <json>\n\n". A block closes when another kind of
// content starts or the choice finishes; the usage, which OpenAI-shaped providers send after
// the finish, goes into the closing message_delta.

func event(w *jwriter.Writer, name string) {
	w.RawString("event: ")
	w.RawString(name)
	w.RawString("\ndata: ")
}

const eventEnd = "\n\n"

// StreamChunk writes the events for one unified chunk. model is written in message_start
// when the chunk names none.
func (o *Outbound) StreamChunk(w *jwriter.Writer, c *schemas.ChatStreamChunk, model string) {
	st := &o.st
	if c.Usage.IsDefined() {
		st.usage = countsOf(&c.Usage)
	}
	if !st.started {
		o.start(w, c.ID, c.Model, model)
	}
	if len(c.Choices) == 0 {
		return
	}
	ch := &c.Choices[0]
	d := &ch.Delta
	reasoning := !d.ReasoningContent.IsNull() && string(d.ReasoningContent) != `""`
	if reasoning {
		o.open(w, blockThinking, -1, "", "")
		o.delta(w, "thinking_delta", "thinking", d.ReasoningContent)
	}
	if tb := extra(&d.Extras, extraThinkingBlocks); len(tb) > 2 && tb[0] == '[' {
		o.thinkingBlocks(w, tb, reasoning)
	}
	if raw := extra(&d.Extras, extraBlockStart); raw != nil {
		o.rawStart(w, raw)
	}
	if t := d.Content.Text; !t.IsNull() && string(t) != `""` {
		o.open(w, blockText, -1, "", "")
		o.delta(w, "text_delta", "text", t)
	}
	if raw := extra(&d.Extras, extraDelta); raw != nil {
		o.rawDelta(w, raw)
	}
	if t := d.Refusal; !t.IsNull() && string(t) != `""` {
		o.open(w, blockText, -1, "", "")
		o.delta(w, "text_delta", "text", t)
	}
	for i := range d.ToolCalls {
		tc := &d.ToolCalls[i]
		idx := i
		if tc.Index.IsDefined() {
			idx = tc.Index.V
		}
		o.open(w, blockTool, idx, tc.ID, tc.Function.Name)
		if a := tc.Function.Arguments; !a.IsNull() && string(a) != `""` {
			o.delta(w, "input_json_delta", "partial_json", a)
		}
	}
	if ch.FinishReason != "" {
		st.finish = string(ch.FinishReason)
		if s := matchedStop(&ch.Extras); s != nil {
			start := len(o.buf)
			o.buf = append(o.buf, s...)
			st.stopSeq = o.buf[start:len(o.buf):len(o.buf)]
		}
		o.close(w)
	}
}

// thinkingBlocks writes what a delta's thinking_blocks carry (Anthropic's blocks as
// DecodeChatEvent relays them, or LiteLLM's): a thinking block's signature becomes a
// signature_delta that ends the open thinking block, its text a thinking_delta unless the
// delta's reasoning_content already carried it, and a redacted_thinking block a block of its
// own. Malformed entries are skipped: the stream goes on without them.
func (o *Outbound) thinkingBlocks(w *jwriter.Writer, tb []byte, reasoning bool) {
	l := jlexer.Lexer{Data: tb}
	l.Delim('[')
	for !l.IsDelim(']') && l.Ok() {
		var b ResponseBlock
		b.UnmarshalEasyJSON(&l)
		if !l.Ok() {
			return
		}
		switch b.Type {
		case "thinking":
			if !reasoning && !b.Thinking.IsNull() && string(b.Thinking) != `""` {
				o.open(w, blockThinking, -1, "", "")
				o.delta(w, "thinking_delta", "thinking", b.Thinking)
			}
			if !b.Signature.IsNull() && string(b.Signature) != `""` {
				o.open(w, blockThinking, -1, "", "")
				o.delta(w, "signature_delta", "signature", b.Signature)
				o.close(w) // a signature ends its block: more reasoning starts another
			}
		case "redacted_thinking":
			if b.Data.IsNull() {
				break
			}
			o.close(w)
			st := &o.st
			st.kind, st.index = blockRedacted, st.next
			st.next++
			event(w, EventContentBlockStart)
			w.RawString(`{"type":"content_block_start","index":`)
			w.Int(st.index)
			w.RawString(`,"content_block":{"type":"redacted_thinking","data":`)
			w.Raw(b.Data, nil)
			w.RawString("}}" + eventEnd)
			o.close(w)
		}
		l.WantComma()
	}
}

// start writes message_start. The chunk's id and model are copied: chunks are reused.
func (o *Outbound) start(w *jwriter.Writer, id, model, fallback string) {
	o.st.started = true
	event(w, EventMessageStart)
	w.RawString(`{"type":"message_start","message":{"id":`)
	writeID(w, id)
	w.RawString(`,"type":"message","role":"assistant","model":`)
	if model == "" {
		model = fallback
	}
	w.String(model)
	w.RawString(`,"content":[],"stop_reason":null,"stop_sequence":null,"usage":`)
	u := o.st.usage
	u.output = 0
	writeUsage(w, u)
	w.RawString("}}" + eventEnd)
}

// open makes sure the open block is of kind (for a tool, the call with OpenAI index tool),
// closing the one before and starting a new one when it is not.
func (o *Outbound) open(w *jwriter.Writer, kind uint8, tool int, id, name string) {
	st := &o.st
	if st.kind == kind && (kind != blockTool || st.tool == tool) {
		return
	}
	o.close(w)
	st.kind, st.index, st.tool = kind, st.next, tool
	st.next++
	event(w, EventContentBlockStart)
	w.RawString(`{"type":"content_block_start","index":`)
	w.Int(st.index)
	w.RawString(`,"content_block":`)
	switch kind {
	case blockText:
		w.RawString(`{"type":"text","text":""}`)
	case blockThinking:
		w.RawString(`{"type":"thinking","thinking":"","signature":""}`)
	case blockTool:
		w.RawString(`{"type":"tool_use","id":`)
		w.String(id)
		w.RawString(`,"name":`)
		w.String(name)
		w.RawString(`,"input":{}}`)
	}
	w.RawString("}" + eventEnd)
}

// rawStart opens a block that Anthropic's stream carried and the unified schema cannot (a
// server tool's use or result), writing it as it came.
func (o *Outbound) rawStart(w *jwriter.Writer, block []byte) {
	o.close(w)
	st := &o.st
	st.kind, st.index = blockRaw, st.next
	st.next++
	event(w, EventContentBlockStart)
	w.RawString(`{"type":"content_block_start","index":`)
	w.Int(st.index)
	w.RawString(`,"content_block":`)
	w.Raw(block, nil)
	w.RawString("}" + eventEnd)
}

// rawDelta writes a delta as Anthropic's stream carried it: a citation of a text block
// (citations_delta, which opens the text block when it comes first), or a piece of the open
// block (a server tool's input). A piece without an open block is dropped.
func (o *Outbound) rawDelta(w *jwriter.Writer, delta []byte) {
	if string(member(delta, "type")) == `"citations_delta"` {
		o.open(w, blockText, -1, "", "")
	}
	if o.st.kind == blockNone {
		return
	}
	event(w, EventContentBlockDelta)
	w.RawString(`{"type":"content_block_delta","index":`)
	w.Int(o.st.index)
	w.RawString(`,"delta":`)
	w.Raw(delta, nil)
	w.RawString("}" + eventEnd)
}

// delta writes a content_block_delta of the open block; value is an encoded string.
func (o *Outbound) delta(w *jwriter.Writer, typ, member string, value schemas.Text) {
	event(w, EventContentBlockDelta)
	w.RawString(`{"type":"content_block_delta","index":`)
	w.Int(o.st.index)
	w.RawString(`,"delta":{"type":"`)
	w.RawString(typ)
	w.RawString(`","`)
	w.RawString(member)
	w.RawString(`":`)
	w.Raw(value, nil)
	w.RawString("}}" + eventEnd)
}

// close writes content_block_stop for the open block, if any.
func (o *Outbound) close(w *jwriter.Writer) {
	st := &o.st
	if st.kind == blockNone {
		return
	}
	event(w, EventContentBlockStop)
	w.RawString(`{"type":"content_block_stop","index":`)
	w.Int(st.index)
	w.RawString("}" + eventEnd)
	st.kind = blockNone
}

// StreamEnd writes the end of a stream that ended well: the open block's stop,
// message_delta with the stop reason and the usage, and message_stop.
func (o *Outbound) StreamEnd(w *jwriter.Writer, model string) {
	st := &o.st
	if !st.started {
		o.start(w, "", "", model)
	}
	o.close(w)
	event(w, EventMessageDelta)
	w.RawString(`{"type":"message_delta","delta":{"stop_reason":"`)
	seq := st.stopSeq != nil && st.finish == "stop"
	w.RawString(StopReason(st.finish, seq))
	w.RawString(`","stop_sequence":`)
	if seq {
		w.Raw(st.stopSeq, nil)
	} else {
		w.RawString("null")
	}
	w.RawString(`},"usage":`)
	writeUsage(w, st.usage)
	w.RawString("}" + eventEnd)
	event(w, EventMessageStop)
	w.RawString(`{"type":"message_stop"}` + eventEnd)
}

// StreamError writes an error event, which ends a stream that failed after it began.
func (o *Outbound) StreamError(w *jwriter.Writer, status int, e *schemas.ErrorBody) {
	event(w, EventError)
	EncodeError(w, status, e)
	w.RawString(eventEnd)
}
