package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestTracingParse(t *testing.T) {
	env := map[string]string{"HONEYCOMB_KEY": "hc-secret"}
	for _, tc := range []struct {
		name, doc string
		want      *Tracing
	}{
		{"none.yaml", "", nil},
		{"empty.yaml", "tracing: {}\n", &Tracing{Enabled: true, MaxContentBytes: DefaultTracingMaxContentBytes,
			QueueSize: DefaultTracingQueueSize}},
		{"full.yaml", `tracing:
  enabled: true
  endpoint: https://api.honeycomb.io
  protocol: http/protobuf
  headers: {x-honeycomb-team: env.HONEYCOMB_KEY}
  sample_ratio: 0.25
  capture_content: true
  max_content_bytes: 512
  propagate_to_provider: true
  service_name: gateway-eu
  queue_size: 100
`, &Tracing{Enabled: true, Endpoint: "https://api.honeycomb.io", Protocol: TracingHTTP,
			Headers: map[string]string{"x-honeycomb-team": "hc-secret"}, SampleRatio: 0.25, SampleRatioSet: true,
			CaptureContent: true, MaxContentBytes: 512, PropagateToProvider: true, ServiceName: "gateway-eu", QueueSize: 100}},
		{"grpc.yaml", "tracing: {endpoint: \"collector:4317\", protocol: grpc, sample_ratio: 0, enabled: false}\n",
			&Tracing{Endpoint: "collector:4317", Protocol: TracingGRPC, SampleRatioSet: true,
				MaxContentBytes: DefaultTracingMaxContentBytes, QueueSize: DefaultTracingQueueSize}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse(tc.name, []byte(govProviders+tc.doc), func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cfg.Tracing, tc.want) {
				t.Errorf("got %+v\nwant %+v", cfg.Tracing, tc.want)
			}
		})
	}
}

func TestTracingBadConfigs(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"proto.yaml", "tracing: {protocol: http/json}\n", `proto.yaml:1: tracing.protocol: must be "http" or "grpc"`},
		{"ratio.yaml", "tracing: {sample_ratio: 1.5}\n", "ratio.yaml:1: tracing.sample_ratio: must be between 0 and 1"},
		{"url.yaml", "tracing: {endpoint: \"ftp://x\"}\n", "url.yaml:1: tracing.endpoint: must be an http or https URL, or host:port"},
		{"bare.yaml", "tracing: {endpoint: collector}\n", "bare.yaml:1: tracing.endpoint: must be an http or https URL, or host:port"},
		{"creds.yaml", "tracing: {endpoint: \"https://user:tok-secret-9@x\"}\n",
			"creds.yaml:1: tracing.endpoint: must not contain credentials, a query or a fragment: send credentials in tracing.headers"},
		{"header.yaml", "tracing: {headers: {\"bad header\": tok-secret-9}}\n", "header.yaml:1: tracing.headers[\"bad header\"]: invalid header name"},
		{"size.yaml", "tracing: {max_content_bytes: 0, queue_size: -1}\n",
			"size.yaml:1: tracing.max_content_bytes: must be between 1 and 1048576\n" +
				"size.yaml:1: tracing.queue_size: must be between 1 and 1048576"},
		{"unknown.yaml", "tracing: {endpiont: \"http://x\"}\n", "unknown.yaml:1: tracing.endpiont: unknown field"},
		{"env.yaml", "tracing: {headers: {x-api-key: env.NOPE}}\n",
			"env.yaml:1: tracing.headers.x-api-key: environment variable NOPE is not set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.name, []byte(govProviders+tc.doc), func(string) string { return "" })
			if err == nil {
				t.Fatal("no error")
			}
			got, want := err.Error(), shiftLines(tc.want)
			if got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
			if strings.Contains(got, "tok-secret-9") {
				t.Errorf("error quotes a secret: %s", got)
			}
		})
	}
}
