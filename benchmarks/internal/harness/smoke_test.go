package harness

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/benchmarks/internal/report"
)

// TestSmoke runs the whole harness briefly: the real mock, raw proxy and
// gateway binaries, a low rate for a few hundred milliseconds per target,
// and the streaming scenario. It builds the binaries with the go command
// (or uses those in $BIFROST_BENCH_BIN) and is skipped with -short.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes; skipped with -short")
	}
	bin := os.Getenv("BIFROST_BENCH_BIN")
	if bin == "" {
		goCmd, err := exec.LookPath("go")
		if err != nil {
			t.Skip("no go command to build the binaries with")
		}
		bin = t.TempDir()
		for name, pkg := range map[string]string{
			"bifrost-http":   "github.com/bifrost-gw/bifrost/server/cmd/bifrost-http",
			"bifrost-mock":   "github.com/bifrost-gw/bifrost/mocks/cmd/bifrost-mock",
			"bench-rawproxy": "github.com/bifrost-gw/bifrost/benchmarks/cmd/bench-rawproxy",
		} {
			if out, err := exec.Command(goCmd, "build", "-o", filepath.Join(bin, name), pkg).CombinedOutput(); err != nil {
				t.Fatalf("go build %s: %v\n%s", pkg, err, out)
			}
		}
	}
	p := Profile{Name: "smoke", GOMAXPROCS: 2, BufferSize: 1000, PoolSize: 100,
		Rates: []int{200}, Segment: 400 * time.Millisecond, Rounds: 1,
		Warmup: 200 * time.Millisecond, WarmupRate: 100, RateWarmup: 0,
		StreamRate: 20, StreamFor: 300 * time.Millisecond, Timeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := Run(ctx, Config{
		Profile: p, MockBin: filepath.Join(bin, "bifrost-mock"), GatewayBin: filepath.Join(bin, "bifrost-http"),
		ProxyBin: filepath.Join(bin, "bench-rawproxy"), LatencyModel: "fixed:5ms", Prompt: "200b", ResponseSize: "1kb",
		Peers: []string{"absent=/nonexistent/gateway --port {port}",
			// A gateway whose upstream refuses connections: it falls over and leaves the run,
			// which goes on without it.
			"broken=" + filepath.Join(bin, "bench-rawproxy") + " -addr 127.0.0.1:{port} -upstream http://127.0.0.1:1"},
		Command: "go test", Log: testWriter{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Targets) != 4 || len(rep.Points) != 3 || len(rep.Skipped) != 1 || len(rep.Dropped) != 1 ||
		!strings.HasPrefix(rep.Dropped[0], "broken: no request succeeded during the") {
		t.Fatalf("targets %v, %d points, skipped %v, dropped %v", rep.Targets, len(rep.Points), rep.Skipped, rep.Dropped)
	}
	for _, pt := range rep.Points {
		if pt.SuccessPct != 100 || pt.Requests < 60 || pt.Latency.P50 < 5 {
			t.Errorf("%s: %d requests, %.1f%% ok, p50 %.2f ms; errors %v", pt.Target, pt.Requests, pt.SuccessPct, pt.Latency.P50, pt.Errors)
		}
		if pt.Target != report.Direct && (pt.Overhead == nil || pt.PeakRSSMB <= 0) {
			t.Errorf("%s: overhead %v, peak RSS %.1f MB", pt.Target, pt.Overhead, pt.PeakRSSMB)
		}
		if pt.Target == "bifrost" && (pt.Stages["upstream"] < 5000 || pt.SelfOverhead == nil) {
			t.Errorf("bifrost's own stage timings missing: %v, self-reported %v", pt.Stages, pt.SelfOverhead)
		}
	}
	if len(rep.Streams) != 3 {
		t.Fatalf("%d stream results", len(rep.Streams))
	}
	for _, s := range rep.Streams {
		if s.Success != s.Streams || s.Chunks < 10 {
			t.Errorf("%s streams: %d/%d ok, %d chunks, errors %v", s.Target, s.Success, s.Streams, s.Chunks, s.Errors)
		}
	}
	if rep.MockCPU == "not reported" {
		t.Error("the mock did not report its CPU")
	}
	dir := t.TempDir()
	if err := rep.Write(dir); err != nil {
		t.Fatal(err)
	}
}

// testWriter sends the harness's log to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}
