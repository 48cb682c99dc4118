package config

import (
	"net/url"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Tracing defaults and bounds.
const (
	// DefaultTracingMaxContentBytes bounds the prompt or completion text put on a span
	// when tracing.capture_content is on (tracing.max_content_bytes).
	DefaultTracingMaxContentBytes = 4096
	// DefaultTracingQueueSize is the spans held for export at most; more are dropped and
	// counted (tracing.queue_size).
	DefaultTracingQueueSize = 4096

	maxTracingContentBytes = 1 << 20
	maxTracingQueueSize    = 1 << 20
)

// OTLP transport protocols (tracing.protocol).
const (
	TracingHTTP = "http"
	TracingGRPC = "grpc"
)

// Tracing is the "tracing" block: OpenTelemetry traces exported over OTLP. A nil *Tracing
// (no block) leaves tracing to the standard OTEL_* environment variables (package tracing).
// Empty fields fall back to those variables, then to the OpenTelemetry defaults.
type Tracing struct {
	// Enabled turns tracing on or off. Key: "enabled". Default: true when the block is
	// present.
	Enabled bool
	// Endpoint is the OTLP receiver: an http(s) URL ("http://collector:4318"; a URL
	// without a path gets /v1/traces) or, for grpc, also host:port. Key: "endpoint".
	// Default: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_ENDPOINT, then
	// localhost.
	Endpoint string
	// Protocol is TracingHTTP (OTLP/HTTP protobuf) or TracingGRPC. Key: "protocol".
	// Default: OTEL_EXPORTER_OTLP_PROTOCOL, then http.
	Protocol string
	// Headers are sent with every export, e.g. a vendor's API key ("env.VAR" allowed).
	// Key: "headers". Default: OTEL_EXPORTER_OTLP_HEADERS.
	Headers map[string]string
	// SampleRatio is the share of new traces sampled, in [0, 1]; a trace whose client
	// sent a sampled traceparent is always sampled (parent based). Key: "sample_ratio".
	// SampleRatioSet says it was given; otherwise OTEL_TRACES_SAMPLER applies (default:
	// every trace).
	SampleRatio    float64
	SampleRatioSet bool
	// CaptureContent puts the prompt and the completion on spans, truncated to
	// MaxContentBytes. Key: "capture_content". Default: false.
	CaptureContent bool
	// MaxContentBytes bounds each captured text. Key: "max_content_bytes". Default:
	// DefaultTracingMaxContentBytes.
	MaxContentBytes int
	// PropagateToProvider sends the W3C traceparent of each attempt to the provider.
	// Key: "propagate_to_provider". Default: false.
	PropagateToProvider bool
	// ServiceName is the service.name resource attribute. Key: "service_name". Default:
	// OTEL_SERVICE_NAME, then "bifrost".
	ServiceName string
	// QueueSize is the spans waiting for export at most; when full, spans are dropped
	// and counted, never waited for. Key: "queue_size". Default: DefaultTracingQueueSize.
	QueueSize int
}

// tracing decodes the "tracing" block.
func (d *decoder) tracing(n *yaml.Node, path string) *Tracing {
	t := &Tracing{Enabled: true, MaxContentBytes: DefaultTracingMaxContentBytes, QueueSize: DefaultTracingQueueSize}
	flag := func(dst *bool) func(pair, string) {
		return func(p pair, fp string) {
			if v, ok := d.boolean(p.val, fp); ok {
				*dst = v
			}
		}
	}
	d.fields(n, path, []field{
		{name: "enabled", set: flag(&t.Enabled)},
		{name: "endpoint", set: func(p pair, fp string) { t.Endpoint = d.otlpEndpoint(p.val, fp) }},
		{name: "protocol", set: func(p pair, fp string) {
			v, ok := d.str(p.val, fp)
			switch {
			case !ok:
			case v == TracingHTTP || v == "http/protobuf":
				t.Protocol = TracingHTTP
			case v == TracingGRPC:
				t.Protocol = TracingGRPC
			default:
				d.errorf(d.deref(p.val), fp, `must be "http" or "grpc"`)
			}
		}},
		{name: "headers", set: func(p pair, fp string) { t.Headers = d.headers(p.val, fp) }},
		{name: "sample_ratio", set: func(p pair, fp string) {
			if v, ok := d.number(p.val, fp); ok {
				if v < 0 || v > 1 {
					d.errorf(d.deref(p.val), fp, "must be between 0 and 1")
					return
				}
				t.SampleRatio, t.SampleRatioSet = v, true
			}
		}},
		{name: "capture_content", set: flag(&t.CaptureContent)},
		{name: "max_content_bytes", set: func(p pair, fp string) {
			if v, ok := d.integer(p.val, fp, 1, maxTracingContentBytes); ok {
				t.MaxContentBytes = v
			}
		}},
		{name: "propagate_to_provider", set: flag(&t.PropagateToProvider)},
		{name: "service_name", set: func(p pair, fp string) { t.ServiceName = d.nonEmpty(p.val, fp) }},
		{name: "queue_size", set: func(p pair, fp string) {
			if v, ok := d.integer(p.val, fp, 1, maxTracingQueueSize); ok {
				t.QueueSize = v
			}
		}},
	})
	return t
}

// otlpEndpoint returns an http(s) URL without credentials, query or fragment, or a bare
// host:port (for grpc).
func (d *decoder) otlpEndpoint(n *yaml.Node, path string) string {
	s, ok := d.str(n, path)
	if !ok {
		return ""
	}
	if !strings.Contains(s, "://") {
		if u, err := url.Parse("grpc://" + s); err == nil && u.Host != "" && u.Path == "" && u.Port() != "" {
			return s
		}
		d.errorf(d.deref(n), path, `must be an http or https URL, or host:port`)
		return ""
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "" || u.Scheme != "http" && u.Scheme != "https":
		d.errorf(d.deref(n), path, `must be an http or https URL, or host:port`)
		return ""
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		d.errorf(d.deref(n), path, "must not contain credentials, a query or a fragment: send credentials in tracing.headers")
		return ""
	}
	return s
}
