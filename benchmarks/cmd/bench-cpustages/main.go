// Command bench-cpustages shows where the CPU of a request goes, stage by stage, in the
// gateway and in the raw proxy, under the load of `make bench` (`make cpu-stages` runs it).
//
// It starts the mock, the raw proxy and bifrost-http (with -translate, also bifrost-http
// -passthrough=false) as make bench's quick profile does: GOMAXPROCS=2, the same gateway
// config, the mock's fixed 60 ms and 1 KB answers, the same ~200-byte request. It warms each
// up, then for each round and target in turn records the machine with `perf record -a -g
// -e cpu-clock -F FREQ` while vegeta sends RATE requests per second for DURATION, and counts
// the target's samples (perf script --pid) by stage (package stacks: each sample goes to the
// innermost function on its stack that begins a stage). Each sample stands for 1/FREQ s of
// the target's CPU; the table gives microseconds per successful request, user and kernel
// apart, and the process's own user and system time from /proc over the same windows, as a
// check on the sampling. perf's sampling costs the targets a little CPU of its own, alike for each (on
// the 2-core machine, about 2 µs of user time per request and no system time that the
// /proc figures resolve).
//
//	go build -o bin/ ./server/cmd/bifrost-http ./mocks/cmd/bifrost-mock ./benchmarks/cmd/bench-rawproxy ./benchmarks/cmd/bench-cpustages
//	bin/bench-cpustages -bin bin -rate 3000 -duration 6s -rounds 2
//
// It needs Linux's perf (Debian: apt-get install linux-perf) and the right to record the
// whole machine (root, or kernel.perf_event_paranoid at most 0).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/bifrost-gw/bifrost/benchmarks/internal/harness"
	"github.com/bifrost-gw/bifrost/benchmarks/internal/procstat"
	"github.com/bifrost-gw/bifrost/benchmarks/internal/stacks"
)

// mockKey is the provider key the mock requires and the gateway sends.
const mockKey = "sk-bench-cpustages-0123456789"

// options are the command's flags.
type options struct {
	bin       string
	rate      int
	duration  time.Duration
	rounds    int
	freq      int
	translate bool
	out       string
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "bin", "folder with bifrost-http, bifrost-mock and bench-rawproxy")
	flag.IntVar(&o.rate, "rate", 3000, "requests per second sent to each target")
	flag.DurationVar(&o.duration, "duration", 6*time.Second, "recorded load per target and round")
	flag.IntVar(&o.rounds, "rounds", 2, "rounds; each records every target once, the first target turning round by round")
	flag.IntVar(&o.freq, "freq", 2999, "samples per second of CPU time (perf record -F)")
	flag.BoolVar(&o.translate, "translate", false, "also record bifrost-http -passthrough=false (every request decoded and encoded again)")
	flag.StringVar(&o.out, "out", "", "also write the markdown to this file")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	md, err := run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-cpustages:", err)
		os.Exit(1)
	}
	fmt.Print(md)
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(md), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "bench-cpustages:", err)
			os.Exit(1)
		}
	}
}

// target is one process under test and what its recordings counted.
type target struct {
	name, url, model string
	header           http.Header
	proc             *harness.Process
	client           *http.Client
	tally            stacks.Tally
	sent, ok         int
	user, system     time.Duration // from /proc, over the recorded windows
}

