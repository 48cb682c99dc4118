package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"time"

	"github.com/bifrost-gw/bifrost/governance"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/bifrost-gw/bifrost/server/metrics"
)

// This file is the transport-neutral entry to the server's checks, for the API's other
// transports (the gRPC service, server/grpcapi): the same gateway keys, virtual keys,
// request validation, governance and metrics as the HTTP routes, without fasthttp.

// Op is the operation of a request that another transport runs.
type Op uint8

// The operations.
const (
	OpChat      Op = Op(kindChat)
	OpText      Op = Op(kindText)
	OpEmbedding Op = Op(kindEmbedding)
)

// Endpoint returns op's metrics endpoint label.
func (op Op) Endpoint() string { return endpoints[op] }

// RequestError is a request the server refuses: the HTTP status the HTTP API answers with,
// its OpenAI-shaped error body and, for 429 and 503, when to try again (seconds, 0 if not
// known).
type RequestError struct {
	Status        int
	Body          schemas.ErrorBody
	RetryAfterSec int
}

func requestError(status int, typ, code, param, msg string) *RequestError {
	return &RequestError{Status: status, Body: schemas.ErrorBody{Message: msg, Type: typ,
		Code: schemas.NullString(code), Param: schemas.NullString(param)}}
}

// Engine returns the engine that s serves.
func (s *Server) Engine() *runtime.Engine { return s.engine }

// AuthorizeKey checks a presented gateway key as the HTTP routes do: with governance on, a
// virtual key or one of client.api_keys; otherwise one of client.api_keys when any is
// configured (none configured: every key, and none, is accepted).
func (s *Server) AuthorizeKey(key []byte) bool {
	a := s.access.Load()
	if p := s.policy(); p != nil && p.Authenticate(key) != nil {
		return true
	} else if p != nil && len(a.keys) == 0 {
		return false
	}
	return a.authorizedKey(key)
}

// authorizedKey is access.authorized for a key given apart from a request.
func (a *access) authorizedKey(key []byte) bool {
	if len(a.keys) == 0 {
		return true
	}
	if len(key) == 0 {
		return false
	}
	sum := sha256.Sum256(key)
	match := 0
	for i := range a.keys {
		match |= subtle.ConstantTimeCompare(sum[:], a.keys[i][:])
	}
	return match == 1
}

// DirectKeysAllowed reports whether clients may send their own provider keys
// (client.allow_direct_keys).
func (s *Server) DirectKeysAllowed() bool { return s.access.Load().allowDirect }

// MaxRequestBodyBytes is the largest request body in force (client.max_request_body_size_mb,
// read on every reload); another transport checks each request message against it.
func (s *Server) MaxRequestBodyBytes() int64 { return s.access.Load().maxBody }

// TooLarge is the refusal of a request larger than MaxRequestBodyBytes, as HTTP answers it.
func TooLarge() *RequestError {
	return requestError(413, schemas.ErrInvalidRequest, "request_too_large", "",
		"request body is larger than the gateway's limit (client.max_request_body_size_mb)")
}

// StreamWriteTimeout is how long a stream may wait for its client to take a chunk
// (client.stream_write_timeout_in_seconds, read on every reload; streamwrite.go).
func (s *Server) StreamWriteTimeout() time.Duration {
	if d := s.access.Load().streamWrite; d > 0 {
		return d
	}
	return config.DefaultStreamWriteTimeout
}

// Validate checks the members of c's decoded request of op that every provider requires,
// as the HTTP routes do; nil when the request is valid.
func (s *Server) Validate(op Op, c *runtime.Call) *RequestError {
	var bad invalidMember
	switch op {
	case OpChat:
		bad = validateChat(&c.Chat)
	case OpText:
		bad = validateText(&c.Text)
	case OpEmbedding:
		bad = validateEmbedding(&c.Embedding)
	}
	if bad.param == "" {
		return nil
	}
	return requestError(400, schemas.ErrInvalidRequest, bad.code, bad.param, bad.msg)
}

// Record records one answered request in the metrics.
func (s *Server) Record(r *metrics.Request) { s.metrics.Record(r) }

// Grant is one request's governance admission: Admit it, report the usage the provider
// billed, Settle it once at the end. Its zero value is ready; with governance off it
// does nothing.
type Grant struct {
	s          *Server
	ticket     governance.Ticket
	on         bool
	usage      governance.Usage
	usageKnown bool
}

// GovernanceOn reports whether governance applies (the config has a governance block).
func (s *Server) GovernanceOn() bool { return s.policy() != nil }

// Admit checks c's request of op against the virtual key presented (key) and reserves its
// worst case; bodyBytes is the request's encoded size, for the input token estimate. For a
// stream, the caller asks the provider for the usage chunk (include_usage) when governance
// is on (GovernanceOn), so that the stream is settled to what it used.
func (g *Grant) Admit(s *Server, op Op, c *runtime.Call, key []byte, bodyBytes int) *RequestError {
	p := s.policy()
	if p == nil {
		return nil
	}
	g.s = s
	out := s.admitCall(p, &g.ticket, kind(op), c, key, bodyBytes, "")
	if out == governance.Admit {
		g.on = true
		if p.LimitsProviders() {
			c.Gate = g // the provider's part of the reservation follows the engine's fallbacks
		}
		return nil
	}
	return govRefusal(&g.ticket, out)
}

