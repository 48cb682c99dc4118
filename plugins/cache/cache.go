// Package cache is an exact-match response cache for the Bifrost engine: a runtime.Plugin
// whose pre hook answers a request seen before from the cache, and whose post hook stores
// successful answers.
//
// The key is a SHA-256 hash of the operation and the normalized request: the request as the
// gateway decoded it, encoded again (so whitespace and the order of known fields do not
// matter; "stream": false and an absent "stream" are the same). Model names are compared as
// written: "openai/gpt-4o" and an alias of it are different keys. Only plain (non-streaming)
// chat completions, text completions and embeddings are cached; streams pass through.
//
// Entries live in a Store: Memory by default (bounded by entries and bytes, least recently
// used out first, with a TTL); a Redis store can implement Store to share the cache between
// replicas.
package cache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/clock"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
	"github.com/mailru/easyjson/opt"
)

// Name is the plugin's name, in config.json's "plugins" list and in logs.
const Name = "cache"

// Defaults for zero Config fields.
const (
	DefaultTTL        = 5 * time.Minute
	DefaultMaxEntries = 10_000
	DefaultMaxBytes   = 64 << 20
)

// keyPrefix starts every key; its version changes when the key's derivation does.
const keyPrefix = "bifrost:cache:v1:"

// Config configures a cache plugin. The zero value is usable.
type Config struct {
	// TTL is how long an answer is served from the cache. Default: DefaultTTL.
	TTL time.Duration
	// MaxEntries and MaxBytes bound the default Memory store. Defaults: DefaultMaxEntries,
	// DefaultMaxBytes.
	MaxEntries int
	MaxBytes   int64
	// Store holds the entries; nil means NewMemory(MaxEntries, MaxBytes).
	Store Store
	// RedisURL, when set, asks the builder of the plugin (package plugins) for a Store in
	// that Redis server, shared by every replica, each call bounded by RedisTimeout.
	RedisURL     string
	RedisTimeout time.Duration
	// Logger receives store failures (a failing store never fails a request); nil
	// discards them.
	Logger *slog.Logger
	// Clock is the time of the default Memory store's TTLs (for tests, a clock.Fake); nil
	// means the system clock. A Redis store expires entries by the server's own clock.
	Clock clock.Clock
}

// Plugin is the cache plugin.
type Plugin struct {
	ttl   time.Duration
	store Store
	log   *slog.Logger

	hits, misses, stores atomic.Uint64
}

var _ runtime.Plugin = (*Plugin)(nil)

// New makes a cache plugin.
func New(cfg Config) *Plugin {
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = DefaultMaxEntries
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Store == nil {
		m := NewMemory(cfg.MaxEntries, cfg.MaxBytes)
		m.clk = clock.OrReal(cfg.Clock)
		cfg.Store = m
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Plugin{ttl: cfg.TTL, store: cfg.Store, log: cfg.Logger}
}

// Stats counts the plugin's lookups that hit and missed, and the answers it stored.
type Stats struct {
	Hits, Misses, Stores uint64
}

// Stats returns the plugin's counters.
func (p *Plugin) Stats() Stats {
	return Stats{Hits: p.hits.Load(), Misses: p.misses.Load(), Stores: p.stores.Load()}
}

// Name implements runtime.Plugin.
func (p *Plugin) Name() string { return Name }

// Cleanup implements runtime.Plugin: it closes the store.
func (p *Plugin) Cleanup() error {
	if err := p.store.Close(); err != nil {
		return errors.Join(errors.New("cache: closing the store"), err)
	}
	return nil
}

// keyValue is the Call value under which the pre hook leaves the key for the post hook.
type keyValue struct{}

// PreHook implements runtime.Plugin: it answers from the cache when it can.
func (p *Plugin) PreHook(c *runtime.Call) (runtime.PreResult, *runtime.Error) {
	op := c.Op()
	if c.Streaming() || !(op == provider.OpChat || op == provider.OpText || op == provider.OpEmbedding) {
		return runtime.Continue, nil
	}
	key := Key(c)
	val, ok, err := p.store.Get(context.Background(), key)
	if err != nil {
		p.log.Warn("cache lookup failed", "error", err)
	}
	if ok {
		l := jlexer.Lexer{Data: val}
		switch op {
		case provider.OpChat:
			c.ChatResp.UnmarshalEasyJSON(&l)
		case provider.OpText:
			c.TextResp.UnmarshalEasyJSON(&l)
		case provider.OpEmbedding:
			c.EmbeddingResp.UnmarshalEasyJSON(&l)
		}
		if l.Error() == nil {
			p.hits.Add(1)
			return runtime.Respond, nil
		}
		p.log.Warn("cache entry does not decode; asking the provider", "error", l.Error())
		c.ChatResp.Reset()
		c.TextResp.Reset()
		c.EmbeddingResp.Reset()
	}
	p.misses.Add(1)
	c.SetValue(keyValue{}, key)
	return runtime.Continue, nil
}

// PostHook implements runtime.Plugin: it stores a successful answer from a provider.
func (p *Plugin) PostHook(c *runtime.Call, err *runtime.Error) *runtime.Error {
	if err != nil || c.ShortCircuitedBy() != "" {
		return err
	}
	key, ok := c.Value(keyValue{}).(string)
	if !ok {
		return nil
	}
	var w jwriter.Writer
	switch c.Op() {
	case provider.OpChat:
		c.ChatResp.MarshalEasyJSON(&w)
	case provider.OpText:
		c.TextResp.MarshalEasyJSON(&w)
	case provider.OpEmbedding:
		c.EmbeddingResp.MarshalEasyJSON(&w)
	default:
		return nil
	}
	val, werr := w.BuildBytes()
	if werr != nil {
		p.log.Warn("cache: encoding the answer failed", "error", werr)
		return nil
	}
	if serr := p.store.Set(context.Background(), key, val, p.ttl); serr != nil {
		p.log.Warn("cache store failed", "error", serr)
		return nil
	}
	p.stores.Add(1)
	return nil
}

// Key returns the cache key of the call's request: a prefix and the hex SHA-256 of the
// operation and the normalized request.
func Key(c *runtime.Call) string {
	var w jwriter.Writer
	switch c.Op() {
	case provider.OpChat:
		stream := c.Chat.Stream
		c.Chat.Stream = opt.Bool{}
		c.Chat.MarshalEasyJSON(&w)
		c.Chat.Stream = stream
	case provider.OpText:
		stream := c.Text.Stream
		c.Text.Stream = opt.Bool{}
		c.Text.MarshalEasyJSON(&w)
		c.Text.Stream = stream
	case provider.OpEmbedding:
		c.Embedding.MarshalEasyJSON(&w)
	}
	h := sha256.New()
	h.Write([]byte{byte(c.Op())})
	w.DumpTo(h) //nolint:errcheck // a hash does not fail
	var sum [sha256.Size]byte
	return keyPrefix + hex.EncodeToString(h.Sum(sum[:0]))
}
