package gemini

import (
	"bytes"
	"time"

	"github.com/bifrost-gw/bifrost/adapters/convert"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/opt"
)

// nullText is the content of a message that has none, written as null as OpenAI does.
var nullText = schemas.Text("null")

// response gathers the members of a GenerateContentResponse other than its candidates.
type response struct {
	id, model   string
	usage       usageMetadata
	hasUsage    bool
	blockReason string
}

// candidate is what readCandidate found in one candidate besides its message.
type candidate struct {
	index  int
	finish string
}

// sink receives the candidates of a response: the choices of a chat response or of a stream
// chunk, and what each candidate says besides its message.
type sink struct {
	chat  *schemas.ChatResponse
	chunk *schemas.ChatStreamChunk
	cands [8]candidate // the first candidates' finish reasons; more are rare
}

// next adds a choice and returns its message and candidate record.
func (s *sink) next() (*schemas.ChatMessage, *candidate) {
	var i int
	var msg *schemas.ChatMessage
	if s.chat != nil {
		i = len(s.chat.Choices)
		s.chat.Choices = append(s.chat.Choices, schemas.ChatChoice{Index: i})
		msg = &s.chat.Choices[i].Message
	} else {
		i = len(s.chunk.Choices)
		s.chunk.Choices = append(s.chunk.Choices, schemas.ChatStreamChoice{Index: i})
		msg = &s.chunk.Choices[i].Delta
	}
	c := &s.cands[0]
	if i < len(s.cands) {
		c = &s.cands[i]
	}
	*c = candidate{index: i}
	return msg, c
}

// readResponse reads a GenerateContentResponse
// (https://ai.google.dev/api/generate-content#generatecontentresponse), each candidate into
// a new choice of s.
func readResponse(l *jlexer.Lexer, r *response, s *sink) {
	for key := range convert.Fields(l) {
		if l.IsNull() {
			l.Skip()
			continue
		}
		switch key {
		case "candidates":
			l.Delim('[')
			for !l.IsDelim(']') && l.Ok() {
				msg, c := s.next()
				readCandidate(l, msg, c)
				l.WantComma()
			}
			l.Delim(']')
		case "usageMetadata":
			r.usage.UnmarshalEasyJSON(l)
			r.hasUsage = true
		case "modelVersion":
			r.model = l.UnsafeString()
		case "responseId":
			r.id = l.UnsafeString()
		case "promptFeedback":
			for k := range convert.Fields(l) {
				if k == "blockReason" && l.CurrentToken() == jlexer.TokenString {
					r.blockReason = l.UnsafeString()
				} else {
					l.SkipRecursive()
				}
			}
		default:
			l.SkipRecursive()
		}
	}
}

// readCandidate reads one Candidate (https://ai.google.dev/api/generate-content#candidate)
// into msg: text parts joined into Content, thought parts into ReasoningContent, functionCall
// parts appended to ToolCalls (ids and indexes are set by the caller).
func readCandidate(l *jlexer.Lexer, msg *schemas.ChatMessage, c *candidate) {
	for key := range convert.Fields(l) {
		if l.IsNull() {
			l.Skip()
			continue
		}
		switch key {
		case "content":
			for k := range convert.Fields(l) {
				if k != "parts" || l.IsNull() {
					l.SkipRecursive()
					continue
				}
				l.Delim('[')
				for !l.IsDelim(']') && l.Ok() {
					var p part
					p.UnmarshalEasyJSON(l)
					addPart(msg, &p)
					l.WantComma()
				}
				l.Delim(']')
			}
		case "finishReason":
			c.finish = l.UnsafeString()
		case "index":
			c.index = l.Int()
		default:
			l.SkipRecursive()
		}
	}
}

// addPart adds a response part to msg.
func addPart(msg *schemas.ChatMessage, p *part) {
	switch {
	case p.FunctionCall.Name != "":
		args := p.FunctionCall.Args
		var text schemas.Text
		if args.IsDefined() && !args.IsNull() {
			text = convert.QuoteJSON(args, convert.ToolArguments)
		} else {
			text = schemas.Text(`"{}"`)
		}
		id := p.FunctionCall.ID
		if p.ThoughtSignature != "" {
			id = withSignature(id, p.ThoughtSignature)
		}
		msg.ToolCalls = append(msg.ToolCalls, schemas.ToolCall{
			ID: id, Type: "function",
			Function: schemas.FunctionCall{Name: p.FunctionCall.Name, Arguments: text},
		})
	case len(p.Text) <= 2 || p.Text.IsNull():
		// No text, or empty text (Gemini ends streams with empty parts): nothing to add.
	case p.Thought:
		msg.ReasoningContent = convert.JoinText(msg.ReasoningContent, p.Text)
	default:
		msg.Content.Text = convert.JoinText(msg.Content.Text, p.Text)
	}
}

// finishReason maps a Gemini FinishReason
// (https://ai.google.dev/api/generate-content#FinishReason) to OpenAI's: STOP is "stop" (or
// "tool_calls" when the candidate called functions), MAX_TOKENS "length", the safety and
// policy stops (SAFETY, RECITATION, BLOCKLIST, PROHIBITED_CONTENT, SPII, IMAGE_SAFETY)
// "content_filter", and every other reason (LANGUAGE, OTHER, MALFORMED_FUNCTION_CALL, ...)
// "stop", OpenAI having nothing closer. "" stays "" (no finish yet).
func finishReason(r string, tools bool) schemas.NullString {
	switch r {
	case "":
		return ""
	case "MAX_TOKENS":
		return "length"
	case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY":
		return "content_filter"
	}
	if tools {
		return "tool_calls"
	}
	return "stop"
}

