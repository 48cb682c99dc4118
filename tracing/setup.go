package tracing

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/config"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// scope is the instrumentation scope of the gateway's spans.
const scope = "github.com/bifrost-gw/bifrost/tracing"

// pipeline is one applied tracing configuration: a tracer provider exporting through a
// queue, and the span options of the config.
type pipeline struct {
	tp         *sdktrace.TracerProvider
	tracer     trace.Tracer
	prop       propagation.TextMapPropagator
	capture    bool
	maxContent int
	propagate  bool
}

// enabled says whether tracing is on for cfg (nil: no tracing block) and the environment.
func enabled(cfg *config.Tracing, getenv func(string) string) bool {
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") || getenv("OTEL_TRACES_EXPORTER") == "none" {
		return false
	}
	if cfg != nil {
		return cfg.Enabled
	}
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// protocol returns the OTLP transport: the config's, else the environment's, else http.
func protocol(cfg *config.Tracing, getenv func(string) string) string {
	if cfg != nil && cfg.Protocol != "" {
		return cfg.Protocol
	}
	for _, name := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if v := getenv(name); v != "" {
			if v == "grpc" {
				return config.TracingGRPC
			}
			return config.TracingHTTP
		}
	}
	return config.TracingHTTP
}

// newPipeline builds the exporter, the queue and the tracer provider for cfg, which may
// be nil (the environment alone). It connects to nothing: the exporters connect on
// their first export.
func newPipeline(cfg *config.Tracing, getenv func(string) string, dropped *atomic.Uint64) (*pipeline, error) {
	c := config.Tracing{MaxContentBytes: config.DefaultTracingMaxContentBytes, QueueSize: config.DefaultTracingQueueSize}
	if cfg != nil {
		c = *cfg
	}
	exp, err := newExporter(&c, protocol(cfg, getenv))
	if err != nil {
		return nil, fmt.Errorf("tracing: exporter: %w", err)
	}
	res, err := newResource(c.ServiceName)
	if err != nil {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res), sdktrace.WithSpanProcessor(newQueue(exp, c.QueueSize, dropped))}
	if c.SampleRatioSet {
		opts = append(opts, sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(c.SampleRatio))))
	} // else OTEL_TRACES_SAMPLER, read by the SDK; its default samples every trace
	tp := sdktrace.NewTracerProvider(opts...)
	return &pipeline{tp: tp, tracer: tp.Tracer(scope), capture: c.CaptureContent, maxContent: c.MaxContentBytes,
		propagate: c.PropagateToProvider,
		prop:      propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})}, nil
}

// newExporter makes the OTLP exporter. Options the config leaves out are read by the
// exporter from OTEL_EXPORTER_OTLP_* variables.
func newExporter(c *config.Tracing, proto string) (sdktrace.SpanExporter, error) {
	ctx := context.Background()
	const timeout = 10 * time.Second
	if proto == config.TracingGRPC {
		opts := []otlptracegrpc.Option{otlptracegrpc.WithTimeout(timeout)}
		switch {
		case strings.Contains(c.Endpoint, "://"):
			opts = append(opts, otlptracegrpc.WithEndpointURL(c.Endpoint))
		case c.Endpoint != "":
			opts = append(opts, otlptracegrpc.WithEndpoint(c.Endpoint), otlptracegrpc.WithInsecure())
		}
		if len(c.Headers) > 0 {
			opts = append(opts, otlptracegrpc.WithHeaders(c.Headers))
		}
		return otlptracegrpc.New(ctx, opts...)
	}
	opts := []otlptracehttp.Option{otlptracehttp.WithTimeout(timeout)}
	switch {
	case strings.Contains(c.Endpoint, "://"):
		opts = append(opts, otlptracehttp.WithEndpointURL(tracesURL(c.Endpoint)))
	case c.Endpoint != "":
		opts = append(opts, otlptracehttp.WithEndpoint(c.Endpoint), otlptracehttp.WithInsecure())
	}
	if len(c.Headers) > 0 {
		opts = append(opts, otlptracehttp.WithHeaders(c.Headers))
	}
	return otlptracehttp.New(ctx, opts...)
}

// tracesURL adds OTLP/HTTP's /v1/traces to a base URL without a path, as
// OTEL_EXPORTER_OTLP_ENDPOINT is read
// (https://opentelemetry.io/docs/specs/otel/protocol/exporter/).
func tracesURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Path != "" && u.Path != "/" {
		return s
	}
	u.Path = "/v1/traces"
	return u.String()
}

// newResource describes the gateway: service.name is name, else OTEL_SERVICE_NAME, else
// "bifrost"; OTEL_RESOURCE_ATTRIBUTES adds to it.
func newResource(name string) (*resource.Resource, error) {
	base := resource.NewSchemaless(attribute.String("service.name", "bifrost"))
	env, err := resource.New(context.Background(), resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return nil, err
	}
	res, err := resource.Merge(base, env)
	if err != nil {
		return nil, err
	}
	if name != "" {
		return resource.Merge(res, resource.NewSchemaless(attribute.String("service.name", name)))
	}
	return res, nil
}
