package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/bifrost-gw/bifrost/server"
	"github.com/bifrost-gw/bifrost/tracing"
	"github.com/prometheus/client_golang/prometheus"
)

// startTracing applies the config's tracing block (or the OTEL_* variables) to tr and
// counts its dropped spans in srv's metrics. A tracing setup that fails is logged and
// leaves tracing off: traces never stop the gateway from serving.
func startTracing(tr *tracing.Tracer, cfg *config.Config, srv *server.Server, log *slog.Logger) {
	srv.Metrics().Registry().MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "bifrost_trace_spans_dropped_total",
		Help: "Trace spans dropped: the export queue was full or the receiver did not take them.",
	}, func() float64 { return float64(tr.Dropped()) }))
	if err := tr.Apply(cfg.Tracing); err != nil {
		log.Error("tracing off", "error", err)
	}
}

// stopTracing sends the spans still queued, waiting at most 5 s.
func stopTracing(tr *tracing.Tracer, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		log.Warn("tracing shutdown", "error", err)
	}
}
