package runtime

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
	"github.com/mailru/easyjson/opt"
)

// Account supplies an embedded engine's providers, keys and provider settings, as in the
// upstream Bifrost Go package: implement it, then call Init.
type Account interface {
	// GetConfiguredProviders names the providers to serve, e.g. "openai", "groq".
	GetConfiguredProviders() ([]string, error)
	// GetKeysForProvider returns the provider's keys.
	GetKeysForProvider(ctx context.Context, provider string) ([]config.Key, error)
	// GetConfigForProvider returns the provider's network, concurrency and proxy settings.
	// Zero values take the same defaults as in a config file.
	GetConfigForProvider(provider string) (*config.Provider, error)
}

// BifrostConfig configures Init.
type BifrostConfig struct {
	// Account supplies providers and keys. Required.
	Account Account
	// InitialPoolSize is how many request objects are made up front (default 300).
	InitialPoolSize int
	// DropExcessRequests answers "queue full" at once instead of waiting when a provider's
	// queue is full.
	DropExcessRequests bool
	// Plugins hook into every request, in this order (see Plugin). They are added to
	// Options.Plugins.
	Plugins []Plugin
	// Adapters are the provider adapters to serve, usually adapters.All(). Required, here
	// or in Options.Adapters.
	Adapters []provider.Adapter
	// Options are passed to the engine (e.g. a custom Dial for tests).
	Options Options
}

// Init builds an engine from an Account: the embeddable form of the gateway.
func Init(ctx context.Context, cfg BifrostConfig) (*Engine, error) {
	c, err := configFromAccount(ctx, cfg)
	if err != nil {
		return nil, err
	}
	opts := cfg.Options
	if len(opts.Adapters) == 0 {
		opts.Adapters = cfg.Adapters
	}
	if len(cfg.Plugins) > 0 {
		opts.Plugins = append(append([]Plugin(nil), opts.Plugins...), cfg.Plugins...)
	}
	return NewWithOptions(c, opts)
}

func configFromAccount(ctx context.Context, bc BifrostConfig) (*config.Config, error) {
	if bc.Account == nil {
		return nil, errors.New("bifrost: BifrostConfig.Account is required")
	}
	names, err := bc.Account.GetConfiguredProviders()
	if err != nil {
		return nil, fmt.Errorf("bifrost: configured providers: %w", err)
	}
	sort.Strings(names)
	cfg := &config.Config{Providers: map[string]*config.Provider{}}
	cfg.Client.DropExcessRequests = bc.DropExcessRequests
	cfg.Client.InitialPoolSize = bc.InitialPoolSize
	if cfg.Client.InitialPoolSize <= 0 {
		cfg.Client.InitialPoolSize = config.DefaultInitialPoolSize
	}
	for _, name := range names {
		p, err := bc.Account.GetConfigForProvider(name)
		if err != nil {
			return nil, fmt.Errorf("bifrost: config for provider %s: %w", name, err)
		}
		if p == nil {
			p = &config.Provider{}
		}
		cp := *p // the account's value is not modified
		cp.Name = name
		keys, err := bc.Account.GetKeysForProvider(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("bifrost: keys for provider %s: %w", name, err)
		}
		cp.Keys = keys
		applyDefaults(&cp)
		cfg.Providers[name] = &cp
	}
	return cfg, nil
}

// applyDefaults gives zero settings the defaults a config file gets.
func applyDefaults(p *config.Provider) {
	n := &p.Network
	if n.DefaultRequestTimeout <= 0 {
		n.DefaultRequestTimeout = config.DefaultRequestTimeout
	}
	if n.RetryBackoffInitial <= 0 {
		n.RetryBackoffInitial = config.DefaultRetryBackoffInitial
	}
	if n.RetryBackoffMax <= 0 {
		n.RetryBackoffMax = config.DefaultRetryBackoffMax
	}
	if n.StreamIdleTimeout <= 0 {
		n.StreamIdleTimeout = config.DefaultStreamIdleTimeout
	}
	if n.MaxConnsPerHost <= 0 {
		n.MaxConnsPerHost = config.DefaultMaxConnsPerHost
	}
	if p.Concurrency.Concurrency <= 0 {
		p.Concurrency.Concurrency = config.DefaultConcurrency
	}
	if p.Concurrency.BufferSize <= 0 {
		p.Concurrency.BufferSize = config.DefaultBufferSize
	}
}

// Shutdown releases the engine's idle connections and cleans up its plugins (the first
// failure is returned). Requests in flight finish.
func (e *Engine) Shutdown() error {
	e.Close()
	var first error
	for _, p := range e.Plugins() {
		if err := p.Cleanup(); err != nil && first == nil {
			first = fmt.Errorf("bifrost: plugin %s cleanup: %w", p.Name(), err)
		}
	}
	return first
}

