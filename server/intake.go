package server

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"runtime/debug"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/bifrost-gw/bifrost/server/metrics"
	"github.com/valyala/fasthttp"
)

// Request intake: what the server checks before a request is served, and the bounds on
// reading its body. fasthttp reads a body before the handler runs, within the limit in
// force (client.max_request_body_size_mb, read per request, so a reload applies it). A
// body of at most smallBody bytes is read first and checked in the handler (admit); a
// larger or chunked one is checked on its header before fasthttp reads it (early.go), and
// in the handler again. The checks:
//
//   - a CORS preflight is answered (cors.go), and a request that is not GET or HEAD from
//     an Origin that client.allowed_origins does not list gets 403;
//   - a request with a body needs a valid gateway key (401), so that nobody without one
//     can make the gateway read an upload larger than smallBody;
//   - the body must be JSON: Content-Type application/json, with an optional
//     charset=utf-8 (415 otherwise), so that no HTML form or text/plain "simple" request
//     from a web page is ever run;
//   - Content-Encoding may be gzip (the body is decompressed, and the limit applies to the
//     decompressed size) or identity (415 otherwise);
//   - a body over client.max_request_body_size_mb gets 413;
//   - the body's bytes are reserved against client.max_buffered_request_mb, the cap on
//     request bytes buffered at once by all requests: a request that does not fit gets
//     503 with Retry-After, a large one before its body is read. The reservation is
//     released when the handler returns.
//
// Errors are in the route's format: Anthropic's on /anthropic, OpenAI's elsewhere.
//
// After the handler, a body buffer larger than bigBody is dropped rather than kept for the
// connection's next request, so that one large upload does not pin its memory for the
// life of a keep-alive connection (or in fasthttp's pools after it).

// bigBody is the largest request body buffer kept for reuse.
const bigBody = 1 << 20

// intakeRetryAfter is the Retry-After, in seconds, of a request refused because the
// buffered bytes are at the cap: uploads in flight finish within seconds.
const intakeRetryAfter = "1"

var (
	originHeader     = []byte("Origin")
	healthPath       = []byte("/health")
	gzipEncoding     = []byte("gzip")
	identityEncoding = []byte("identity")
)

// verdict is the intake's decision on a request: admitted, or the refusal it answers.
type verdict uint8

const (
	verdictAdmit      verdict = iota
	verdictPreflight          // a CORS preflight, answered by corsPolicy.preflight
	verdictOrigin             // 403: not GET or HEAD, from an Origin not allowed
	verdictKey                // 401: no valid gateway key
	verdictMediaType          // 415: not JSON
	verdictEncoding           // 415: an unknown Content-Encoding
	verdictTooLarge           // 413
	verdictBufferFull         // 503 with Retry-After
)

// admit runs the checks above for one request, its body in memory. It returns the bytes
// held for it (reserved here, or at its header), to give back with settle, and whether the
// request goes on to its route; when it does not, the answer is written and logged.
func (s *Server) admit(ctx *fasthttp.RequestCtx, a *access, start time.Time) (held int64, ok bool) {
	h, body := &ctx.Request.Header, ctx.Request.Body()
	var e early
	var judged bool
	if s.early.pending() {
		e, judged = s.early.take(h)
		held = e.held
	}
	v := judgeOrigin(h, a)
	if v != verdictAdmit || len(body) == 0 || bytes.Equal(ctx.Path(), healthPath) {
		if v != verdictAdmit {
			s.answer(ctx, a, v, start)
		}
		return held, v == verdictAdmit // no body (or /health, which reads none)
	}
	v, gz := s.judgeBody(h, a)
	n := int64(len(body))
	switch {
	case v != verdictAdmit:
	case n > a.maxBody:
		v = verdictTooLarge
	case judged && e.verdict != verdictAdmit:
		v = e.verdict // refused at the header, yet read: a chunked body of one byte
	case !judged:
		if !s.reserve(n, a.maxBuffered) {
			v = verdictBufferFull
			break
		}
		held = n
	case held > n:
		// A chunked body reserved its largest size at its header: give back what it did
		// not use.
		s.buffered.Add(n - held)
		held = n
	}
	if v != verdictAdmit {
		s.answer(ctx, a, v, start)
		return held, false
	}
	if gz {
		n, err := s.gunzip(ctx, a.maxBody, a.maxBuffered)
		held += n
		if err != nil {
			s.bodyFailed(ctx, start, err)
			return held, false
		}
	}
	return held, true
}

