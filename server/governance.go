package server

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/bifrost-gw/bifrost/governance"
	"github.com/bifrost-gw/bifrost/governance/state"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/valyala/fasthttp"
)

// CostHeader is the response header that carries what a request cost, in US dollars with
// nine decimals, when governance is on. A stream's cost is known only at its end: it is in
// the access log line and the bifrost_cost_usd_total metric, not in a header.
const CostHeader = "X-Bifrost-Cost-Usd"

// SetGovernor turns on governance (virtual keys, limits, budgets, cost) as g's policy says:
// while g has no policy (no governance block in the config), nothing changes. Call it
// once, before serving.
func (s *Server) SetGovernor(g *governance.Governor) {
	s.gov = g
	if g != nil {
		s.metrics.SetStateErrors(g.StateErrors)
		s.metrics.Registry().MustRegister(g.Collector())
	}
}

// policy returns the governance policy in force, or nil when governance is off.
func (s *Server) policy() *governance.Policy {
	if s.gov == nil {
		return nil
	}
	return s.gov.Policy()
}

// authorized checks the request's gateway key. With governance on, a virtual key or one
// of client.api_keys is required (a client.api_keys key has no limits); otherwise as
// access.authorized.
func (s *Server) authorized(ctx *fasthttp.RequestCtx, a *access) bool {
	return s.authorizedHeader(&ctx.Request.Header, a)
}

// authorizedHeader is authorized for a request's header alone.
func (s *Server) authorizedHeader(h *fasthttp.RequestHeader, a *access) bool {
	p := s.policy()
	if p == nil {
		return a.authorized(h)
	}
	if p.Authenticate(presentedKey(h)) != nil {
		return true
	}
	return len(a.keys) > 0 && a.authorized(h)
}

// Token estimate: a request body's bytes per input token (JSON included, so it
// overestimates English text, which runs about four characters per token).
const bytesPerToken = 4

// govAdmit checks the request in x.call against its virtual key and reserves its worst
// case (admitCall, as on every transport). It answers (in Anthropic's shape when anth) and
// returns false when the request may not go on. defaultProvider is the provider of a bare
// model name (Anthropic route).
func (x *exchange) govAdmit(anth bool, defaultProvider string) bool {
	p := x.s.policy()
	if p == nil {
		return true
	}
	c, t := x.call, &x.gov
	x.govTicket = true
	out := x.s.admitCall(p, t, x.kind, c, presentedKey(&x.ctx.Request.Header), len(x.ctx.PostBody()), defaultProvider)
	if t.Key != nil {
		x.rec.VirtualKey = t.Key.Name
	}
	if out == governance.Admit {
		x.govOn = true
		// Ask the provider for a stream's usage; the client's stream stays as it asked (wantsUsage).
		switch {
		case x.kind == kindChat && c.Chat.IsStream():
			c.Chat.StreamOptions = x.forceUsage(c.Chat.StreamOptions)
		case x.kind == kindText && c.Text.IsStream():
			c.Text.StreamOptions = x.forceUsage(c.Text.StreamOptions)
		}
		if p.LimitsProviders() {
			c.Gate = x // the provider's part of the reservation follows the engine's fallbacks
		}
		return true
	}
	x.govRefuse(out, anth)
	code := refusalCodes[out]
	if out == governance.Refused && t.Verdict.Refused == state.OverBudget {
		code = "insufficient_quota"
	}
	x.call.SetError(x.ctx.Response.StatusCode(), "", code, "") // for the access line
	return false
}

// refusalCodes are the error codes of governance's refusals, for the access line.
var refusalCodes = [...]string{governance.Forbidden: "model_not_allowed", governance.Unpriced: "model_not_priced",
	governance.Refused: "rate_limit_exceeded", governance.Unavailable: "governance_unavailable"}

// forceUsage returns stream options that ask for the usage chunk: so unchanged when the
// client asked for it, else so with include_usage set, or the exchange's own options when
// the client sent none; it records that the client did not ask (forcedUsage).
func (x *exchange) forceUsage(so *schemas.StreamOptions) *schemas.StreamOptions {
	if so != nil && so.IncludeUsage.V {
		return so
	}
	x.forcedUsage = true
	if so == nil {
		x.streamOpts = schemas.StreamOptions{}
		so = &x.streamOpts
	}
	so.IncludeUsage.V, so.IncludeUsage.Defined = true, true
	return so
}

