package mocks

import (
	"bufio"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
)

const contentTypeEventStream = "text/event-stream; charset=utf-8"

// streamPlan describes one streamed response. It owns everything taken
// from the request, because the stream is written after the handler has
// returned and the request is gone.
//
// Each event is "data: " + a JSON chunk + "\n\n". A chunk is prefix (the
// id, object, created, model and fingerprint members and `"choices":[`),
// one choice, then "]", `,"usage":null` when the request asked for usage,
// and "}".
type streamPlan struct {
	prefix       []byte
	roleChoice   string // choice sent once before the content, or ""
	open, close  string // a content piece is written between them
	pieces       []string
	finishChoice string
	usage        []byte // `"usage":{...}` for the last chunk, or nil
	start        time.Time
	latency      time.Duration
}

// appendChunk appends one event whose single choice is a+b+c.
func (p *streamPlan) appendChunk(dst []byte, a, b, c string) []byte {
	dst = append(dst, p.prefix...)
	dst = append(dst, a...)
	dst = append(dst, b...)
	dst = append(dst, c...)
	dst = append(dst, ']')
	if p.usage != nil {
		dst = append(dst, `,"usage":null`...)
	}
	return append(dst, "}\n\n"...)
}

// appendUsageChunk appends the final usage event, whose choices are empty.
func (p *streamPlan) appendUsageChunk(dst []byte) []byte {
	dst = append(dst, p.prefix...)
	dst = append(dst, "],"...)
	dst = append(dst, p.usage...)
	return append(dst, "}\n\n"...)
}

// run writes the stream to w, flushing after each event. Content chunk i
// (from 0) is sent at start + latency*(i+1)/n, so the time to the first
// chunk and the gaps between chunks add up to the latency; the role chunk
// goes just before the first content chunk, and the finish chunk, usage
// chunk and [DONE] just after the last. It stops early if the client goes
// away or the server closes.
func (s *Server) runStream(w *bufio.Writer, p *streamPlan) {
	buf := make([]byte, 0, 512)
	n := time.Duration(len(p.pieces))
	for i, piece := range p.pieces {
		if !s.sleepUntil(p.start.Add(p.latency * time.Duration(i+1) / n)) {
			return
		}
		if i == 0 && p.roleChoice != "" {
			buf = p.appendChunk(buf[:0], p.roleChoice, "", "")
			if !writeEvent(w, buf) {
				return
			}
		}
		buf = p.appendChunk(buf[:0], p.open, piece, p.close)
		if !writeEvent(w, buf) {
			return
		}
	}
	buf = p.appendChunk(buf[:0], p.finishChoice, "", "")
	if !writeEvent(w, buf) {
		return
	}
	if p.usage != nil {
		buf = p.appendUsageChunk(buf[:0])
		if !writeEvent(w, buf) {
			return
		}
	}
	writeEvent(w, []byte("data: [DONE]\n\n"))
}

// writeEvent writes and flushes one event, reporting success.
func writeEvent(w *bufio.Writer, event []byte) bool {
	if _, err := w.Write(event); err != nil {
		return false
	}
	return w.Flush() == nil
}

// startStream sets the stream's headers and hands p to fasthttp, which
// runs it once the handler returns.
func (s *Server) startStream(ctx *fasthttp.RequestCtx, p *streamPlan) {
	ctx.SetContentType(contentTypeEventStream)
	ctx.Response.Header.Set(fasthttp.HeaderCacheControl, "no-cache")
	ctx.SetBodyStreamWriter(func(w *bufio.Writer) { s.runStream(w, p) })
}

// appendStreamPrefix appends the members every chunk of a stream shares.
func appendStreamPrefix(dst []byte, idPrefix, object string, id uint64, model string) []byte {
	dst = append(dst, `data: {"id":"`...)
	dst = append(dst, idPrefix...)
	dst = appendHex16(dst, id)
	dst = append(dst, `","object":"`...)
	dst = append(dst, object...)
	dst = append(dst, `","created":`...)
	dst = strconv.AppendInt(dst, time.Now().Unix(), 10)
	dst = append(dst, `,"model":`...)
	dst = appendJSONString(dst, model)
	dst = append(dst, `,"system_fingerprint":"`+fingerprint+`","choices":[`...)
	return dst
}

// appendUsage appends a usage member; details adds OpenAI's chat token
// details.
func appendUsage(dst []byte, prompt, completion int, details bool) []byte {
	dst = append(dst, `"usage":{"prompt_tokens":`...)
	dst = strconv.AppendInt(dst, int64(prompt), 10)
	dst = append(dst, `,"completion_tokens":`...)
	dst = strconv.AppendInt(dst, int64(completion), 10)
	dst = append(dst, `,"total_tokens":`...)
	dst = strconv.AppendInt(dst, int64(prompt+completion), 10)
	if details {
		dst = append(dst, `,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},`+
			`"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}`...)
	}
	return append(dst, '}')
}

// streamChat answers a chat completion request with "stream": true.
func (s *Server) streamChat(ctx *fasthttp.RequestCtx, req *chatRequest, start time.Time, latency time.Duration) {
	p := &streamPlan{
		prefix:       appendStreamPrefix(nil, "chatcmpl-", "chat.completion.chunk", s.nextID(), req.model),
		roleChoice:   `{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}`,
		open:         `{"index":0,"delta":{"content":"`,
		close:        `"},"logprobs":null,"finish_reason":null}`,
		pieces:       s.content.pieces,
		finishChoice: `{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}`,
		start:        start,
		latency:      latency,
	}
	if req.includeUsage {
		p.usage = appendUsage(nil, req.promptTokens(), s.content.tokens, true)
	}
	s.startStream(ctx, p)
}

// streamCompletion answers a text completion request with "stream": true.
func (s *Server) streamCompletion(ctx *fasthttp.RequestCtx, req *completionRequest, start time.Time, latency time.Duration) {
	p := &streamPlan{
		prefix:       appendStreamPrefix(nil, "cmpl-", "text_completion", s.nextID(), req.model),
		open:         `{"text":"`,
		close:        `","index":0,"logprobs":null,"finish_reason":null}`,
		pieces:       s.content.pieces,
		finishChoice: `{"text":"","index":0,"logprobs":null,"finish_reason":"stop"}`,
		start:        start,
		latency:      latency,
	}
	if req.includeUsage {
		p.usage = appendUsage(nil, req.promptTokens, s.content.tokens, false)
	}
	s.startStream(ctx, p)
}
