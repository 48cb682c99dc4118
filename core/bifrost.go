// Package bifrost is Bifrost's Go package API with the names of the upstream Bifrost Go
// package and its launch post: implement a [schemas.Account], call [Init], then
// ChatCompletionRequest, ChatCompletionStreamRequest, TextCompletionRequest,
// TextCompletionStreamRequest or EmbeddingRequest, and Cleanup at the end.
//
//	client, err := bifrost.Init(schemas.BifrostConfig{Account: &account})
//	result, bifrostErr := client.ChatCompletionRequest(ctx, &schemas.BifrostRequest{
//		Provider: schemas.OpenAI,
//		Model:    "gpt-4o-mini",
//		Input: schemas.RequestInput{
//			ChatCompletionInput: bifrost.Ptr([]schemas.Message{{
//				Role:    schemas.RoleUser,
//				Content: bifrost.Ptr("What is a LLM gateway?"),
//			}}),
//		},
//	})
//
// It is a thin layer over the gateway's engine (package runtime): each call turns the
// request into the engine's unified (OpenAI-shaped) request, runs it with the engine's
// key selection, admission, retries and fallbacks, and turns the answer back. The copies
// cost a few allocations per call, on this path only; the HTTP server uses the engine
// directly. Code that wants the engine's allocation-free path can use package runtime.
package bifrost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/core/schemas"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	rs "github.com/bifrost-gw/bifrost/runtime/schemas"
)

// Bifrost is an embedded gateway. It is safe for concurrent use.
type Bifrost struct {
	engine  *runtime.Engine
	plugins []schemas.Plugin
}

// Ptr returns a pointer to a copy of v, for the optional fields of requests.
func Ptr[T any](v T) *T { return &v }

// Init builds a Bifrost from cfg.Account. A key whose Weight is left out gets weight 1, and
// zero network and concurrency settings get the defaults, as in a config file. A provider
// without a base URL takes one from BIFROST_BASE_URL_<PROVIDER> when that is set.
func Init(cfg schemas.BifrostConfig) (*Bifrost, error) {
	return initWith(cfg, runtime.Options{})
}

// initWith builds the engine, with every generated adapter (adapters.All) unless opts
// names others; it is the one place this package calls the engine's constructor.
func initWith(cfg schemas.BifrostConfig, opts runtime.Options) (*Bifrost, error) {
	if cfg.Account == nil {
		return nil, errors.New("bifrost: BifrostConfig.Account is required")
	}
	if opts.Adapters == nil {
		opts.Adapters = adapters.All()
	}
	engine, err := runtime.Init(context.Background(), runtime.BifrostConfig{
		Account:            account{cfg.Account, os.Getenv},
		InitialPoolSize:    cfg.InitialPoolSize,
		DropExcessRequests: cfg.DropExcessRequests,
		Options:            opts,
	})
	if err != nil {
		return nil, fmt.Errorf("bifrost: %w", err)
	}
	return &Bifrost{engine: engine, plugins: append([]schemas.Plugin(nil), cfg.Plugins...)}, nil
}

// Cleanup releases the engine's connections and cleans up the plugins.
func (b *Bifrost) Cleanup() {
	b.engine.Close()
	for _, p := range b.plugins {
		_ = p.Cleanup() // as upstream, a plugin's cleanup failure is its own to report
	}
}

// ChatCompletionRequest sends req.Input.ChatCompletionInput and returns the answer.
func (b *Bifrost) ChatCompletionRequest(ctx context.Context, req *schemas.BifrostRequest) (*schemas.BifrostResponse, *schemas.BifrostError) {
	return b.withPlugins(ctx, req, func(ctx context.Context, req *schemas.BifrostRequest) (*schemas.BifrostResponse, *schemas.BifrostError) {
		var chat rs.ChatRequest
		if berr := decodeInto(&chat, req, opChat); berr != nil {
			return nil, berr
		}
		resp, err := b.engine.ChatCompletionRequest(ctx, &chat)
		if err != nil {
			return nil, toError(err, req.Provider)
		}
		return fromChat(resp, req.Provider), nil
	})
}

// TextCompletionRequest sends the prompt req.Input.TextCompletionInput and returns the
// answer, whose text is in Choices[i].Message.Content.
func (b *Bifrost) TextCompletionRequest(ctx context.Context, req *schemas.BifrostRequest) (*schemas.BifrostResponse, *schemas.BifrostError) {
	return b.withPlugins(ctx, req, func(ctx context.Context, req *schemas.BifrostRequest) (*schemas.BifrostResponse, *schemas.BifrostError) {
		var text rs.TextRequest
		if berr := decodeInto(&text, req, opText); berr != nil {
			return nil, berr
		}
		resp, err := b.engine.TextCompletionRequest(ctx, &text)
		if err != nil {
			return nil, toError(err, req.Provider)
		}
		out := &schemas.BifrostResponse{ID: resp.ID, Object: resp.Object, Model: resp.Model, Created: int(resp.Created),
			Usage:       usage(resp.Usage.PromptTokens, resp.Usage.CompletionTokens, resp.Usage.TotalTokens),
			ExtraFields: schemas.BifrostResponseExtraFields{Provider: req.Provider}}
		for _, c := range resp.Choices {
			out.Choices = append(out.Choices, schemas.BifrostResponseChoice{Index: c.Index,
				Message:      schemas.Message{Role: schemas.RoleAssistant, Content: Ptr(c.Text.String())},
				FinishReason: finish(string(c.FinishReason))})
		}
		return out, nil
	})
}