// govRefuse answers a request that governance refused (govRefusal), in Anthropic's shape
// when anth, with OpenAI's x-ratelimit-* headers for a limit.
func (x *exchange) govRefuse(out governance.Outcome, anth bool) {
	ctx, e := x.ctx, govRefusal(&x.gov, out)
	if anth {
		typ := "permission_error"
		switch {
		case e.Status == 503:
			typ = "api_error"
		case e.Body.Code == "insufficient_quota":
			typ = "insufficient_quota"
		case e.Status == 429:
			typ = "rate_limit_error"
		}
		writeAnthropicError(ctx, e.Status, typ, e.Body.Message)
	} else {
		writeError(ctx, e.Status, e.Body.Type, string(e.Body.Code), string(e.Body.Param), e.Body.Message)
	}
	if e.RetryAfterSec > 0 {
		ctx.Response.Header.SetBytesV("Retry-After", strconv.AppendInt(x.num[:0], int64(e.RetryAfterSec), 10))
	}
	if out == governance.Refused {
		x.rateHeaders()
	}
}

// limitRefusal returns the error type, code and message of a ticket that a limit or a budget
// refused.
func limitRefusal(t *governance.Ticket) (typ, code, msg string) {
	v := &t.Verdict
	switch v.Refused {
	case state.OverBudget:
		return "insufficient_quota", "insufficient_quota", "budget exceeded: " + levelName(t.RefusedBy()) + "'s " + periodNames[v.Period] + " budget has no room for this request"
	case state.InFlight:
		typ, msg = "requests", "rate limit exceeded: "+levelName(t.RefusedBy())+" has max_in_flight requests running"
	case state.RequestRate:
		typ, msg = "requests", "rate limit exceeded: "+levelName(t.RefusedBy())+"'s requests per minute (rpm)"
	default:
		typ, msg = "tokens", "rate limit exceeded: "+levelName(t.RefusedBy())+"'s tokens per minute (tpm)"
	}
	return typ, "rate_limit_exceeded", msg
}

// EnterTarget implements runtime.Gate: before the engine tries a target, the provider's
// part of the request's reservation moves to the target's provider (governance.Enter).
// A refusal is an error that falls back on the next target, if any: a 429 in the shape
// of a limit's refusal, without its headers (the request may have been sent elsewhere
// first), or a 503 when the state cannot be reached and on_error is fail_closed.
func (x *exchange) EnterTarget(c *runtime.Call, provider string) *runtime.Error {
	if !x.govOn {
		return nil
	}
	return x.s.enterTarget(&x.gov, c, provider)
}

// enterTarget moves t's provider reservation to provider (governance.Enter), for every
// transport's Gate; a refusal is written into c.Err and returned.
func (s *Server) enterTarget(t *governance.Ticket, c *runtime.Call, provider string) *runtime.Error {
	switch s.gov.Enter(t, provider) {
	case governance.Admit:
		return nil
	case governance.Unavailable:
		c.Err = runtime.Error{Status: 503, Provider: provider, Body: schemas.ErrorBody{Type: schemas.ErrServer,
			Code: "governance_unavailable", Message: "governance state is unavailable: try again later"}}
	default:
		typ, code, msg := limitRefusal(t)
		c.Err = runtime.Error{Status: 429, Provider: provider, Retryable: true, Body: schemas.ErrorBody{Type: typ, Code: schemas.NullString(code), Message: msg}}
	}
	return &c.Err
}

var periodNames = [state.NumPeriods]string{"daily", "weekly", "monthly", "lifetime"}

// levelName names the level with id for a refusal's message, never a key's value.
func levelName(id string) string {
	switch {
	case strings.HasPrefix(id, "team:"):
		return "the key's team"
	case strings.HasPrefix(id, governance.ProviderLevelPrefix):
		return "provider " + id[len(governance.ProviderLevelPrefix):]
	}
	return "the virtual key"
}

