//go:build !race

package server

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/server/metrics"
)

// noopPlugin has every hook and does nothing.
type noopPlugin struct{}

func (noopPlugin) Name() string { return "noop" }
func (noopPlugin) PreHook(*runtime.Call) (runtime.PreResult, *runtime.Error) {
	return runtime.Continue, nil
}
func (noopPlugin) PostHook(_ *runtime.Call, err *runtime.Error) *runtime.Error { return err }
func (noopPlugin) ChunkHook(*runtime.Call) *runtime.Error                      { return nil }
func (noopPlugin) Cleanup() error                                              { return nil }

// TestChatAllocsWithProductionFeatures checks that what production turns on keeps the hot
// path allocation-free: gateway API keys (checked on every request), one no-op plugin, a
// logger whose level (warn) leaves the access log off, and the /openai/v1 and Azure
// deployment routes.
func TestChatAllocsWithProductionFeatures(t *testing.T) {
	log := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := `{"client":{"api_keys":["gw-key-one","gw-key-two"]},"aliases":{"fast":"openai/gpt-4o-mini"},
		"providers":{"openai":{"keys":[{"name":"k","value":"` + inProcessKey + `","models":["*"],"weight":1}],"network_config":{"base_url":"http://mock.inmemory"}}}}`
	for _, tc := range []struct{ name, path string }{
		{"v1", "/v1/chat/completions"},
		{"openai prefix", "/openai/v1/chat/completions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGateway(t, cfg, mocks.Config{}, log, noopPlugin{})
			ctx := newCtx("POST", tc.path, chatBody)
			ctx.Request.Header.Set("Authorization", "Bearer gw-key-two")
			h := g.srv.Handler()
			run := func() {
				ctx.Response.Reset()
				h(ctx)
				if ctx.Response.StatusCode() != 200 {
					t.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
				}
			}
			for i := 0; i < 50; i++ {
				run()
			}
			if n := testing.AllocsPerRun(200, run); n != 0 {
				t.Errorf("allocs per request = %v, want 0", n)
			}
		})
	}
}

// TestStreamMetricsAllocs checks that recording a stream's timings allocates nothing.
func TestStreamMetricsAllocs(t *testing.T) {
	m := metrics.New(nil)
	start := time.Now()
	m.Stream(metrics.EndpointChat, "openai", "gpt-4o-mini", start) // creates the series
	if n := testing.AllocsPerRun(1000, func() {
		s := m.Stream(metrics.EndpointChat, "openai", "gpt-4o-mini", start)
		s.Chunk(start.Add(120 * time.Millisecond))
		s.Chunk(start.Add(123 * time.Millisecond))
	}); n != 0 {
		t.Errorf("allocs per stream record = %v, want 0", n)
	}
}
