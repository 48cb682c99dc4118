package tracing

import (
	"context"
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/config"
)

func TestEnabledAndProtocol(t *testing.T) {
	block := &config.Tracing{Enabled: true}
	for _, tc := range []struct {
		name  string
		cfg   *config.Tracing
		env   map[string]string
		on    bool
		proto string
	}{
		{"nothing", nil, nil, false, "http"},
		{"env endpoint", nil, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, true, "http"},
		{"env traces endpoint, grpc", nil, map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4317",
			"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, true, "grpc"},
		{"block", block, nil, true, "http"},
		{"block off", &config.Tracing{}, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, false, "http"},
		{"block protocol wins", &config.Tracing{Enabled: true, Protocol: "http"},
			map[string]string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"}, true, "http"},
		{"sdk disabled", block, map[string]string{"OTEL_SDK_DISABLED": "true"}, false, "http"},
		{"exporter none", block, map[string]string{"OTEL_TRACES_EXPORTER": "none"}, false, "http"},
	} {
		getenv := func(k string) string { return tc.env[k] }
		if on := enabled(tc.cfg, getenv); on != tc.on {
			t.Errorf("%s: enabled = %v, want %v", tc.name, on, tc.on)
		}
		if p := protocol(tc.cfg, getenv); p != tc.proto {
			t.Errorf("%s: protocol = %q, want %q", tc.name, p, tc.proto)
		}
	}
}

func TestTracesURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://c:4318":            "http://c:4318/v1/traces",
		"http://c:4318/":           "http://c:4318/v1/traces",
		"https://x.io/otlp/traces": "https://x.io/otlp/traces",
	} {
		if got := tracesURL(in); got != want {
			t.Errorf("tracesURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// Apply turns tracing on, keeps the exporter for the same settings, starts a new one for
// new settings and turns it off, without a receiver (exporters connect on first export).
func TestApplyReload(t *testing.T) {
	tr := New(Options{Getenv: func(string) string { return "" }})
	defer tr.Shutdown(context.Background()) //nolint:errcheck
	a := &config.Tracing{Enabled: true, Endpoint: "http://127.0.0.1:1", QueueSize: 8, MaxContentBytes: 10}
	if err := tr.Apply(a); err != nil || !tr.Enabled() {
		t.Fatalf("on: %v %v", err, tr.Enabled())
	}
	first := tr.cur.Load()
	same := *a
	if err := tr.Apply(&same); err != nil || tr.cur.Load() != first {
		t.Errorf("the same settings made a new exporter (%v)", err)
	}
	changed := same
	changed.CaptureContent = true
	if err := tr.Apply(&changed); err != nil || tr.cur.Load() == first || !tr.cur.Load().capture {
		t.Errorf("new settings were not applied (%v)", err)
	}
	if err := tr.Apply(nil); err != nil || tr.Enabled() {
		t.Errorf("no block and no OTEL_ variables: tracing still on (%v)", err)
	}
}

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		in    string
		limit int
		want  string
	}{{"hello", 10, "hello"}, {"hello", 3, "hel"}, {"héllo", 2, "h"}, {"日本", 4, "日"}} {
		if got := truncate(tc.in, tc.limit); got != tc.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
		}
	}
}