// EmbeddingRequest embeds req.Input.EmbeddingInput.Texts and returns the vectors in Data.
func (b *Bifrost) EmbeddingRequest(ctx context.Context, req *schemas.BifrostRequest) (*schemas.BifrostResponse, *schemas.BifrostError) {
	return b.withPlugins(ctx, req, func(ctx context.Context, req *schemas.BifrostRequest) (*schemas.BifrostResponse, *schemas.BifrostError) {
		var emb rs.EmbeddingRequest
		if berr := decodeInto(&emb, req, opEmbedding); berr != nil {
			return nil, berr
		}
		resp, err := b.engine.EmbeddingRequest(ctx, &emb)
		if err != nil {
			return nil, toError(err, req.Provider)
		}
		out := &schemas.BifrostResponse{Object: resp.Object, Model: resp.Model,
			Usage:       usage(resp.Usage.PromptTokens, 0, resp.Usage.TotalTokens),
			ExtraFields: schemas.BifrostResponseExtraFields{Provider: req.Provider}}
		for _, d := range resp.Data {
			var vec []float32
			if err := json.Unmarshal(d.Embedding, &vec); err != nil {
				return nil, newError(502, "the provider's embedding is not a list of numbers (base64 encoding is not supported here)", err)
			}
			out.Data = append(out.Data, schemas.BifrostEmbedding{Index: d.Index, Object: d.Object, Embedding: vec})
		}
		return out, nil
	})
}

// ChatCompletionStreamRequest opens a chat stream and returns its events; the channel
// closes at the end of the stream, and an error that ends the stream comes as a last
// event with BifrostError set. Cancelling ctx ends the stream. Plugins' pre hooks run
// before the stream opens; their post hooks see the error when opening fails, and
// otherwise run with a nil result once the stream has ended.
func (b *Bifrost) ChatCompletionStreamRequest(ctx context.Context, req *schemas.BifrostRequest) (chan *schemas.BifrostStream, *schemas.BifrostError) {
	if req == nil {
		return nil, newError(400, "the request is nil", nil)
	}
	req, ran, short := b.pre(&ctx, req)
	if short != nil {
		return b.shortStream(&ctx, ran, short)
	}
	var chat rs.ChatRequest
	if berr := decodeInto(&chat, req, opChat); berr != nil {
		_, berr = b.post(&ctx, ran, nil, berr)
		return nil, berr
	}
	events, err := b.engine.ChatCompletionStreamRequest(ctx, &chat)
	if err != nil {
		_, berr := b.post(&ctx, ran, nil, toError(err, req.Provider))
		return nil, berr
	}
	out := make(chan *schemas.BifrostStream, 16)
	go func() {
		defer close(out)
		var last *schemas.BifrostError
		for ev := range events {
			s := &schemas.BifrostStream{}
			if ev.Err != nil {
				last = toError(ev.Err, req.Provider)
				s.BifrostError = last
			} else {
				s.BifrostResponse = fromChunk(ev.Chunk, req.Provider)
			}
			sendStream(ctx, out, s)
		}
		b.post(&ctx, ran, nil, last) //nolint:errcheck // the stream's events are already out
	}()
	return out, nil
}

// withPlugins runs call between the plugins' pre and post hooks.
func (b *Bifrost) withPlugins(ctx context.Context, req *schemas.BifrostRequest,
	call func(context.Context, *schemas.BifrostRequest) (*schemas.BifrostResponse, *schemas.BifrostError)) (*schemas.BifrostResponse, *schemas.BifrostError) {
	if req == nil {
		return nil, newError(400, "the request is nil", nil)
	}
	req, ran, short := b.pre(&ctx, req)
	var resp *schemas.BifrostResponse
	var berr *schemas.BifrostError
	if short != nil {
		resp, berr = short.Response, short.Error
	} else {
		resp, berr = call(ctx, req)
	}
	return b.post(&ctx, ran, resp, berr)
}

// pre runs the pre hooks in order. It returns the request to send, how many hooks ran and,
// when a hook answered or failed, the answer.
func (b *Bifrost) pre(ctx *context.Context, req *schemas.BifrostRequest) (*schemas.BifrostRequest, int, *schemas.PluginShortCircuit) {
	for i, p := range b.plugins {
		next, short, err := p.PreHook(ctx, req)
		if err != nil {
			return req, i + 1, &schemas.PluginShortCircuit{Error: newError(500, "plugin "+p.GetName()+": pre hook failed", err)}
		}
		if next != nil {
			req = next
		}
		if short != nil {
			return req, i + 1, short
		}
	}
	return req, len(b.plugins), nil
}

