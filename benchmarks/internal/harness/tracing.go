package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// TracedTarget names the second Bifrost of a run with Config.ReceiverBin: the same config
// with tracing on, every trace sampled and exported over OTLP/HTTP to the receiver.
const TracedTarget = "bifrost+tracing"

// startTraced starts the OTLP receiver (Config.ReceiverBin) and a second Bifrost whose
// config is gwCfg plus a tracing block that exports every trace to it.
func (r *run) startTraced(ctx context.Context, gwCfg map[string]any, env []string) (*target, error) {
	recv, err := r.startChild("otlp-receiver", nil, false, r.cfg.ReceiverBin, "-addr", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r.children = append(r.children, recv)
	recvURL, err := recv.waitURL(ctx, "listening on", 10*time.Second)
	if err != nil {
		return nil, err
	}
	cfg := maps.Clone(gwCfg)
	cfg["tracing"] = map[string]any{"endpoint": recvURL, "protocol": "http", "sample_ratio": 1}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("traced bifrost config: %w", err)
	}
	path := filepath.Join(r.dir, "bifrost-tracing.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("traced bifrost config: %w", err)
	}
	gw, err := r.startChild(TracedTarget, append(env, "BIFROST_BENCH_KEY="+r.key), true, r.cfg.GatewayBin,
		"-config", path, "-host", "127.0.0.1", "-port", "0")
	if err != nil {
		return nil, err
	}
	r.children = append(r.children, gw)
	gwURL, err := gw.waitURL(ctx, "listening", 10*time.Second)
	if err != nil {
		return nil, err
	}
	if err := gw.waitHTTP(ctx, gwURL+"/health", 10*time.Second); err != nil {
		return nil, err
	}
	return &target{name: TracedTarget, url: gwURL + r.cfg.routePath(), model: "openai/gpt-4o-mini",
		header: http.Header{"Content-Type": {"application/json"}}, proc: gw, metrics: gwURL + "/metrics",
		selfHeader: overheadHeader, selfUnit: time.Microsecond}, nil
}
