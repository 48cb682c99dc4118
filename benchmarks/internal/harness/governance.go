package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// The governance scenario: Bifrost with governance on (issue 12), as two more targets
// beside the plain gateway and the raw proxy of the same run. Both send a virtual key
// with rpm, tpm, max_in_flight and budgets (high enough never to refuse), in a team with
// a budget, so every request reserves from two levels and settles.
const (
	// GovMemory is Bifrost with governance on and its counters in process.
	GovMemory = "bifrost-gov-memory"
	// GovRedis is Bifrost with governance on and its counters in a redis-server (Debian's
	// redis-server package) that the harness starts on 127.0.0.1 at a free port, admitting
	// from shares of the limits leased from Redis (the default).
	GovRedis = "bifrost-gov-redis"
	// GovRedisNoLease is GovRedis with lease_ms 0: one round trip to Redis per request.
	GovRedisNoLease = "bifrost-gov-redis-no-lease"
	// govKey is the virtual key the governance targets send.
	govKey = "bench-virtual-key-0123456789"
)

// GovernancePeers are the peers that the -governance flag adds.
var GovernancePeers = []string{GovMemory, GovRedis, GovRedisNoLease}

// startGovernance starts Bifrost with governance on, for spec GovMemory, GovRedis or
// GovRedisNoLease. Without redis-server on PATH, the Redis targets are skipped with a line
// that says so.
func (r *run) startGovernance(ctx context.Context, spec, mockURL string, env []string) (*target, error) {
	p := r.cfg.Profile
	gov := map[string]any{
		"teams": []any{map[string]any{"name": "bench", "budget": map[string]any{"monthly_usd": 1e6}}},
		"virtual_keys": []any{map[string]any{"name": "bench", "value": govKey, "team": "bench", "models": []string{"openai/*"},
			"rpm": 1 << 40, "tpm": 1 << 40, "max_in_flight": 1 << 20,
			"budget": map[string]any{"daily_usd": 1e6, "lifetime_usd": 1e8}}},
	}
	if spec == GovRedis || spec == GovRedisNoLease {
		url, err := r.startRedis(ctx)
		if err != nil {
			return nil, err
		}
		if url == "" {
			r.logf("skipping %s: redis-server is not on PATH (Debian package redis-server)", spec)
			r.rep.Skipped = append(r.rep.Skipped, spec+": redis-server is not on PATH (Debian package redis-server)")
			return nil, errSkipped
		}
		st := map[string]any{"url": url, "timeout_ms": 50, "on_error": "fail_closed"}
		if spec == GovRedisNoLease {
			st["lease_ms"] = 0
		}
		gov["state"] = st
	}
	cfg := map[string]any{
		"client": map[string]any{"initial_pool_size": p.PoolSize, "drop_excess_requests": false},
		"providers": map[string]any{"openai": map[string]any{
			"keys":                        []any{map[string]any{"name": "bench", "value": "env.BIFROST_BENCH_KEY", "models": []string{"*"}, "weight": 1}},
			"network_config":              map[string]any{"base_url": mockURL, "default_request_timeout_in_seconds": 30},
			"concurrency_and_buffer_size": map[string]any{"concurrency": p.PoolSize, "buffer_size": p.BufferSize},
		}},
		"governance": gov,
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("%s config: %w", spec, err)
	}
	cfgPath := filepath.Join(r.dir, spec+".json")
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		return nil, fmt.Errorf("%s config: %w", spec, err)
	}
	gw, err := r.startChild(spec, append(env, "BIFROST_BENCH_KEY="+r.key), true, r.cfg.GatewayBin, "-config", cfgPath, "-host", "127.0.0.1", "-port", "0")
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
	return &target{name: spec, url: gwURL + r.cfg.routePath(), model: "openai/gpt-4o-mini",
		header: http.Header{"Authorization": {"Bearer " + govKey}, "Content-Type": {"application/json"}},
		proc:   gw, selfHeader: overheadHeader, selfUnit: time.Microsecond}, nil
}

// startRedis starts a private redis-server (no persistence) on a free port and returns
// its URL, or "" when redis-server is not installed.
func (r *run) startRedis(ctx context.Context) (string, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", nil
	}
	port, err := freePort()
	if err != nil {
		return "", err
	}
	c, err := r.startChild("redis", nil, true, bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no")
	if err != nil {
		return "", err
	}
	r.children = append(r.children, c)
	if err := waitTCP(ctx, c, port, 10*time.Second); err != nil {
		return "", err
	}
	return "redis://127.0.0.1:" + strconv.Itoa(port) + "/0", nil
}
