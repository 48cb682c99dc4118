package runtime

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/clock"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/valyala/fasthttp"
)

// Engine routes unified requests to providers. It is safe for concurrent use.
type Engine struct {
	adapters map[string]provider.Adapter
	dial     fasthttp.DialFunc
	getenv   func(string) string
	snap     atomic.Pointer[snapshot]
	calls    sync.Pool
	// outstanding counts Calls acquired and not yet released (OutstandingCalls).
	outstanding atomic.Int64
	plugins     atomic.Pointer[plugins]         // nil without plugins
	coolHook    atomic.Pointer[KeyCooldownFunc] // OnKeyCooldown's function (sharedcool.go)
	log         *slog.Logger                    // nil: Options.Logger was not set
	clock       clock.Clock                     // Options.Clock, or the real clock
	obs         Observer                        // nil: Options.Observer was not set
	// watch cancels upstream requests whose clients went away (cancel.go).
	watch watcher
}

// Options change how an engine is built. Adapters is required; the other fields may be left
// zero.
type Options struct {
	// Adapters are the provider adapters the engine serves, each under its Info().Name:
	// usually adapters.All(), every adapter generated from specs/. Required: the runtime does
	// not import the adapters, its callers hand them in.
	Adapters []provider.Adapter
	// Dial, when set, opens every upstream connection instead of TCP (and instead of any
	// proxy_config): for in-memory tests and benchmarks, or unix sockets.
	Dial fasthttp.DialFunc
	// Plugins hook into every request, in this order (see Plugin).
	Plugins []Plugin
	// Getenv, when set, replaces os.Getenv where the engine reads the environment: for
	// Google's application default credentials (GOOGLE_APPLICATION_CREDENTIALS, HOME,
	// GCE_METADATA_HOST) of Vertex keys without credentials of their own.
	Getenv func(string) string
	// Logger, when set, takes the engine's debug messages: the full text of a network
	// error with a provider (addresses included, keys scrubbed), which a client's error
	// says only in plain words. Nil: nothing is logged.
	Logger *slog.Logger
	// Clock, when set, is the time of the engine's own timers: request deadlines, retry
	// backoff, admission waits, circuit breakers, key cooldowns and model denials (for
	// tests, a clock.Fake). Socket deadlines and what goes on the wire (SigV4 dates,
	// OAuth2 token lifetimes) keep the system clock. Nil: the system clock.
	Clock clock.Clock
	// Observer, when set, is told about the upstream attempts of each request whose Call
	// carries a trace (Call.SetTrace), for tracing (observe.go). Nil: nothing is observed.
	Observer Observer
}

// New builds an engine from a validated config that serves the providers of adapters
// (usually adapters.All()).
func New(cfg *config.Config, adapters []provider.Adapter) (*Engine, error) {
	return NewWithOptions(cfg, Options{Adapters: adapters})
}

// NewWithOptions builds an engine with opts.
func NewWithOptions(cfg *config.Config, opts Options) (*Engine, error) {
	list := opts.Adapters
	if len(list) == 0 {
		return nil, errors.New("runtime: Options.Adapters is empty (pass adapters.All())")
	}
	e := &Engine{adapters: map[string]provider.Adapter{}, dial: opts.Dial, getenv: opts.Getenv, log: opts.Logger,
		clock: clock.OrReal(opts.Clock), obs: opts.Observer}
	e.plugins.Store(newPlugins(opts.Plugins))
	for _, a := range list {
		e.adapters[a.Info().Name] = a
	}
	e.calls.New = func() any {
		c := newCall()
		c.log, c.clk, c.obs.o = e.log, e.clock, e.obs
		return c
	}
	if err := e.Reload(cfg); err != nil {
		return nil, err
	}
	// Calls are made on demand (cfg.Client.InitialPoolSize is not a preallocation here: a
	// sync.Pool drops what it holds within two GC cycles, so a prefill would only raise the
	// peak RSS; the pool follows the real concurrency instead).
	return e, nil
}

// Reload swaps in a new configuration. Requests in flight finish with the snapshot they
// started with. A config that does not build leaves the current one in place.
func (e *Engine) Reload(cfg *config.Config) error {
	s, err := buildSnapshot(cfg, e.adapters, e.dial, e.getenv, e.snap.Load())
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	old := e.snap.Swap(s)
	if old != nil {
		for _, p := range old.providers {
			p.client.CloseIdleConnections()
		}
	}
	return nil
}

// Close releases idle upstream connections.
func (e *Engine) Close() {
	if s := e.snap.Load(); s != nil {
		for _, p := range s.providers {
			p.client.CloseIdleConnections()
		}
	}
}

func (e *Engine) snapshot() *snapshot { return e.snap.Load() }

// AcquireCall returns an empty Call from the pool.
func (e *Engine) AcquireCall() *Call {
	c := e.calls.Get().(*Call)
	c.key = -1
	e.outstanding.Add(1)
	return c
}

// OutstandingCalls returns how many Calls have been acquired and not yet released. It is 0
// whenever every request has finished: tests use it to show that no pooled Call leaks.
func (e *Engine) OutstandingCalls() int64 { return e.outstanding.Load() }

// ReleaseCall closes any open stream and returns c to the pool; c must not be used after.
func (e *Engine) ReleaseCall(c *Call) {
	c.finishPlugins()
	c.observeRelease()
	c.CloseStream()
	c.reset()
	e.outstanding.Add(-1)
	e.calls.Put(c)
}