// judgeOrigin decides on a request's Origin, with or without a body: a CORS preflight, or
// a request that is not GET or HEAD from an Origin that is not allowed.
func judgeOrigin(h *fasthttp.RequestHeader, a *access) verdict {
	origin := h.PeekBytes(originHeader)
	switch {
	case len(origin) == 0:
		return verdictAdmit
	case h.IsOptions() && len(h.Peek("Access-Control-Request-Method")) > 0:
		return verdictPreflight
	case !a.cors.allows(origin) && !h.IsGet() && !h.IsHead():
		return verdictOrigin
	}
	return verdictAdmit
}

// judgeBody decides what a request with a body must have: a valid gateway key, a JSON
// Content-Type and a known Content-Encoding. It reports whether the body is gzipped.
func (s *Server) judgeBody(h *fasthttp.RequestHeader, a *access) (v verdict, gz bool) {
	if !s.authorizedHeader(h, a) {
		return verdictKey, false
	}
	if !jsonContentType(h.ContentType()) {
		return verdictMediaType, false
	}
	enc := h.ContentEncoding()
	if len(enc) == 0 || bytes.EqualFold(enc, identityEncoding) {
		return verdictAdmit, false
	}
	if !bytes.EqualFold(enc, gzipEncoding) {
		return verdictEncoding, false
	}
	return verdictAdmit, true
}

