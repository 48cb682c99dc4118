package server

import (
	"bytes"
	"strings"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/valyala/fasthttp"
)

// CORS, driven by client.allowed_origins (applied on reload).
//
// With no origins configured (the default), no cross-origin browser request is allowed:
// preflights get 403 and no response carries CORS headers, so a page on another site can
// neither call the gateway with JSON nor read an answer. Requests that need no preflight
// ("simple" requests: a form or text/plain POST) are refused by the intake's
// Content-Type check (415), and any request but GET and HEAD that carries an Origin the
// list does not allow gets 403, which also stops DNS-rebinding pages that the browser
// treats as same-origin. Clients that are not browsers send no Origin and are not
// affected.
//
// An allowed origin (listed, or "*") gets, on every answer, Access-Control-Allow-Origin
// (the origin itself, or "*"), the gateway's own headers exposed, and Vary: Origin; a
// preflight (OPTIONS with Access-Control-Request-Method) gets 204 with the methods, the
// requested headers and a Max-Age of ten minutes. Browsers send gateway keys in
// Authorization or x-api-key, which are headers, not credentials in the CORS sense, so no
// Allow-Credentials is sent.

// corsPolicy is the parsed client.allowed_origins.
type corsPolicy struct {
	any     bool     // "*" is listed
	origins [][]byte // the listed origins, lower case, without a trailing "/"
}

func newCORSPolicy(list []string) corsPolicy {
	var p corsPolicy
	for _, o := range list {
		if o == "*" {
			p.any = true
			continue
		}
		p.origins = append(p.origins, []byte(strings.ToLower(strings.TrimSuffix(o, "/"))))
	}
	return p
}

// allows reports whether a browser page from origin may call the gateway.
func (p *corsPolicy) allows(origin []byte) bool {
	if p.any {
		return true
	}
	for _, o := range p.origins {
		if bytes.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

const (
	corsMethods = "GET, POST, OPTIONS"
	// corsDefaultHeaders are allowed when a preflight's Access-Control-Request-Headers
	// cannot be echoed.
	corsDefaultHeaders = "authorization, content-type, x-api-key, api-key, anthropic-version, anthropic-beta, " + DirectKeyHeader
	corsExposed        = OverheadHeader + ", " + ShortCircuitHeader + ", Retry-After"
	corsMaxAge         = "600"
)

// preflight answers a CORS preflight from origin.
func (p *corsPolicy) preflight(ctx *fasthttp.RequestCtx, origin []byte) {
	if !p.allows(origin) {
		msg := "cross-origin requests from this Origin are not allowed: list it in client.allowed_origins"
		if bytes.HasPrefix(ctx.Path(), anthropicPrefix) {
			writeAnthropicError(ctx, 403, "permission_error", msg)
		} else {
			writeError(ctx, 403, schemas.ErrPermission, "origin_not_allowed", "", msg)
		}
		ctx.Response.Header.Set("Vary", "Origin")
		return
	}
	ctx.Response.Reset()
	ctx.SetStatusCode(fasthttp.StatusNoContent)
	h := &ctx.Response.Header
	p.allowOrigin(h, origin)
	h.Set("Access-Control-Allow-Methods", corsMethods)
	if req := ctx.Request.Header.Peek("Access-Control-Request-Headers"); len(req) > 0 && headerList(req) {
		h.SetBytesV("Access-Control-Allow-Headers", req)
	} else {
		h.Set("Access-Control-Allow-Headers", corsDefaultHeaders)
	}
	h.Set("Access-Control-Max-Age", corsMaxAge)
	h.Set("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
}

// headers adds the CORS headers to an answer, for an allowed Origin.
func (p *corsPolicy) headers(ctx *fasthttp.RequestCtx) {
	if !p.any && len(p.origins) == 0 {
		return // CORS is off: nothing to add, nothing varies
	}
	h := &ctx.Response.Header
	if !p.any {
		h.Set("Vary", "Origin")
	}
	origin := ctx.Request.Header.PeekBytes(originHeader)
	if len(origin) == 0 || !p.allows(origin) || len(h.Peek("Access-Control-Allow-Origin")) > 0 {
		return
	}
	p.allowOrigin(h, origin)
	h.Set("Access-Control-Expose-Headers", corsExposed)
}

func (p *corsPolicy) allowOrigin(h *fasthttp.ResponseHeader, origin []byte) {
	if p.any {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.SetBytesV("Access-Control-Allow-Origin", origin)
	}
}

// headerList reports whether v is a short comma-separated list of header names, safe to
// echo in Access-Control-Allow-Headers.
func headerList(v []byte) bool {
	if len(v) > 1024 {
		return false
	}
	for _, c := range v {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == ',', c == ' ':
		default:
			return false
		}
	}
	return true
}