// rateHeaders sets OpenAI's x-ratelimit-* headers from the ticket's verdict, for the
// limits the key has.
func (x *exchange) rateHeaders() {
	v, h := &x.gov.Verdict, &x.ctx.Response.Header
	if v.LimitRequests == 0 && v.LimitTokens == 0 {
		return
	}
	reset := appendResetSeconds(x.num[:0], v.Reset)
	n := len(reset)
	if v.LimitRequests > 0 {
		h.SetBytesV("x-ratelimit-limit-requests", strconv.AppendInt(x.num[n:n], v.LimitRequests, 10))
		h.SetBytesV("x-ratelimit-remaining-requests", strconv.AppendInt(x.num[n:n], v.RemainingRequests, 10))
		h.SetBytesV("x-ratelimit-reset-requests", reset)
	}
	if v.LimitTokens > 0 {
		h.SetBytesV("x-ratelimit-limit-tokens", strconv.AppendInt(x.num[n:n], v.LimitTokens, 10))
		h.SetBytesV("x-ratelimit-remaining-tokens", strconv.AppendInt(x.num[n:n], v.RemainingTokens, 10))
		h.SetBytesV("x-ratelimit-reset-tokens", reset)
	}
}

// appendResetSeconds writes d as OpenAI's reset headers do: whole seconds with "s" ("17s"),
// rounded up.
func appendResetSeconds(dst []byte, d time.Duration) []byte {
	return append(strconv.AppendInt(dst, governance.RetryAfterSeconds(d), 10), 's')
}

// govUsage keeps what the provider billed, from a response's usage.
func (x *exchange) govUsage(u *schemas.Usage) {
	if !x.govOn || !u.IsDefined() {
		return
	}
	x.usage = governance.Usage{Input: int64(u.PromptTokens), CachedInput: int64(u.PromptTokensDetails.CachedTokens), Output: int64(u.CompletionTokens)}
	x.usageKnown = true
}

// govEmbeddingUsage keeps what the provider billed for embeddings.
func (x *exchange) govEmbeddingUsage(input int) {
	if x.govOn {
		x.usage, x.usageKnown = governance.Usage{Input: int64(input)}, true
	}
}

// govSettle settles the request's reservation to what it used; header says to report the
// cost in CostHeader (not for a stream, whose headers are sent).
func (x *exchange) govSettle(billed, header bool) {
	if !x.govOn {
		return
	}
	x.govOn = false
	c := x.call
	cost := x.s.gov.Settle(&x.gov, c.Provider, c.Model, x.usage, x.usageKnown, billed)
	x.rec.Cost, x.rec.Costed = cost, x.gov.Costed
	if x.gov.Costed {
		c.SetCost(cost) // for the trace's server span
	}
	if header && x.usageKnown {
		x.ctx.Response.Header.SetBytesV(CostHeader, governance.AppendUSD(x.num[:0], cost))
	}
}

// UsagePath is the governance usage API: GET it with one of governance.admin_keys (as a
// gateway key is sent) for every virtual key's and team's limits, use in the current UTC
// windows, and remaining budgets, read from the shared state (the same on every replica).
const UsagePath = "/governance/usage"

// serveUsage answers the usage API. It returns false, having answered nothing, when the
// API is off (no governance, or no admin keys): the path is then an unknown route.
func (s *Server) serveUsage(ctx *fasthttp.RequestCtx) bool {
	p := s.policy()
	if p == nil || !p.HasAdmins() {
		return false
	}
	if !s.get(ctx) {
		return true
	}
	if !p.IsAdmin(presentedKey(&ctx.Request.Header)) {
		writeError(ctx, 401, schemas.ErrInvalidRequest, "invalid_api_key", "", "the usage API needs one of governance.admin_keys")
		ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="bifrost"`)
		return true
	}
	r, err := s.gov.Report(p)
	if err != nil {
		writeError(ctx, 503, schemas.ErrServer, "governance_unavailable", "", "governance state is unavailable: try again later")
		return true
	}
	b, err := json.Marshal(r)
	if err != nil {
		writeError(ctx, 500, schemas.ErrServer, "internal_error", "", "could not encode the usage report")
		return true
	}
	ctx.SetContentType("application/json")
	ctx.Response.Header.Set("Cache-Control", "no-store")
	ctx.SetBody(b)
	return true
}