// post runs the post hooks of the first ran plugins, in reverse order.
func (b *Bifrost) post(ctx *context.Context, ran int, resp *schemas.BifrostResponse, berr *schemas.BifrostError) (*schemas.BifrostResponse, *schemas.BifrostError) {
	for i := ran - 1; i >= 0; i-- {
		p := b.plugins[i]
		r, e, err := p.PostHook(ctx, resp, berr)
		if err != nil {
			return nil, newError(500, "plugin "+p.GetName()+": post hook failed", err)
		}
		resp, berr = r, e
	}
	return resp, berr
}

// newError is a failure of this package or of a plugin.
func newError(status int, msg string, err error) *schemas.BifrostError {
	typ := rs.ErrServer
	if status < 500 {
		typ = rs.ErrInvalidRequest
	}
	return &schemas.BifrostError{IsBifrostError: true, StatusCode: Ptr(status),
		Error: schemas.ErrorField{Type: Ptr(typ), Message: msg, Error: err}}
}

// toError turns an engine error into a BifrostError.
func toError(err error, provider schemas.ModelProvider) *schemas.BifrostError {
	var e *runtime.Error
	if !errors.As(err, &e) {
		return newError(500, err.Error(), err)
	}
	out := &schemas.BifrostError{IsBifrostError: e.Provider == "", StatusCode: Ptr(e.Status),
		Provider: schemas.ModelProvider(e.Provider),
		Error:    schemas.ErrorField{Type: Ptr(e.Body.Type), Message: e.Body.Message, Error: err}}
	if e.Body.Code != "" {
		out.Error.Code = Ptr(string(e.Body.Code))
	}
	if out.Provider == "" {
		out.Provider = provider
	}
	return out
}

// account turns a schemas.Account into the engine's runtime.Account.
type account struct {
	a      schemas.Account
	getenv func(string) string
}

func (a account) GetConfiguredProviders() ([]string, error) {
	list, err := a.a.GetConfiguredProviders()
	if err != nil {
		return nil, err
	}
	names := make([]string, len(list))
	for i, p := range list {
		names[i] = string(p)
	}
	return names, nil
}

func (a account) GetKeysForProvider(_ context.Context, provider string) ([]config.Key, error) {
	keys, err := a.a.GetKeysForProvider(schemas.ModelProvider(provider))
	if err != nil {
		return nil, err
	}
	out := make([]config.Key, len(keys))
	for i, k := range keys {
		w := k.Weight
		if w == 0 {
			w = config.DefaultWeight // left out, as in a config file
		}
		if w < 0 {
			return nil, fmt.Errorf("key %d: weight must be >= 0", i)
		}
		out[i] = config.Key{ID: k.ID, Value: k.Value, Models: k.Models, Weight: w, Settings: keySettings(k)}
	}
	return out, nil
}

// keySettings returns the provider-specific settings of k, or nil (a nil pointer of one of
// the settings types must not become a non-nil interface).
func keySettings(k schemas.Key) provider.KeyConfig {
	switch {
	case k.AzureKeyConfig != nil:
		return k.AzureKeyConfig
	case k.VertexKeyConfig != nil:
		return k.VertexKeyConfig
	case k.BedrockKeyConfig != nil:
		return k.BedrockKeyConfig
	}
	return nil
}

func (a account) GetConfigForProvider(provider string) (*config.Provider, error) {
	pc, err := a.a.GetConfigForProvider(schemas.ModelProvider(provider))
	if err != nil {
		return nil, err
	}
	p := &config.Provider{Name: provider}
	if pc != nil {
		n := pc.NetworkConfig
		p.Network = config.Network{BaseURL: n.BaseURL, ExtraHeaders: n.ExtraHeaders,
			DefaultRequestTimeout: secondsOf(n.DefaultRequestTimeoutInSeconds), MaxRetries: n.MaxRetries,
			RetryBackoffInitial: n.RetryBackoffInitial, RetryBackoffMax: n.RetryBackoffMax}
		p.Concurrency = config.ConcurrencyAndBuffer{Concurrency: pc.ConcurrencyAndBufferSize.Concurrency,
			BufferSize: pc.ConcurrencyAndBufferSize.BufferSize}
		if px := pc.ProxyConfig; px != nil {
			p.Proxy = &config.Proxy{Type: string(px.Type), URL: px.URL, Username: px.Username, Password: px.Password}
		}
	}
	if p.Network.BaseURL == "" {
		one := &config.Config{Providers: map[string]*config.Provider{provider: p}}
		if err := config.ApplyBaseURLEnv(one, a.getenv); err != nil {
			return nil, err
		}
	}
	return p, nil
}
