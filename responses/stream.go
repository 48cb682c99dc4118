package responses

import (
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

// Kinds of the output item a Streamer has open.
const (
	openNone = iota
	openReasoning
	openMessage
	openCall
)

// Streamer turns a chat completion stream into the Responses stream events, written as
// server-sent events ("event: <type>" and "data: <json>"). Every event carries its type and
// a sequence_number that starts at 0 and increases by one. Start writes response.created
// and response.in_progress; Chunk writes the events of one chat chunk; End writes the
// open item's closing events and response.completed or response.incomplete; Fail writes
// response.failed. The finished items stay in Enc, for the stored response.
type Streamer struct {
	Enc  Encoder
	meta *Meta
	seq  int
	sfx  string
	// open is the kind of the open item, at output index index; acc holds its text (or a
	// call's arguments) so far, JSON-escaped; callID and name are the open call's.
	open         int
	index        int
	acc          []byte
	blocks       []byte // the open reasoning item's thinking blocks, joined as one array
	callID, name []byte
	// toolIndex is the chat tool call index of the open call.
	toolIndex int
	finish    string
}

// Reset readies s for a new response.
func (s *Streamer) Reset(meta *Meta) {
	s.Enc.Reset()
	s.Enc.status = StatusCompleted
	s.meta, s.seq, s.sfx = meta, 0, idSuffix(meta.ID)
	s.open, s.index, s.toolIndex, s.finish = openNone, 0, -1, ""
	s.acc, s.callID, s.name, s.blocks = s.acc[:0], s.callID[:0], s.name[:0], s.blocks[:0]
}

// begin writes an event's head up to the first member after sequence_number.
func (s *Streamer) begin(w *jwriter.Writer, typ string) {
	w.RawString("event: ")
	w.RawString(typ)
	w.RawString("\ndata: {\"type\":\"")
	w.RawString(typ)
	w.RawString(`","sequence_number":`)
	w.Int(s.seq)
	s.seq++
}

func end(w *jwriter.Writer) { w.RawString("}\n\n") }

// Start writes response.created and response.in_progress.
func (s *Streamer) Start(w *jwriter.Writer) {
	for _, typ := range [...]string{"response.created", "response.in_progress"} {
		s.begin(w, typ)
		w.RawString(`,"response":`)
		s.Enc.writeObject(w, s.meta, StatusInProgress, nil, false)
		end(w)
	}
}

// Chunk writes the events of one chat chunk (its first choice) and notes its usage and
// finish reason.
func (s *Streamer) Chunk(w *jwriter.Writer, c *schemas.ChatStreamChunk) {
	if c.Usage.IsDefined() {
		setUsage(&s.Enc.usage, &c.Usage)
	}
	if len(c.Choices) == 0 {
		return
	}
	ch := &c.Choices[0]
	d := &ch.Delta
	if t := inner(d.ReasoningContent); len(t) > 0 {
		s.ensure(w, openReasoning)
		s.delta(w, "response.reasoning_summary_text.delta", `,"summary_index":0`, t)
		end(w)
	}
	if b := ThinkingBlocks(&d.Extras); b != nil {
		s.ensure(w, openReasoning)
		s.addBlocks(b)
	}
	if t := inner(d.Content.Text); len(t) > 0 {
		s.ensure(w, openMessage)
		s.delta(w, "response.output_text.delta", `,"content_index":0`, t)
		w.RawString(`,"logprobs":[]`)
		end(w)
	}
	for i := range d.ToolCalls {
		tc := &d.ToolCalls[i]
		idx := tc.Index.V
		if s.open != openCall || idx != s.toolIndex && (tc.Index.Defined || tc.ID != "") {
			s.closeItem(w)
			s.callID = append(s.callID[:0], tc.ID...)
			s.name = append(s.name[:0], tc.Function.Name...)
			s.toolIndex = idx
			s.openItem(w, openCall)
		}
		if a := inner(tc.Function.Arguments); len(a) > 0 {
			s.delta(w, "response.function_call_arguments.delta", "", a)
			end(w)
		}
	}
	if ch.FinishReason != "" {
		s.finish = string(ch.FinishReason)
	}
}

// ensure makes the open item one of kind, closing another.
func (s *Streamer) ensure(w *jwriter.Writer, kind int) {
	if s.open == kind {
		return
	}
	s.closeItem(w)
	s.openItem(w, kind)
}

// delta writes a delta event's members up to and including "delta" (the caller ends it),
// and adds the text to the open item's.
func (s *Streamer) delta(w *jwriter.Writer, typ, member string, text []byte) {
	s.begin(w, typ)
	s.itemRef(w)
	w.RawString(member)
	w.RawString(`,"delta":`)
	quoted(w, text)
	s.acc = append(s.acc, text...)
}

// itemRef writes the open item's item_id and output_index.
func (s *Streamer) itemRef(w *jwriter.Writer) {
	w.RawString(`,"item_id":`)
	s.writeItemID(w)
	w.RawString(`,"output_index":`)
	w.Int(s.index)
}

func (s *Streamer) writeItemID(w *jwriter.Writer) {
	switch s.open {
	case openReasoning:
		writeID(w, "rs_", s.sfx, -1)
	case openMessage:
		writeID(w, "msg_", s.sfx, -1)
	case openCall:
		writeID(w, "fc_", s.sfx, s.Enc.calls)
	}
}

// openItem writes output_item.added (and the first part's added event) for a new item.
func (s *Streamer) openItem(w *jwriter.Writer, kind int) {
	s.open, s.index = kind, s.Enc.items
	s.acc, s.blocks = s.acc[:0], s.blocks[:0]
	s.begin(w, "response.output_item.added")
	w.RawString(`,"output_index":`)
	w.Int(s.index)
	w.RawString(`,"item":`)
	s.writeItem(w, StatusInProgress, false)
	end(w)
	switch kind {
	case openReasoning:
		s.begin(w, "response.reasoning_summary_part.added")
		s.itemRef(w)
		w.RawString(`,"summary_index":0,"part":{"type":"summary_text","text":""}`)
		end(w)
	case openMessage:
		s.begin(w, "response.content_part.added")
		s.itemRef(w)
		w.RawString(`,"content_index":0,"part":`)
		writeOutputText(w, nil)
		end(w)
	}
}

// writeItem writes the open item; full says with its text so far.
func (s *Streamer) writeItem(w *jwriter.Writer, status string, full bool) {
	var text []byte
	if full {
		text = s.acc
	}
	switch s.open {
	case openReasoning:
		var blocks []byte
		if full && len(s.blocks) > 0 {
			blocks = append(s.blocks, ']')
		}
		writeReasoning(w, s.sfx, text, blocks)
	case openMessage:
		if !full {
			w.RawString(`{"id":`)
			writeID(w, "msg_", s.sfx, -1)
			w.RawString(`,"type":"message","status":"in_progress","role":"assistant","content":[]}`)
			return
		}
		w.RawString(`{"id":`)
		writeID(w, "msg_", s.sfx, -1)
		w.RawString(`,"type":"message","status":"`)
		w.RawString(status)
		w.RawString(`","role":"assistant","content":[`)
		writeOutputText(w, text)
		w.RawString(`]}`)
	case openCall:
		writeCall(w, s.sfx, s.Enc.calls, status, string(s.callID), string(s.name), text)
	}
}

// addBlocks adds a delta's thinking blocks (a JSON array) to the open reasoning item's.
func (s *Streamer) addBlocks(b []byte) {
	body := members(b)
	if len(body) == 0 {
		return
	}
	if len(s.blocks) == 0 {
		s.blocks = append(s.blocks, '[')
	} else {
		s.blocks = append(s.blocks, ',')
	}
	s.blocks = append(s.blocks, body...)
}

// closeItem writes the open item's done events and keeps the finished item.
func (s *Streamer) closeItem(w *jwriter.Writer) {
	switch s.open {
	case openNone:
		return
	case openReasoning:
		s.begin(w, "response.reasoning_summary_text.done")
		s.itemRef(w)
		w.RawString(`,"summary_index":0,"text":`)
		quoted(w, s.acc)
		end(w)
		s.begin(w, "response.reasoning_summary_part.done")
		s.itemRef(w)
		w.RawString(`,"summary_index":0,"part":{"type":"summary_text","text":`)
		quoted(w, s.acc)
		w.RawByte('}')
		end(w)
	case openMessage:
		s.begin(w, "response.output_text.done")
		s.itemRef(w)
		w.RawString(`,"content_index":0,"text":`)
		quoted(w, s.acc)
		w.RawString(`,"logprobs":[]`)
		end(w)
		s.begin(w, "response.content_part.done")
		s.itemRef(w)
		w.RawString(`,"content_index":0,"part":`)
		writeOutputText(w, s.acc)
		end(w)
	case openCall:
		s.begin(w, "response.function_call_arguments.done")
		s.itemRef(w)
		w.RawString(`,"name":`)
		w.String(string(s.name))
		w.RawString(`,"arguments":`)
		quoted(w, s.acc)
		end(w)
	}
	s.begin(w, "response.output_item.done")
	w.RawString(`,"output_index":`)
	w.Int(s.index)
	w.RawString(`,"item":`)
	s.writeItem(w, StatusCompleted, true)
	end(w)
	s.Enc.item(func(iw *jwriter.Writer) { s.writeItem(iw, StatusCompleted, true) })
	if s.open == openCall {
		s.Enc.calls++
	}
	s.open = openNone
}

// End closes the open item and writes response.completed, or response.incomplete when
// the provider stopped at the token limit or a content filter.
func (s *Streamer) End(w *jwriter.Writer) {
	s.closeItem(w)
	s.Enc.status, s.Enc.reason = statusOf(s.finish)
	typ := "response.completed"
	if s.Enc.status == StatusIncomplete {
		typ = "response.incomplete"
	}
	s.begin(w, typ)
	w.RawString(`,"response":`)
	s.Enc.WriteResponse(w, s.meta, nil)
	end(w)
}

// Fail writes response.failed with err, for a stream that broke. The open item is dropped:
// it is not finished.
func (s *Streamer) Fail(w *jwriter.Writer, err *schemas.ErrorBody) {
	s.open = openNone
	s.begin(w, "response.failed")
	w.RawString(`,"response":`)
	s.Enc.WriteResponse(w, s.meta, err)
	end(w)
}