// EnterTarget implements runtime.Gate, as on HTTP: before the engine tries a target, the
// provider's part of the reservation moves to the target's provider.
func (g *Grant) EnterTarget(c *runtime.Call, provider string) *runtime.Error {
	if !g.on {
		return nil
	}
	return g.s.enterTarget(&g.ticket, c, provider)
}

// admitCall is governance's admission of c's decoded request of k, the same on every
// transport (Grant.Admit, and exchange.govAdmit on HTTP): it authenticates the presented
// virtual key into t, estimates the request's worst case (input from bodyBytes, the
// request's encoded size; output from its max tokens) and reserves it under p's limits
// and budgets. defaultProvider is the provider of a bare model name, or "".
func (s *Server) admitCall(p *governance.Policy, t *governance.Ticket, k kind, c *runtime.Call, key []byte, bodyBytes int, defaultProvider string) governance.Outcome {
	t.Key = p.Authenticate(key)
	r := governance.Request{DefaultProvider: defaultProvider, InputTokens: int64(bodyBytes)/bytesPerToken + 1}
	switch k {
	case kindChat:
		r.Model, r.Provider, r.Fallbacks = c.Chat.Model, c.Chat.Provider, c.Chat.Fallbacks
		r.MaxTokens = int64(c.Chat.MaxCompletionTokens.V)
		if r.MaxTokens == 0 {
			r.MaxTokens = int64(c.Chat.MaxTokens.V)
		}
	case kindText:
		r.Model, r.Provider, r.Fallbacks = c.Text.Model, c.Text.Provider, c.Text.Fallbacks
		r.MaxTokens = int64(c.Text.MaxTokens.V)
	case kindEmbedding:
		r.Model, r.Provider, r.Fallbacks = c.Embedding.Model, c.Embedding.Provider, c.Embedding.Fallbacks
		r.Embedding = true
	}
	return s.gov.Admit(p, t, &r)
}

// govRefusal describes governance's refusal out of t's request, for every transport: the
// status, OpenAI-shaped body and Retry-After that HTTP answers with (govRefuse).
func govRefusal(t *governance.Ticket, out governance.Outcome) *RequestError {
	switch out {
	case governance.Forbidden:
		return requestError(403, schemas.ErrPermission, "model_not_allowed", "model", "this virtual key may not use model \""+t.Model+"\"")
	case governance.Unpriced:
		return requestError(403, schemas.ErrPermission, "model_not_priced", "model",
			"model \""+t.Model+"\" has no price, and this virtual key has a budget: add it to governance.prices")
	case governance.Refused:
		v := &t.Verdict
		typ, code, msg := limitRefusal(t)
		e := requestError(429, typ, code, "", msg)
		if v.RetryAfter > 0 {
			e.RetryAfterSec = int(governance.RetryAfterSeconds(v.RetryAfter))
		}
		return e
	}
	e := requestError(503, schemas.ErrServer, "governance_unavailable", "", "governance state is unavailable: try again later")
	e.RetryAfterSec = 1
	return e
}

// VirtualKey names the request's virtual key, or "".
func (g *Grant) VirtualKey() string {
	if g.ticket.Key == nil {
		return ""
	}
	return g.ticket.Key.Name
}

// Usage keeps what the provider billed, from a response's or a stream's usage.
func (g *Grant) Usage(u *schemas.Usage) {
	if !g.on || !u.IsDefined() {
		return
	}
	g.usage = governance.Usage{Input: int64(u.PromptTokens), CachedInput: int64(u.PromptTokensDetails.CachedTokens), Output: int64(u.CompletionTokens)}
	g.usageKnown = true
}

// EmbeddingUsage keeps what the provider billed for embeddings.
func (g *Grant) EmbeddingUsage(input int) {
	if g.on {
		g.usage, g.usageKnown = governance.Usage{Input: int64(input)}, true
	}
}

// Settle settles the reservation to what the request used (billed: the provider was
// called and answered) and records the cost in rec. It does nothing the second time.
func (g *Grant) Settle(c *runtime.Call, billed bool, rec *metrics.Request) {
	if !g.on {
		return
	}
	g.on = false
	rec.Cost = g.s.gov.Settle(&g.ticket, c.Provider, c.Model, g.usage, g.usageKnown, billed)
	rec.Costed = g.ticket.Costed
	if rec.Costed {
		c.SetCost(rec.Cost) // for the trace's server span
	}
}

// LogRequest writes a request's access log line, as the HTTP routes do, when access lines
// are on (info level): path names the call (a gRPC method's full name), d is its time.
func (s *Server) LogRequest(r *metrics.Request, path string, d time.Duration, c *runtime.Call) {
	if s.accessLogOn() {
		s.logRequest(r, []byte(path), d, c)
	}
}
