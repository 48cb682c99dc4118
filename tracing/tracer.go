package tracing

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
)

// Tracer traces the gateway's requests. Make one with New, give it to the engine
// (runtime.Options.Observer), wrap the HTTP handler with Handler and put UnaryInterceptor
// and StreamInterceptor first on the gRPC server (grpcapi.Service.SetTracer); Apply turns tracing
// on, off or to new settings at start and on every reload. It is safe for concurrent use.
type Tracer struct {
	cur     atomic.Pointer[pipeline] // nil: tracing is off
	getenv  func(string) string
	log     *slog.Logger
	dropped atomic.Uint64

	mu      sync.Mutex // serializes Apply and Shutdown
	applied *config.Tracing
	on      bool
}

var _ runtime.Observer = (*Tracer)(nil)

// Options change how a Tracer is made; all may be left zero.
type Options struct {
	// Getenv replaces os.Getenv for the OTEL_* variables that decide whether tracing is
	// on and over which protocol. (The SDK reads the others from the process
	// environment.)
	Getenv func(string) string
	// Logger takes a line when tracing starts, changes or stops. Nil: nothing is logged.
	Logger *slog.Logger
}

// New makes a Tracer that is off until Apply.
func New(opts Options) *Tracer {
	t := &Tracer{getenv: opts.Getenv, log: opts.Logger}
	if t.getenv == nil {
		t.getenv = os.Getenv
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	return t
}

// Apply sets tracing to cfg, the config's tracing block (nil: none, so the OTEL_*
// variables decide). The same settings as before change nothing; new ones start a new
// exporter, and the old one sends what it holds and stops in the background. Requests
// in flight finish their spans with the exporter they started with.
func (t *Tracer) Apply(cfg *config.Tracing) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	on := enabled(cfg, t.getenv)
	if on == t.on && reflect.DeepEqual(cfg, t.applied) {
		return nil
	}
	var next *pipeline
	if on {
		p, err := newPipeline(cfg, t.getenv, &t.dropped)
		if err != nil {
			return err
		}
		next = p
	}
	old := t.cur.Swap(next)
	t.applied, t.on = cfg, on
	if old != nil {
		go old.tp.Shutdown(context.Background()) //nolint:errcheck // best effort: the queue's own timeouts bound it
	}
	switch {
	case on:
		t.log.Info("tracing on", "protocol", protocol(cfg, t.getenv))
	case old != nil:
		t.log.Info("tracing off")
	}
	return nil
}

// Enabled reports whether tracing is on.
func (t *Tracer) Enabled() bool { return t.cur.Load() != nil }

// Dropped counts the spans dropped since the Tracer was made: the export queue was full,
// or the receiver did not take them.
func (t *Tracer) Dropped() uint64 { return t.dropped.Load() }

// ForceFlush exports the spans queued now, within ctx.
func (t *Tracer) ForceFlush(ctx context.Context) error {
	if p := t.cur.Load(); p != nil {
		return p.tp.ForceFlush(ctx)
	}
	return nil
}

// Shutdown exports what is queued, within ctx, and turns tracing off.
func (t *Tracer) Shutdown(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.cur.Swap(nil)
	t.applied, t.on = nil, false
	if p == nil {
		return nil
	}
	if err := p.tp.Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
