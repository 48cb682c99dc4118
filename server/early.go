package server

import (
	"bytes"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/valyala/fasthttp"
)

// The intake at the header: fasthttp reads a request's body before the handler runs, so a
// body larger than smallBody, or chunked, is judged on its header first (headerReceived,
// fasthttp's HeaderReceived hook), before fasthttp reads it:
//
//   - the checks that the header decides (judgeOrigin, judgeBody) and the body limit;
//   - the reservation of its bytes against client.max_buffered_request_mb: its
//     Content-Length, or for a chunked body, whose size is not known, the most it may be:
//     the body limit, or chunkedMax when that is lower (the handler gives back what the
//     body did not use).
//
// A request refused there gets a body limit of one byte: fasthttp stops before reading the
// body (a Content-Length over the limit is refused before any of it is read; a chunked
// body at its first chunk) and hands ErrBodyTooLarge to the ErrorHandler (requestFailed),
// which answers the refusal as the handler would have. A request with "Expect:
// 100-continue" is answered by the ExpectHandler (expect) instead of being asked for its
// body. What was decided travels from the hook to the handler or the error handlers in
// the server's early book, keyed by the request's header (one per fasthttp.RequestCtx, so
// one per connection at a time).
//
// After the hook, fasthttp either runs the handler, which takes the entry (admit; a
// handler wrapped around it that answers a request itself calls Release), or calls the
// ErrorHandler or the ExpectHandler, which take it too. The one exception is a connection
// that the server closes itself while it reads the body (shutdown). An entry left behind
// is given back when its header comes to the hook again, or by the sweep once it is older
// than earlyExpiry, so that no reservation can leak.

// smallBody is the largest request body that fasthttp reads before the intake's checks.
// Every connection already holds a 20 KB read buffer while its request is read, so a
// body of this size, read and then refused, costs no more than that; the handler checks and
// reserves it once it is in memory.
const smallBody = 16 << 10

// chunkedMax is the largest chunked request body, when client.max_request_body_size_mb
// allows more: a chunked body reserves its largest size at its header, and a smaller bound
// keeps concurrent chunked requests from holding the buffered-bytes cap (512 MiB by
// default) in 100 MiB steps. A client sends a larger body with a Content-Length.
const chunkedMax = 8 << 20

// chunkedTooLargeMsg is the message of the 413 of a chunked body over chunkedMax.
const chunkedTooLargeMsg = "a chunked request body may be at most 8 MiB: send a larger one with a Content-Length"

// earlyExpiry is the age at which the sweep gives back an entry whose request never
// reached the handler or the ErrorHandler: past the server's ReadTimeout, by which
// fasthttp has either read the body or given up on it.
const earlyExpiry = 2 * readTimeout

// early is what the intake decided at a request's header.
type early struct {
	held    int64   // bytes reserved against client.max_buffered_request_mb
	verdict verdict // verdictAdmit, or the refusal to answer
	// chunkedMax says the body is chunked and limited to chunkedMax, below the body limit;
	// anthropic says its route answers in Anthropic's format (fasthttp resets a request
	// whose body read failed, path included).
	chunkedMax, anthropic bool
	// header is a copy of the refused request's header: fasthttp resets a request whose
	// body read failed, and the refusal is answered in the route's format, and logged,
	// from it.
	header *fasthttp.RequestHeader
	at     time.Time
}

// earlyBook holds the entries between the hook and the handler or the ErrorHandler.
type earlyBook struct {
	mu    sync.Mutex
	m     map[*fasthttp.RequestHeader]early
	swept time.Time
	// n is len(m), read without the mutex: a handler looks its request up only while the
	// book holds an entry, so the common case (no large request in flight) costs one load.
	n atomic.Int64
}

// pending reports whether the book may hold an entry.
func (b *earlyBook) pending() bool { return b.n.Load() != 0 }

// put records e for h, returning any entry h still had (left by a request that never
// reached the handler) to be given back.
func (b *earlyBook) put(h *fasthttp.RequestHeader, e early) (stale []early) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[*fasthttp.RequestHeader]early{}
	}
	if old, ok := b.m[h]; ok {
		stale = append(stale, old)
	}
	b.m[h] = e
	if e.at.Sub(b.swept) >= earlyExpiry/2 {
		b.swept = e.at
		for k, v := range b.m {
			if e.at.Sub(v.at) > earlyExpiry {
				stale = append(stale, v)
				delete(b.m, k)
			}
		}
	}
	b.n.Store(int64(len(b.m)))
	return stale
}

// takeRefused removes and returns h's entry if it is a refusal.
func (b *earlyBook) takeRefused(h *fasthttp.RequestHeader) (early, bool) {
	b.mu.Lock()
	e, ok := b.m[h]
	ok = ok && e.verdict != verdictAdmit
	if ok {
		delete(b.m, h)
		b.n.Store(int64(len(b.m)))
	}
	b.mu.Unlock()
	return e, ok
}