// goneWhenDone makes a Call give up (no retry, no fallback, no waiting for a slot) once ctx
// is done.
func goneWhenDone(ctx context.Context) func() bool {
	return func() bool { return ctx.Err() != nil }
}

// library runs one request for the embeddable API: the request is copied into a pooled
// call, and the answer is copied out so that it owns its memory.
func (e *Engine) library(ctx context.Context, setup func(c *Call), run func(c *Call) *Error, out func(c *Call) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := e.AcquireCall()
	defer func() {
		// The request's slices belong to the caller: drop them before the call is reset.
		c.Chat, c.Text, c.Embedding = schemas.ChatRequest{}, schemas.TextRequest{}, schemas.EmbeddingRequest{}
		e.ReleaseCall(c)
	}()
	c.Gone = goneWhenDone(ctx)
	setup(c)
	if err := run(c); err != nil {
		cp := *err
		return &cp
	}
	return out(c)
}

// owned re-encodes a value that borrows from a call's buffers and decodes it again from a copy
// that the result owns.
func owned[T any, PT interface {
	*T
	MarshalEasyJSON(*jwriter.Writer)
	UnmarshalEasyJSON(*jlexer.Lexer)
}](src PT) (PT, error) {
	var w jwriter.Writer
	src.MarshalEasyJSON(&w)
	data, err := w.BuildBytes()
	if err != nil {
		return nil, err
	}
	dst := PT(new(T))
	l := jlexer.Lexer{Data: data}
	dst.UnmarshalEasyJSON(&l)
	return dst, l.Error()
}

// ChatCompletionRequest sends a chat completion request and returns the answer. The returned error
// is a *Error for failures the gateway or a provider reported.
func (e *Engine) ChatCompletionRequest(ctx context.Context, req *schemas.ChatRequest) (*schemas.ChatResponse, error) {
	var resp *schemas.ChatResponse
	err := e.library(ctx, func(c *Call) { c.Chat = *req; c.Chat.Stream = opt.Bool{} }, e.ChatCompletion, func(c *Call) (err error) {
		resp, err = owned(&c.ChatResp)
		return err
	})
	return resp, err
}

// TextCompletionRequest sends a text completion request and returns the answer.
func (e *Engine) TextCompletionRequest(ctx context.Context, req *schemas.TextRequest) (*schemas.TextResponse, error) {
	var resp *schemas.TextResponse
	err := e.library(ctx, func(c *Call) { c.Text = *req; c.Text.Stream = opt.Bool{} }, e.TextCompletion, func(c *Call) (err error) {
		resp, err = owned(&c.TextResp)
		return err
	})
	return resp, err
}

// EmbeddingRequest sends an embeddings request and returns the vectors.
func (e *Engine) EmbeddingRequest(ctx context.Context, req *schemas.EmbeddingRequest) (*schemas.EmbeddingResponse, error) {
	var resp *schemas.EmbeddingResponse
	err := e.library(ctx, func(c *Call) { c.Embedding = *req }, e.Embedding, func(c *Call) (err error) {
		resp, err = owned(&c.EmbeddingResp)
		return err
	})
	return resp, err
}

// StreamEvent is one event of a chat stream: a chunk, or the error that ended the stream.
type StreamEvent struct {
	Chunk *schemas.ChatStreamChunk
	Err   error
}

// ChatCompletionStreamRequest opens a chat stream and returns its events; the channel closes
// at the end of the stream. Cancelling ctx ends the stream and closes the upstream request.
func (e *Engine) ChatCompletionStreamRequest(ctx context.Context, req *schemas.ChatRequest) (<-chan StreamEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := e.AcquireCall()
	release := func() {
		c.Chat = schemas.ChatRequest{}
		e.ReleaseCall(c)
	}
	c.Gone = goneWhenDone(ctx)
	c.Chat = *req
	c.Chat.Stream = opt.OBool(true)
	if err := e.ChatCompletionStream(c); err != nil {
		cp := *err
		release()
		return nil, &cp
	}
	ch := make(chan StreamEvent, 16)
	go func() {
		defer close(ch)
		defer release()
		for {
			done, err := c.Recv()
			if err != nil {
				cp := *err
				send(ctx, ch, StreamEvent{Err: &cp})
				return
			}
			if done {
				return
			}
			chunk, cerr := owned(&c.Chunk)
			if cerr != nil {
				send(ctx, ch, StreamEvent{Err: cerr})
				return
			}
			if !send(ctx, ch, StreamEvent{Chunk: chunk}) {
				return
			}
		}
	}()
	return ch, nil
}

func send(ctx context.Context, ch chan<- StreamEvent, ev StreamEvent) bool {
	select {
	case ch <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}