// answer writes the intake's refusal v of the request in ctx, in its route's format, and
// logs the request.
func (s *Server) answer(ctx *fasthttp.RequestCtx, a *access, v verdict, start time.Time) {
	switch v {
	case verdictPreflight:
		a.cors.preflight(ctx, ctx.Request.Header.PeekBytes(originHeader))
		s.logOther(ctx, start)
	case verdictOrigin:
		s.refuse(ctx, start, 403, schemas.ErrPermission, "permission_error", "origin_not_allowed",
			"requests from this Origin are not allowed: list it in client.allowed_origins")
	case verdictKey:
		if bytes.HasPrefix(ctx.Path(), anthropicPrefix) {
			writeAnthropicError(ctx, 401, "authentication_error",
				"missing or invalid gateway API key: send one of client.api_keys as \"x-api-key: <key>\" or \"Authorization: Bearer <key>\"")
			ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="bifrost"`)
		} else {
			writeUnauthorized(ctx)
		}
		s.logOther(ctx, start)
	case verdictMediaType:
		s.refuse(ctx, start, 415, schemas.ErrInvalidRequest, "invalid_request_error", "unsupported_media_type",
			"request bodies must be JSON: send Content-Type: application/json")
	case verdictEncoding:
		s.refuse(ctx, start, 415, schemas.ErrInvalidRequest, "invalid_request_error", "unsupported_content_encoding",
			"this Content-Encoding is not supported: send the body as is, or gzip")
	case verdictTooLarge:
		s.tooLarge(ctx, start)
	case verdictBufferFull:
		s.bufferFull(ctx, start)
	}
}

// bodyFailed answers a request whose body could not be reserved or read.
func (s *Server) bodyFailed(ctx *fasthttp.RequestCtx, start time.Time, err error) {
	switch {
	case errors.Is(err, errTooLarge):
		s.tooLarge(ctx, start)
	case errors.Is(err, errBufferFull):
		s.bufferFull(ctx, start)
	default:
		ctx.SetConnectionClose()
		s.refuse(ctx, start, 400, schemas.ErrInvalidRequest, "invalid_request_error", "invalid_body",
			"the request body could not be read: "+bodyErrorText(err))
	}
}

// settle ends a request's intake: it adds the CORS headers, gives back the reserved bytes
// and drops a large body buffer.
func (s *Server) settle(ctx *fasthttp.RequestCtx, a *access, held int64) {
	a.cors.headers(ctx)
	if held == 0 {
		return
	}
	s.buffered.Add(-held)
	if held > bigBody {
		// The buffer is not reused: a stream still reading strings from it keeps it alive
		// until it ends, then the GC frees it.
		ctx.Request.SwapBody(nil)
		s.released(held)
	}
}

// Returning memory to the OS: Go's scavenger gives freed memory back gradually, and only
// after a GC has found it free, which an idle gateway may not run for minutes. Once
// freeOSAfter bytes of large bodies were dropped, debug.FreeOSMemory runs on a timer, at
// most every freeOSEvery and a second after the drop at the soonest, so that a burst of uploads does not leave the process's RSS at
// its peak; the timer also covers the end of a burst.
const (
	freeOSAfter = 32 << 20
	freeOSEvery = 10 * time.Second
)

// released notes n bytes of a dropped body buffer, and schedules giving memory back.
func (s *Server) released(n int64) {
	if s.dropped.Add(n) < freeOSAfter || !s.freeing.CompareAndSwap(false, true) {
		return
	}
	wait := time.Until(time.Unix(0, s.lastFree.Load()).Add(freeOSEvery))
	time.AfterFunc(max(wait, time.Second), func() {
		s.dropped.Store(0)
		debug.FreeOSMemory()
		s.lastFree.Store(time.Now().UnixNano())
		s.freeing.Store(false)
	})
}

var (
	errTooLarge   = errors.New("request body over the limit")
	errBufferFull = errors.New("request bytes buffered at the cap")
)

// reserve takes n bytes of the buffered request bytes, unless that would take the total
// over max.
func (s *Server) reserve(n, max int64) bool {
	if s.buffered.Add(n) > max {
		s.buffered.Add(-n)
		return false
	}
	return true
}

// boundedBuffer collects a body, reserving its bytes (in steps of at least 64 KiB) as it
// grows, and failing past limit.
type boundedBuffer struct {
	s          *Server
	b          []byte
	reserved   int64
	limit, max int64
}

func (w *boundedBuffer) Write(p []byte) (int, error) {
	n := int64(len(w.b) + len(p))
	if n > w.limit {
		return 0, errTooLarge
	}
	if n > w.reserved {
		step := max(n-w.reserved, 64<<10)
		if !w.s.reserve(step, w.max) {
			return 0, errBufferFull
		}
		w.reserved += step
	}
	w.b = append(w.b, p...)
	return len(p), nil
}

// gunzip replaces a gzip body with its decompressed bytes, bounded by limit. The
// compressed bytes stay reserved until the handler returns; it reserves the decompressed
// ones besides and returns how many, which the caller gives back, on failure too.
func (s *Server) gunzip(ctx *fasthttp.RequestCtx, limit, maxBuffered int64) (int64, error) {
	zr, err := gzip.NewReader(bytes.NewReader(ctx.Request.Body()))
	if err != nil {
		return 0, err
	}
	w := boundedBuffer{s: s, limit: limit, max: maxBuffered}
	if _, err = io.Copy(&w, zr); err != nil {
		return w.reserved, err
	}
	ctx.Request.Header.Del(fasthttp.HeaderContentEncoding)
	ctx.Request.SetBodyRaw(w.b)
	return w.reserved, nil
}

// bodyErrorText describes a failed body read without quoting the body or an address.
func bodyErrorText(err error) string {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "it ended before its length"
	case errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum):
		return "it is not valid gzip"
	}
	return "it was cut short or malformed"
}

func (s *Server) tooLarge(ctx *fasthttp.RequestCtx, start time.Time) {
	s.refuse(ctx, start, 413, schemas.ErrInvalidRequest, "request_too_large", "request_too_large",
		"request body is larger than the gateway's limit (client.max_request_body_size_mb)")
}

func (s *Server) bufferFull(ctx *fasthttp.RequestCtx, start time.Time) {
	s.metrics.Refused(metrics.RefusedBufferFull)
	s.refuse(ctx, start, 503, schemas.ErrServer, "overloaded_error", "request_buffer_full",
		"the gateway is buffering as many request bytes as it allows (client.max_buffered_request_mb): retry shortly")
	ctx.Response.Header.Set("Retry-After", intakeRetryAfter)
}

// refuse answers a request the intake stops, in the route's error format (oaType and code
// on /v1, anthType on /anthropic), and logs it.
func (s *Server) refuse(ctx *fasthttp.RequestCtx, start time.Time, status int, oaType, anthType, code, msg string) {
	if bytes.HasPrefix(ctx.Path(), anthropicPrefix) {
		writeAnthropicError(ctx, status, anthType, msg)
	} else {
		writeError(ctx, status, oaType, code, "", msg)
	}
	s.logOther(ctx, start)
}

// jsonContentType reports whether ct is application/json, with parameters that allow it:
// a charset, if any, must be UTF-8, the only encoding of JSON (RFC 8259).
func jsonContentType(ct []byte) bool {
	mt, params, _ := bytes.Cut(ct, []byte{';'})
	if !bytes.EqualFold(bytes.TrimSpace(mt), []byte("application/json")) {
		return false
	}
	for len(params) > 0 {
		var p []byte
		p, params, _ = bytes.Cut(params, []byte{';'})
		k, v, _ := bytes.Cut(bytes.TrimSpace(p), []byte{'='})
		if bytes.EqualFold(bytes.TrimSpace(k), []byte("charset")) {
			v = bytes.Trim(bytes.TrimSpace(v), `"`)
			if !bytes.EqualFold(v, []byte("utf-8")) && !bytes.EqualFold(v, []byte("utf8")) {
				return false
			}
		}
	}
	return true
}