// take removes and returns h's entry.
func (b *earlyBook) take(h *fasthttp.RequestHeader) (early, bool) {
	b.mu.Lock()
	e, ok := b.m[h]
	if ok {
		delete(b.m, h)
		b.n.Store(int64(len(b.m)))
	}
	b.mu.Unlock()
	return e, ok
}

// headerReceived is the server's HeaderReceived hook: it judges a request with a large or
// chunked body on its header and reserves its bytes (see the comment at the top of this
// file). Every other request is read within the body limit and judged by the handler.
func (s *Server) headerReceived(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	a := s.access.Load()
	limit := fasthttp.RequestConfig{MaxRequestBodySize: int(a.maxBody)}
	cl := h.ContentLength()
	if cl != -1 && cl <= smallBody { // no body (-2), or a small one
		return limit
	}
	e := early{at: time.Now()}
	if e.verdict = judgeOrigin(h, a); e.verdict == verdictAdmit && !healthURI(h.RequestURI()) {
		e.verdict, _ = s.judgeBody(h, a)
	}
	if e.verdict == verdictAdmit && int64(cl) > a.maxBody {
		e.verdict = verdictTooLarge
	}
	if e.verdict == verdictAdmit {
		n := int64(cl)
		if cl < 0 { // chunked: reserve the most it may be
			n = min(a.maxBody, chunkedMax)
			limit.MaxRequestBodySize = int(n)
			e.chunkedMax = n < a.maxBody
			e.anthropic = bytes.HasPrefix(h.RequestURI(), anthropicPrefix)
		}
		if s.reserve(n, a.maxBuffered) {
			e.held = n
		} else {
			e.verdict = verdictBufferFull
		}
	}
	if e.verdict != verdictAdmit {
		e.header = new(fasthttp.RequestHeader)
		h.CopyTo(e.header)
		limit.MaxRequestBodySize = 1
	}
	for _, old := range s.early.put(h, e) {
		s.buffered.Add(-old.held)
	}
	return limit
}

// Release gives back what the intake holds for a request that a handler wrapped around
// Handler answers itself, without passing it on: the bytes of a large body are reserved
// at its header (HeaderReceived), before any handler runs.
func (s *Server) Release(ctx *fasthttp.RequestCtx) {
	if !s.early.pending() {
		return
	}
	if e, ok := s.early.take(&ctx.Request.Header); ok {
		s.buffered.Add(-e.held)
	}
}

// healthURI reports whether a request URI is /health's, which reads no body.
func healthURI(uri []byte) bool {
	if len(uri) < len(healthPath) || string(uri[:len(healthPath)]) != string(healthPath) {
		return false
	}
	return len(uri) == len(healthPath) || uri[len(healthPath)] == '?'
}

// expect is the server's ExpectHandler, for a request with "Expect: 100-continue": one
// refused at its header is answered at once, and its client is not asked for the body.
func (s *Server) expect(ctx *fasthttp.RequestCtx) int {
	if !s.early.pending() {
		return fasthttp.StatusContinue
	}
	e, ok := s.early.takeRefused(&ctx.Request.Header)
	if !ok {
		return fasthttp.StatusContinue
	}
	s.buffered.Add(-e.held)
	a := s.access.Load()
	s.answer(ctx, a, e.verdict, e.at)
	a.cors.headers(ctx)
	return ctx.Response.StatusCode()
}

// requestFailed is the server's ErrorHandler: fasthttp could not read a request, or the
// hook refused its body. It gives back what the hook reserved and answers: the hook's
// refusal as the handler would have answered it, or fasthttp's error (writeBadRequest).
func (s *Server) requestFailed(ctx *fasthttp.RequestCtx, err error) {
	e, ok := s.early.take(&ctx.Request.Header)
	if !ok {
		writeBadRequest(ctx, err)
		return
	}
	s.buffered.Add(-e.held)
	if e.verdict == verdictAdmit {
		if e.chunkedMax && errors.Is(err, fasthttp.ErrBodyTooLarge) {
			if e.anthropic {
				writeAnthropicError(ctx, 413, "request_too_large", chunkedTooLargeMsg)
			} else {
				writeError(ctx, 413, schemas.ErrInvalidRequest, "request_too_large", "", chunkedTooLargeMsg)
			}
			return
		}
		writeBadRequest(ctx, err) // the body could not be read: cut short, too slow, over the limit
		return
	}
	// A chunked body's failed read reset the request; its URI is parsed again from the
	// restored header.
	e.header.CopyTo(&ctx.Request.Header)
	a := s.access.Load()
	s.answer(ctx, a, e.verdict, e.at)
	a.cors.headers(ctx)
}
