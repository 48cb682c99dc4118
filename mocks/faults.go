package mocks

import (
	"crypto/subtle"

	"github.com/valyala/fasthttp"
)

// authorize reports whether ctx carries the configured key. Without
// Config.RequireKey every request is authorised. On failure it answers 401.
func (s *Server) authorize(ctx *fasthttp.RequestCtx) bool {
	if s.authz == nil {
		return true
	}
	got := ctx.Request.Header.Peek(fasthttp.HeaderAuthorization)
	if subtle.ConstantTimeCompare(got, s.authz) == 1 {
		return true
	}
	e := statusError(fasthttp.StatusUnauthorized)
	if len(got) == 0 {
		e.message = "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
	}
	s.stats.unauthorized.Add(1)
	writeError(ctx, &e)
	return false
}

// pickFault decides whether this request fails, returning the status code
// to answer or 0. Config.FailFirst is used up first, in order; then one
// uniform draw picks 429, 500, 503 or success by the configured rates.
func (s *Server) pickFault() int {
	if n := uint64(len(s.cfg.FailFirst)); n > 0 {
		if i := s.failSeq.Add(1) - 1; i < n {
			return s.cfg.FailFirst[i]
		}
	}
	if s.faultRate == 0 {
		return 0
	}
	u := s.rand.float64()
	switch {
	case u < s.cfg.Rate429:
		return fasthttp.StatusTooManyRequests
	case u < s.cfg.Rate429+s.cfg.Rate500:
		return fasthttp.StatusInternalServerError
	case u < s.faultRate:
		return fasthttp.StatusServiceUnavailable
	}
	return 0
}

// injectFault answers ctx with the failure for status and counts it.
func (s *Server) injectFault(ctx *fasthttp.RequestCtx, status int) {
	s.stats.countInjected(status)
	e := statusError(status)
	writeError(ctx, &e)
}