// run starts the processes, records every target and returns the markdown report.
func run(ctx context.Context, o options) (string, error) {
	if o.rate <= 0 || o.rounds <= 0 || o.freq <= 0 || o.duration <= 0 {
		return "", fmt.Errorf("-rate, -rounds, -freq and -duration must be positive")
	}
	if _, err := exec.LookPath("perf"); err != nil {
		return "", fmt.Errorf("perf is not installed (Debian: apt-get install linux-perf): %w", err)
	}
	dir, err := os.MkdirTemp("", "bench-cpustages-")
	if err != nil {
		return "", fmt.Errorf("temporary folder: %w", err)
	}
	defer os.RemoveAll(dir)
	targets, stopAll, err := start(ctx, o, dir)
	defer stopAll()
	if err != nil {
		return "", err
	}
	for _, t := range targets {
		fmt.Fprintf(os.Stderr, "warming up %s: 3s at 500 rps\n", t.name)
		attack(ctx, t, 500, 3*time.Second)
	}
	stages := stacks.Request()
	for r := range o.rounds {
		for i := range targets {
			t := targets[(i+r)%len(targets)]
			fmt.Fprintf(os.Stderr, "round %d: %s, %v at %d rps under perf\n", r+1, t.name, o.duration, o.rate)
			if err := record(ctx, o, t, stages, filepath.Join(dir, t.name+"."+strconv.Itoa(r)+".data")); err != nil {
				return "", fmt.Errorf("%s, round %d: %w", t.name, r+1, err)
			}
		}
	}
	for _, t := range targets {
		if t.ok == 0 || t.tally.Samples == 0 {
			return "", fmt.Errorf("%s: %d of %d requests succeeded and perf took %d samples of it: nothing to report", t.name, t.ok, t.sent, t.tally.Samples)
		}
	}
	return report(o, targets, stages), nil
}

// start starts the mock and the targets; stopAll stops whatever started, also on error.
func start(ctx context.Context, o options, dir string) (targets []*target, stopAll func(), err error) {
	var procs []*harness.Process
	stopAll = func() {
		for i := len(procs) - 1; i >= 0; i-- {
			procs[i].Stop(5 * time.Second)
		}
	}
	launch := func(name string, env []string, bin, marker string, args ...string) (*harness.Process, string, error) {
		p, err := harness.StartProcess(name, env, filepath.Join(o.bin, bin), args...)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", name, err)
		}
		procs = append(procs, p)
		url, err := p.WaitURL(ctx, marker, 10*time.Second)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w\n%s", name, err, harness.Tail(p.Output()))
		}
		return p, url, nil
	}
	prof, err := harness.LookupProfile("quick")
	if err != nil {
		return nil, stopAll, err
	}
	_, mockURL, err := launch("mock", nil, "bifrost-mock", "listening on", "-addr", "127.0.0.1:0",
		"-latency-model", "fixed-60ms", "-size", "1kb", "-require-key", mockKey, "-seed", "1")
	if err != nil {
		return nil, stopAll, err
	}
	env := []string{"GOMAXPROCS=" + strconv.Itoa(prof.GOMAXPROCS)}
	raw, rawURL, err := launch("rawproxy", env, "bench-rawproxy", "listening on", "-addr", "127.0.0.1:0", "-upstream", mockURL)
	if err != nil {
		return nil, stopAll, err
	}
	auth := http.Header{"Authorization": {"Bearer " + mockKey}, "Content-Type": {"application/json"}}
	targets = append(targets, &target{name: "rawproxy", url: rawURL + "/v1/chat/completions", model: "gpt-4o-mini", header: auth, proc: raw})
	cfg, err := harness.GatewayConfig(prof, mockURL)
	if err != nil {
		return nil, stopAll, err
	}
	cfgPath := filepath.Join(dir, "bifrost.json")
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		return nil, stopAll, fmt.Errorf("bifrost config: %w", err)
	}
	gateways := [][]string{{"bifrost"}}
	if o.translate {
		gateways = append(gateways, []string{harness.TranslateTarget, "-passthrough=false"})
	}
	for _, g := range gateways {
		args := append([]string{"-config", cfgPath, "-host", "127.0.0.1", "-port", "0"}, g[1:]...)
		p, url, err := launch(g[0], append(env, "BIFROST_BENCH_KEY="+mockKey), "bifrost-http", "listening", args...)
		if err != nil {
			return nil, stopAll, err
		}
		if err := p.WaitHTTP(ctx, url+"/health", 10*time.Second); err != nil {
			return nil, stopAll, fmt.Errorf("%s: %w", g[0], err)
		}
		targets = append(targets, &target{name: g[0], url: url + "/v1/chat/completions", model: "openai/gpt-4o-mini",
			header: http.Header{"Content-Type": {"application/json"}}, proc: p})
	}
	for _, t := range targets {
		t.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 2000, MaxIdleConns: 2000, IdleConnTimeout: 2 * time.Minute, DisableCompression: true,
		}}
	}
	return targets, stopAll, nil
}

