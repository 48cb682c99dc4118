package soak

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunSmoke runs the soak for two seconds against the real mock and
// gateway binaries: too short for the plateau checks (which must say so),
// long enough to show that every answer is classified and counted. It
// builds the binaries with the go command (or uses those in
// $BIFROST_BENCH_BIN) and is skipped with -short.
func TestRunSmoke(t *testing.T) {
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
			"bifrost-http": "github.com/bifrost-gw/bifrost/server/cmd/bifrost-http",
			"bifrost-mock": "github.com/bifrost-gw/bifrost/mocks/cmd/bifrost-mock",
		} {
			if out, err := exec.Command(goCmd, "build", "-o", filepath.Join(bin, name), pkg).CombinedOutput(); err != nil {
				t.Fatalf("go build %s: %v\n%s", pkg, err, out)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := Run(ctx, Config{
		MockBin: filepath.Join(bin, "bifrost-mock"), GatewayBin: filepath.Join(bin, "bifrost-http"),
		Rate: 100, Duration: 2 * time.Second, StreamPct: 20, Latency: "fixed:10ms",
		FailRate:   0.2, // high, and no retries, so that well-formed errors reach the client
		MaxRetries: 0, Timeout: 10 * time.Second,
		RSSTol: Tolerance{Rel: 0.1, Abs: 3 << 20}, GoroutineTol: Tolerance{Rel: 0.1, Abs: 50}, MinSuccessPct: 50,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Sent < 190 || rep.Plain.Sent+rep.Stream.Sent != rep.Total.Sent || rep.Stream.Sent < 30 {
		t.Errorf("sent %d (plain %d, stream %d), want about 200, a fifth streamed", rep.Total.Sent, rep.Plain.Sent, rep.Stream.Sent)
	}
	if rep.Total.Other != 0 || rep.Total.WellFormed == 0 || rep.Total.Complete == 0 {
		t.Errorf("complete %d, well-formed errors %d (%v), other %d (%v): want errors and answers, nothing else",
			rep.Total.Complete, rep.Total.WellFormed, rep.Total.Errors, rep.Total.Other, rep.Total.Others)
	}
	for k := range rep.Total.Errors {
		if !strings.HasPrefix(k, "status 500 ") && !strings.HasPrefix(k, "status 503 ") {
			t.Errorf("unexpected error kind %q", k)
		}
	}
	if rep.GoroutinesBefore <= 0 || rep.GatewayCPUPerReqMs <= 0 {
		t.Errorf("goroutines before %g, CPU %g ms/request: want readings", rep.GoroutinesBefore, rep.GatewayCPUPerReqMs)
	}
	for _, c := range rep.Checks {
		if (c.Name == "RSS plateau" || c.Name == "goroutines flat") && (c.OK || !strings.Contains(c.Detail, "run longer")) {
			t.Errorf("check %q on a 2 s run: OK %v, %q; want a too-short failure", c.Name, c.OK, c.Detail)
		}
	}
}