// setUsage maps usageMetadata to OpenAI's usage: prompt tokens include the tool-use prompt,
// completion tokens include the thoughts (as OpenAI's include reasoning tokens), cached
// tokens are cachedContentTokenCount, reasoning tokens thoughtsTokenCount.
func setUsage(dst *schemas.Usage, u *usageMetadata) {
	dst.PromptTokens = u.PromptTokenCount + u.ToolUsePromptTokenCount
	dst.CompletionTokens = u.CandidatesTokenCount + u.ThoughtsTokenCount
	dst.TotalTokens = u.TotalTokenCount
	if dst.TotalTokens == 0 {
		dst.TotalTokens = dst.PromptTokens + dst.CompletionTokens
	}
	dst.PromptTokensDetails.CachedTokens = u.CachedContentTokenCount
	dst.CompletionTokensDetails.ReasoningTokens = u.ThoughtsTokenCount
}

// DecodeChat reads a GenerateContentResponse into out, borrowing from body.
func (Codec) DecodeChat(body []byte, out *schemas.ChatResponse) error {
	var r response
	s := sink{chat: out}
	cands := &s.cands
	l := jlexer.Lexer{Data: body}
	readResponse(&l, &r, &s)
	l.Consumed()
	if err := l.Error(); err != nil {
		return err
	}
	out.ID, out.Object, out.Created, out.Model = r.id, "chat.completion", time.Now().Unix(), r.model
	if len(out.Choices) == 0 && r.blockReason != "" {
		out.Choices = append(out.Choices, schemas.ChatChoice{FinishReason: "content_filter"})
		out.Choices[0].Message = schemas.ChatMessage{Role: "assistant", Content: schemas.MessageContent{Text: nullText}}
	}
	for i := range out.Choices {
		ch := &out.Choices[i]
		if i < len(cands) {
			ch.Index = cands[i].index
			if cands[i].finish != "" {
				ch.FinishReason = finishReason(cands[i].finish, len(ch.Message.ToolCalls) > 0)
			}
		}
		m := &ch.Message
		m.Role = "assistant"
		if m.Content.Text == nil {
			m.Content.Text = nullText
		}
		for k := range m.ToolCalls {
			if tc := &m.ToolCalls[k]; needsID(tc.ID) {
				tc.ID = toolCallID(r.id, ch.Index, k, tc.Function.Name) + tc.ID
			}
		}
	}
	if r.hasUsage {
		setUsage(&out.Usage, &r.usage)
	}
	return nil
}

// DecodeChatEvent reads one event of a streamGenerateContent?alt=sse stream: each event is a
// whole GenerateContentResponse and yields one chunk. The first chunk carries the assistant
// role; the chunk that carries a finish reason also carries the usage so far (Gemini repeats
// usageMetadata on every event), and an event with usage and no candidates yields a
// usage-only chunk. An event whose data is an error object is StepError. The stream ends
// when the body does.
func (Codec) DecodeChatEvent(ev provider.Event, st *provider.StreamState, out *schemas.ChatStreamChunk) (provider.Step, error) {
	data := bytes.TrimSpace(ev.Data)
	if len(data) == 0 {
		return provider.StepSkip, nil
	}
	if bytes.Equal(ev.Name, []byte("error")) || bytes.HasPrefix(data, []byte(`{"error"`)) {
		return provider.StepError, nil
	}
	var r response
	s := sink{chunk: out}
	cands := &s.cands
	l := jlexer.Lexer{Data: data}
	readResponse(&l, &r, &s)
	l.Consumed()
	if err := l.Error(); err != nil {
		return provider.StepError, err
	}
	if !st.Role {
		if r.id != "" {
			st.SetID(convert.ViewBytes(r.id))
		}
		if r.model != "" {
			st.SetModel(convert.ViewBytes(r.model))
		}
	}
	if r.hasUsage {
		u := &r.usage
		st.PromptTokens = u.PromptTokenCount + u.ToolUsePromptTokenCount
		st.CompletionTokens = u.CandidatesTokenCount + u.ThoughtsTokenCount
		st.CachedTokens = u.CachedContentTokenCount
		st.ReasoningTokens = u.ThoughtsTokenCount
	}
	if len(out.Choices) == 0 && r.blockReason != "" {
		out.Choices = append(out.Choices, schemas.ChatStreamChoice{FinishReason: "content_filter"})
	}
	if len(out.Choices) == 0 && !r.hasUsage {
		return provider.StepSkip, nil
	}
	out.ID, out.Object, out.Created, out.Model = st.ID(), "chat.completion.chunk", st.Created, st.Model()
	finished := len(out.Choices) == 0 // a usage-only event: choices [] as in OpenAI's usage chunk
	if out.Choices == nil {
		out.Choices = []schemas.ChatStreamChoice{}
	}
	for i := range out.Choices {
		ch := &out.Choices[i]
		d := &ch.Delta
		if i < len(cands) {
			ch.Index = cands[i].index
		}
		if !st.Role {
			d.Role = "assistant"
		}
		for k := range d.ToolCalls {
			tc := &d.ToolCalls[k]
			idx := st.BeginTool(-1)
			tc.Index = opt.OInt(idx)
			if needsID(tc.ID) {
				tc.ID = toolCallID(st.ID(), ch.Index, idx, tc.Function.Name) + tc.ID
			}
		}
		if i < len(cands) && cands[i].finish != "" {
			ch.FinishReason = finishReason(cands[i].finish, st.Tools > 0)
		}
		if ch.FinishReason != "" {
			finished = true
		}
	}
	st.Role = true
	if finished && r.hasUsage {
		setUsage(&out.Usage, &r.usage)
	}
	return provider.StepChunk, nil
}