// record runs one recorded attack on t and adds what perf and /proc counted.
func record(ctx context.Context, o options, t *target, stages []stacks.Stage, file string) error {
	pid := t.proc.Pid()
	// System-wide (-a), then the target's samples picked out (perf script --pid): recording
	// only the target's threads (-p) makes perf switch its events at every context switch,
	// which on this load added about half again to the target's system time.
	perf := exec.CommandContext(ctx, "perf", "record", "-q", "-a", "-g", "-e", "cpu-clock", "-F", strconv.Itoa(o.freq), "-o", file)
	var perfErr strings.Builder
	perf.Stderr = &perfErr
	if err := perf.Start(); err != nil {
		return fmt.Errorf("perf record: %w", err)
	}
	time.Sleep(300 * time.Millisecond) // perf opens its events
	before, err := procstat.Read(pid)
	if err != nil {
		perf.Process.Kill() //nolint:errcheck // the run ends anyway
		perf.Wait()         //nolint:errcheck
		return fmt.Errorf("reading the target's CPU time: %w", err)
	}
	sent, ok := attack(ctx, t, o.rate, o.duration)
	after, err := procstat.Read(pid)
	perf.Process.Signal(os.Interrupt) //nolint:errcheck // perf writes its file on SIGINT
	if werr := perf.Wait(); werr != nil && ctx.Err() == nil && !isInterrupt(werr) {
		return fmt.Errorf("perf record: %w: %s", werr, perfErr.String())
	}
	if err != nil {
		return fmt.Errorf("reading the target's CPU time: %w", err)
	}
	script := exec.CommandContext(ctx, "perf", "script", "-i", file, "--pid", strconv.Itoa(pid), "-F", "ip,sym")
	out, err := script.StdoutPipe()
	if err != nil {
		return fmt.Errorf("perf script: %w", err)
	}
	var scriptErr strings.Builder
	script.Stderr = &scriptErr
	if err := script.Start(); err != nil {
		return fmt.Errorf("perf script: %w", err)
	}
	tally, cerr := stacks.Count(out, stages)
	if err := script.Wait(); err != nil {
		return fmt.Errorf("perf script: %w: %s", err, scriptErr.String())
	}
	if cerr != nil {
		return cerr
	}
	t.tally.Add(tally)
	t.sent += sent
	t.ok += ok
	t.user += after.UserCPU - before.UserCPU
	t.system += (after.CPU - after.UserCPU) - (before.CPU - before.UserCPU)
	return nil
}

// isInterrupt reports whether err is perf's exit after the SIGINT that stops it.
func isInterrupt(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && (ws.Signaled() && ws.Signal() == syscall.SIGINT || ws.ExitStatus() == 130)
}

// attack sends rate plain chat completions per second to t for d and returns how many it
// sent and how many got a 200 with a whole body.
func attack(ctx context.Context, t *target, rate int, d time.Duration) (sent, ok int) {
	atk := vegeta.NewAttacker(vegeta.Client(t.client), vegeta.Workers(64), vegeta.MaxWorkers(2000),
		vegeta.Redirects(vegeta.NoFollow), vegeta.MaxBody(512))
	body := harness.ChatBody(200, t.model)
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: "POST", URL: t.url, Body: body, Header: t.header})
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()
	for res := range atk.Attack(tr, vegeta.Rate{Freq: rate, Per: time.Second}, d, t.name) {
		sent++
		if res.Code == http.StatusOK && res.Error == "" {
			ok++
		}
	}
	return sent, ok
}
