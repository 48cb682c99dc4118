package runtime

import "time"

// Observer is told about each upstream attempt of a request, about a stream's chunks and
// about the request's end: package tracing implements it to make OpenTelemetry spans.
// Set it in Options.Observer; a request is observed only when its Call also carries a
// trace (SetTrace). With either unset the engine calls nothing and allocates nothing.
//
// The methods run on the request's goroutine (Chunk and CallEnd on a stream's reader's)
// and must not block: they record, they do not wait.
type Observer interface {
	// AttemptStart is called just before a request goes upstream; the observer may add
	// headers to it with Call.SetUpstreamHeader (trace propagation).
	AttemptStart(c *Call, a Attempt)
	// AttemptEnd is called when the attempt's outcome is known: for a stream, when its
	// headers arrived.
	AttemptEnd(c *Call, a Attempt, r AttemptResult)
	// Chunk is called for each chunk of an open stream, after it is decoded into c.Chunk
	// (chat) or c.TextResp (text); n counts the chunks from 1.
	Chunk(c *Call, n int)
	// CallEnd is called once when the Call is released, before it is reset: the answer,
	// the stream's last chunk or Err are still in c.
	CallEnd(c *Call)
}

// Attempt describes one upstream attempt.
type Attempt struct {
	// Provider and Model are the target's provider and the model asked of it.
	Provider, Model string
	// KeyName is the configured key's name (its index as "#N" when it has none), or ""
	// when the provider has no keys or the client sent its own. Never the key's value.
	KeyName string
	// Retry counts the retries on this target before this attempt (0: the first).
	// Fallback is the target's index: 0 for the first target, 1 for the first fallback.
	Retry, Fallback int
	// Stream says the attempt opens a stream.
	Stream bool
	// Start is when the attempt went out.
	Start time.Time
}

// AttemptResult is how an attempt ended.
type AttemptResult struct {
	// Status is the provider's HTTP status; 0 when no response came (network error,
	// timeout, a stale connection that is sent again).
	Status int
	// Err is the attempt's failure, nil on success.
	Err *Error
	// Reconnect says the attempt failed on a stale pooled connection and is sent again
	// at once, without counting as a retry.
	Reconnect bool
	// End is when the outcome was known.
	End time.Time
}

// observed is a Call's observation state: the engine's observer, the trace the caller
// attached, the attempt in flight and the stream's chunk count.
type observed struct {
	o      Observer
	trace  any
	cur    Attempt
	chunks int
	cost   int64 // nano-USD, when costed
	costed bool
}

// SetTrace attaches the request's trace state, which the engine's Observer reads back
// with Trace. Without it (or without an Observer) nothing is observed.
func (c *Call) SetTrace(v any) { c.obs.trace = v }

// Trace returns what SetTrace attached, or nil.
func (c *Call) Trace() any { return c.obs.trace }

// SetCost records what the request cost, in nano-USD, once governance has settled it
// (before the Call is released), so that the Observer's CallEnd can report it.
func (c *Call) SetCost(nanoUSD int64) { c.obs.cost, c.obs.costed = nanoUSD, true }

// Cost returns what SetCost recorded; ok is false when the request was not costed.
func (c *Call) Cost() (nanoUSD int64, ok bool) { return c.obs.cost, c.obs.costed }

// Operation names the request's operation: "chat", "text_completion", "embeddings" or
// "models", as the OpenTelemetry GenAI conventions name them (gen_ai.operation.name).
func (c *Call) Operation() string { return genaiOp[c.op] }

// genaiOp is gen_ai.operation.name by operation: the conventions' well-known values
// (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/), "models" ours.
var genaiOp = [...]string{"chat", "chat", "text_completion", "text_completion", "embeddings", "models"}

// SetUpstreamHeader sets a header of the request about to go upstream; meant for an
// Observer's AttemptStart (trace propagation).
func (c *Call) SetUpstreamHeader(name, value string) { c.req.Header.Set(name, value) }

func (c *Call) observing() bool { return c.obs.o != nil && c.obs.trace != nil }

// observeStart reports an attempt about to go out to the current target.
func (c *Call) observeStart(p *providerState, retry int, t0 time.Time) {
	if !c.observing() {
		return
	}
	c.obs.cur = Attempt{Provider: p.name, Model: c.cur.model, Retry: retry, Fallback: c.Fallbacks,
		Stream: c.streaming, Start: t0}
	if c.key >= 0 && c.DirectKey == "" && c.key < len(p.keys) {
		c.obs.cur.KeyName = p.keys[c.key].name
	}
	c.obs.o.AttemptStart(c, c.obs.cur)
}

// observeEnd reports the outcome of the attempt observeStart reported.
func (c *Call) observeEnd(status int, err *Error, reconnect bool) {
	if !c.observing() {
		return
	}
	c.obs.o.AttemptEnd(c, c.obs.cur, AttemptResult{Status: status, Err: err, Reconnect: reconnect, End: time.Now()})
}

// observeChunk reports a stream chunk.
func (c *Call) observeChunk() {
	if !c.observing() {
		return
	}
	c.obs.chunks++
	c.obs.o.Chunk(c, c.obs.chunks)
}

// observeRelease reports the Call's end and forgets its trace.
func (c *Call) observeRelease() {
	if c.observing() {
		c.obs.o.CallEnd(c)
	}
	c.obs.trace, c.obs.cur, c.obs.chunks = nil, Attempt{}, 0
	c.obs.cost, c.obs.costed = 0, false
}

// traced reports whether the engine's Observer watches this call (SetTrace was called).
func (c *Call) traced() bool { return c.obs.o != nil && c.obs.trace != nil }
