package mocks

import (
	"bufio"
	"crypto/subtle"
	"net"
	"time"

	"github.com/mailru/easyjson/jlexer"
	"github.com/valyala/fasthttp"
)

// What the wire formats other than OpenAI's (format_<name>.go) share: the key check, the
// start of an error answer, a stream's pacing and headers, and the hand-written stream of a
// connection fault. Each format keeps its routes, bodies and error shapes in its own file.

// headerHasKey reports whether header name carries Config.RequireKey as it is (always true
// without RequireKey), as x-api-key and x-goog-api-key do.
func (s *Server) headerHasKey(ctx *fasthttp.RequestCtx, name string) bool {
	key := s.cfg.RequireKey
	return key == "" || subtle.ConstantTimeCompare(ctx.Request.Header.Peek(name), []byte(key)) == 1
}

// beginErrorBody starts a JSON error answer with status, and "Retry-After: 1" for a 429, and
// returns the response's body buffer, emptied, for the format's error body; hand it back
// with ctx.Response.SwapBody.
func beginErrorBody(ctx *fasthttp.RequestCtx, status int) []byte {
	ctx.SetStatusCode(status)
	ctx.SetContentType(contentTypeJSON)
	if status == fasthttp.StatusTooManyRequests {
		ctx.Response.Header.Set("Retry-After", "1")
	}
	return ctx.Response.SwapBody(nil)[:0]
}

// pace spreads a stream's content over the request's latency as the OpenAI stream does:
// of n pieces, piece i (from 0) is due at start + latency*(i+1)/n, so the time to the
// first piece and the gaps between pieces add up to the latency.
type pace struct {
	start   time.Time
	latency time.Duration
}

// due returns the time piece i of n is due.
func (p pace) due(i, n int) time.Time {
	return p.start.Add(p.latency * time.Duration(i+1) / time.Duration(n))
}

// startSSE sets a server-sent event stream's headers and hands run to fasthttp, which
// calls it once the handler returns.
func startSSE(ctx *fasthttp.RequestCtx, run func(w *bufio.Writer)) {
	ctx.SetContentType(contentTypeEventStream)
	ctx.Response.Header.Set(fasthttp.HeaderCacheControl, "no-cache")
	ctx.SetBodyStreamWriter(run)
}

// writeEvents writes the first n of a stream's prepared events, flushing each. The pieces
// events from first on are content, paced over p; the events before them go at once, and
// those after them right after the last piece. It reports whether all n were written.
func (s *Server) writeEvents(w *bufio.Writer, events [][]byte, first, pieces int, p pace, n int) bool {
	for i, ev := range events[:n] {
		if k := i - first; k >= 0 && k < pieces {
			if !s.sleepUntil(p.due(k, pieces)) {
				return false
			}
		}
		if !writeEvent(w, ev) {
			return false
		}
	}
	return true
}

// writeChunkedHead writes, on a hijacked connection, the head of a 200 whose body of
// contentType is chunked; headers, when set, are more header lines, each ending in "\r\n".
func writeChunkedHead(w *bufio.Writer, contentType, headers string) {
	w.WriteString("HTTP/1.1 200 OK\r\nServer: bifrost-mock\r\nContent-Type: " + contentType + "\r\n" + //nolint:errcheck // the next Flush reports it
		headers + "Transfer-Encoding: chunked\r\n\r\n")
}

// cutStream writes events as HTTP chunks on the hijacked connection, then resets raw
// (FaultStreamCut): the client sees a stream that stops without its end.
func cutStream(w *bufio.Writer, raw net.Conn, events [][]byte) {
	for _, ev := range events {
		if !writeChunk(w, ev) {
			return
		}
	}
	time.Sleep(faultPoll) // let the client read what was sent before the reset
	reset(raw)
}

// endStream writes events as HTTP chunks on the hijacked connection, then ends the chunked
// body cleanly (FaultStreamEndEarly): the client sees a well-formed HTTP answer whose stream
// stops before its end event.
func endStream(w *bufio.Writer, events [][]byte) {
	for _, ev := range events {
		if !writeChunk(w, ev) {
			return
		}
	}
	w.WriteString("0\r\n\r\n") //nolint:errcheck // Flush reports it
	w.Flush()                  //nolint:errcheck // the connection closes next either way
}

// readObjectName reads a JSON object and returns its "name" member, as a tool or function
// declaration has it ("" without one).
func readObjectName(l *jlexer.Lexer) string {
	name := ""
	l.Delim('{')
	for !l.IsDelim('}') && l.Ok() {
		key := l.UnsafeFieldName(false)
		l.WantColon()
		if key == "name" {
			name = l.String()
		} else {
			l.SkipRecursive()
		}
		l.WantComma()
	}
	l.Delim('}')
	return name
}

// validEmbedding reports whether an embedding request of texts inputs and dims dimensions is
// within the mock's limits.
func validEmbedding(texts, dims int) bool {
	return texts > 0 && texts <= maxEmbeddingInputs && dims > 0 && dims <= maxEmbeddingDims
}

// appendNanoVector appends v (in units of 1/nanoUnit) as a JSON array of numbers.
func appendNanoVector(dst []byte, v []int32) []byte {
	dst = append(dst, '[')
	for j, q := range v {
		if j > 0 {
			dst = append(dst, ',')
		}
		dst = appendNano(dst, q)
	}
	return append(dst, ']')
}