// ChatCompletion runs c.Chat and leaves the answer in c.ChatResp.
func (e *Engine) ChatCompletion(c *Call) *Error {
	if ps := e.plugins.Load(); ps != nil {
		return e.plugged(c, provider.OpChat, ps)
	}
	return e.chatCompletion(c)
}

func (e *Engine) chatCompletion(c *Call) *Error {
	if err := e.start(c, provider.OpChat, c.Chat.Model, c.Chat.Provider, c.Chat.Fallbacks); err != nil {
		return err
	}
	// The answer is decoded and checked with each attempt (decodeAnswer). A passed answer
	// goes to the client as the provider sent it: the unified response stays empty.
	if c.Passed() {
		return nil
	}
	if c.ChatResp.Model == "" {
		c.ChatResp.Model = c.Model // providers that do not echo the model (Cohere, Bedrock)
	}
	if c.ChatResp.ID == "" {
		c.ChatResp.ID = c.newID() // providers that send no id (Bedrock Converse)
	}
	if c.ChatResp.Created == 0 {
		c.ChatResp.Created = time.Now().Unix()
	}
	return nil
}

// TextCompletion runs c.Text and leaves the answer in c.TextResp.
func (e *Engine) TextCompletion(c *Call) *Error {
	if ps := e.plugins.Load(); ps != nil {
		return e.plugged(c, provider.OpText, ps)
	}
	return e.textCompletion(c)
}

func (e *Engine) textCompletion(c *Call) *Error {
	if err := e.start(c, provider.OpText, c.Text.Model, c.Text.Provider, c.Text.Fallbacks); err != nil {
		return err
	}
	if c.TextResp.Model == "" && !c.Passed() {
		c.TextResp.Model = c.Model
	}
	return nil
}

// Embedding runs c.Embedding and leaves the answer in c.EmbeddingResp.
func (e *Engine) Embedding(c *Call) *Error {
	if ps := e.plugins.Load(); ps != nil {
		return e.plugged(c, provider.OpEmbedding, ps)
	}
	return e.embedding(c)
}

func (e *Engine) embedding(c *Call) *Error {
	if err := e.start(c, provider.OpEmbedding, c.Embedding.Model, c.Embedding.Provider, c.Embedding.Fallbacks); err != nil {
		return err
	}
	if c.EmbeddingResp.Model == "" && !c.Passed() {
		c.EmbeddingResp.Model = c.Model
	}
	return nil
}

// ChatCompletionStream opens a stream for c.Chat. On success read chunks with Recv; the
// stream closes at its end, on CloseStream, or on ReleaseCall. Retries and fallbacks happen
// only before the stream opens.
func (e *Engine) ChatCompletionStream(c *Call) *Error {
	if ps := e.plugins.Load(); ps != nil {
		return e.plugged(c, provider.OpChatStream, ps)
	}
	return e.start(c, provider.OpChatStream, c.Chat.Model, c.Chat.Provider, c.Chat.Fallbacks)
}

// TextCompletionStream opens a stream for c.Text; chunks arrive in c.TextResp through Recv.
func (e *Engine) TextCompletionStream(c *Call) *Error {
	if ps := e.plugins.Load(); ps != nil {
		return e.plugged(c, provider.OpTextStream, ps)
	}
	return e.start(c, provider.OpTextStream, c.Text.Model, c.Text.Provider, c.Text.Fallbacks)
}

// start routes the request and runs it until a provider answers 2xx (for a stream: until its
// body is open).
func (e *Engine) start(c *Call, op provider.Op, model, providerField string, fallbacks schemas.Strings) *Error {
	c.op = op
	c.streaming = op.Streams()
	t0 := e.clock.Now()
	s := e.snapshot()
	err := c.route(s, model, providerField, fallbacks)
	t1 := e.clock.Now()
	c.Route = t1.Sub(t0)
	if err != nil {
		return err
	}
	if err := e.run(c, s, t1); err != nil {
		return c.RedactDirectKey(err)
	}
	if c.streaming {
		c.openStream()
	}
	return nil
}

// decode turns an adapter's decoding failure into a 502.
func (c *Call) decode(err error) *Error {
	if err == nil {
		return nil
	}
	e := c.Err.set(502, schemas.ErrUpstream, "invalid_upstream_response", "",
		"provider "+c.Provider+" returned a response that is not valid: "+c.scrub(err.Error())) // a decode error may quote the body
	e.Provider = c.Provider
	return e
}

// ProviderLoad is one provider's current load and health.
type ProviderLoad struct {
	Name             string
	InFlight, Queued int
	// Breaker is the circuit breaker's state: BreakerClosed, BreakerHalfOpen or BreakerOpen.
	Breaker int
	// KeyCooldowns counts the times one of the provider's keys went into cooldown since
	// the engine started.
	KeyCooldowns uint64
	// Dropped counts requests the provider's admission refused since the engine started:
	// its queue was full (drop_excess_requests) or no slot came free in time.
	Dropped uint64
}

// Load reports each configured provider's in-flight and queued requests and its health,
// sorted by name.
func (e *Engine) Load(dst []ProviderLoad) []ProviderLoad {
	s := e.snapshot()
	for _, n := range s.names {
		p := s.providers[n]
		dst = append(dst, ProviderLoad{Name: n, InFlight: p.adm.inFlight(), Queued: p.adm.queued(),
			Breaker: p.breaker.State(), KeyCooldowns: p.stats.keyCooldowns.Load(),
			Dropped: p.stats.dropped.Load()})
	}
	return dst
}

// Providers returns the configured providers' names, sorted.
func (e *Engine) Providers() []string { return e.snapshot().names }
