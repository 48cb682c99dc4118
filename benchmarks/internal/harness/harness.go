// Package harness runs the end-to-end benchmark: it starts the mock
// provider, a raw byte-forwarding proxy, Bifrost and any peers on
// 127.0.0.1, drives each with an open-loop fixed rate (vegeta) in turn,
// and measures latency, overhead over direct, CPU and memory.
package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/bifrost-gw/bifrost/benchmarks/internal/procstat"
	"github.com/bifrost-gw/bifrost/benchmarks/internal/report"
)

// Config is one run.
type Config struct {
	Profile      Profile
	MockBin      string    // bifrost-mock
	GatewayBin   string    // bifrost-http
	ProxyBin     string    // bench-rawproxy
	ReceiverBin  string    // bench-otlp-receiver: when set, a second Bifrost runs with tracing on (tracing.go)
	LatencyModel string    // a mocks.ParseLatencyModel spec, e.g. "fixed-60ms"
	Prompt       string    // request prompt size: "200b", "10kb" or "50kb" (PromptSize)
	ResponseSize string    // mock response size: "1kb" or "10kb"
	Peers        []string  // litellm, portkey, or name=/path/to/binary args ({port}, {mock}, {key})
	CacheDir     string    // where peers are installed (Portkey with npm, LiteLLM in a venv)
	NoStream     bool      // skip the streaming scenario
	Progress     io.Writer // the live progress line (a terminal); nil for none
	Log          io.Writer // one line per step and per measured rate; nil for none
	Command      string    // how to repeat the run, for the report
}

// target is one thing the load is sent to.
type target struct {
	name    string
	url     string // chat completions URL
	model   string
	header  http.Header
	proc    *child          // the process to measure; nil for direct
	group   *procstat.Group // proc's process group: it and any workers it starts
	metrics string          // Bifrost's /metrics URL, for its own stage timings
	// selfHeader is the response header in which the target reports its own
	// overhead, in units of selfUnit (Bifrost's in µs, LiteLLM's in ms).
	selfHeader string
	selfUnit   time.Duration
	down       string // why the target left the run (fell over); "" while it is in
	failedLast bool   // it failed the capacity rule at the last rate (Sweep)
}

// run is the state of one Run.
type run struct {
	cfg      Config
	key      string // the mock's API key
	dir      string // temporary folder for generated configs
	body     map[bool][]byte
	mock     *child
	children []*child
	targets  []*target
	rep      *report.Report
	progress *progress
	mockProc *procstat.Proc // the mock's counters, read through kept handles
	pin      pinning
	nofile   uint64 // RLIMIT_NOFILE now
	// litellmKey is LiteLLM's master key, which clients send as the bearer token.
	litellmKey string
}

// Run runs the benchmark and returns its report. It stops every process it
// started before returning, also when ctx is cancelled (Ctrl-C).
func Run(ctx context.Context, cfg Config) (rep *report.Report, err error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	promptLen, err := PromptSize(cfg.Prompt)
	if err != nil {
		return nil, err
	}
	if len(cfg.Profile.Rates) == 0 || cfg.Profile.Rounds < 1 || cfg.Profile.Segment <= 0 {
		return nil, fmt.Errorf("profile %s: want rates, rounds and a segment length", cfg.Profile.Name)
	}
	dir, err := os.MkdirTemp("", "bifrost-bench-")
	if err != nil {
		return nil, fmt.Errorf("temporary folder: %w", err)
	}
	r := &run{cfg: cfg, dir: dir, key: fmt.Sprintf("bench-key-%d", time.Now().UnixNano()), progress: newProgress(cfg.Progress),
		body: map[bool][]byte{false: chatBody(promptLen, false), true: chatBody(promptLen, true)}}
	defer func() {
		r.progress.stop()
		r.stopAll()
		os.RemoveAll(dir)
	}()
	start := time.Now()
	r.rep = &report.Report{
		Profile: cfg.Profile.Name, Started: start, Command: cfg.Command, Machine: machine(),
		LatencyModel: cfg.LatencyModel, Prompt: cfg.Prompt, ResponseSize: cfg.ResponseSize,
	}
	// A high rate against a slow target keeps tens of thousands of sockets
	// open; the harness's own limit must not be what fails.
	if r.nofile, err = raiseFileLimit(1 << 20); err != nil {
		r.logf("could not raise the open-file limit: %v", err)
	}
	r.pin = planPinning(runtime.NumCPU(), cfg.Profile.GatewayCPUs, exec.LookPath)
	if len(r.pin.others) > 0 {
		if err := pinSelf(r.pin.others); err != nil {
			r.logf("%v; running unpinned", err)
			r.pin = pinning{note: fmt.Sprintf("not pinned (%v): all processes share the %d CPUs", err, runtime.NumCPU())}
		}
	}
	r.logf("CPUs: %s", r.pin.note)
	if err := r.startAll(ctx); err != nil {
		return nil, err
	}
	for _, t := range r.targets {
		r.rep.Targets = append(r.rep.Targets, t.name)
	}
	p := cfg.Profile
	r.logf("planned: about %v of load for %d targets (%s)", p.Planned(len(r.targets), 100*time.Millisecond).Round(time.Second), len(r.targets), strings.Join(r.rep.Targets, ", "))
	r.rep.Setup = append([]string{
		fmt.Sprintf("all processes on 127.0.0.1; CPUs: %s; Go gateways and the raw proxy run with GOMAXPROCS=%d", r.pin.note, p.GOMAXPROCS),
		fmt.Sprintf("open-loop constant rate (vegeta, one HTTP/1.1 keep-alive client per target, at most %d connections in flight), %d rounds of %v per target and rate, targets alternating (A B C, then C B A); %v warm-up per target at %d rps, and %v unmeasured at each new rate; "+
			"after each attack on a gateway the harness waits (up to %v) until that gateway's CPU use falls under %.0f%% of a core, so that a backlog left by one target does not slow the next",
			r.maxWorkers(), p.Rounds, p.Segment, p.Warmup, p.WarmupRate, p.RateWarmup, settleLimit, settleBusy*100),
		fmt.Sprintf("per-request timeout %v (a request without a full answer by then counts as failed); success = status 200 with a whole body; achieved rate = requests sent / the attack's window; "+
			"a target falls over when under %.0f%% of its requests at a rate succeed or its process exits, and is then not offered higher rates%s; open-file limit %d",
			p.Timeout, fellOverBelow, sweepNote(p.Sweep), r.nofile)}, r.rep.Setup...)
	r.rep.Setup = append(r.rep.Setup,
		fmt.Sprintf("Bifrost config: one openai provider on the mock, concurrency %d, buffer_size %d, initial_pool_size %d", p.PoolSize, p.BufferSize, p.PoolSize),
		"latency: from sending the request to reading the whole response, successful requests only; overhead: target percentile minus direct percentile at the same rate",
		"CPU ms/req (the same number as CPU seconds per 1,000 requests) of each proxy or gateway from /proc, summed over its process group (a gateway and any workers it starts); "+
			"peak RSS: its VmHWM, or for a gateway of several processes (LiteLLM's workers) the highest sum of their RSS, sampled every 200 ms while it was under load; "+
			"throughput (served rate): successful answers per second from the first request sent to the last answer received; "+
			"mock CPU: the mock process's CPU while that target ran, as % of one core and per request")
	if err := r.measure(ctx); err != nil {
		return nil, err
	}
	r.progress.stop()
	r.rep.MockCPU = r.stopMock()
	r.rep.Elapsed = time.Since(start).Round(time.Second).String()
	r.logf("done in %s", r.rep.Elapsed)
	r.rep.Finish()
	return r.rep, nil
}

// logf prints one log line, clearing the live line first.
func (r *run) logf(format string, args ...any) {
	r.progress.clear()
	fmt.Fprintf(r.cfg.Log, format+"\n", args...)
}

// machine describes the machine the run is on.
func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				mem = fmt.Sprintf(", %.0f GiB", float64(kb)/(1<<20))
			}
		}
	}
	return fmt.Sprintf("%d vCPU %s%s, %s, %s/%s", runtime.NumCPU(), cpu, mem, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// startAll starts the mock, the raw proxy, Bifrost and the peers, and
// makes the targets.
func (r *run) startAll(ctx context.Context) error {
	p := r.cfg.Profile
	var err error
	r.logf("starting the mock (%s, %s responses)", r.cfg.LatencyModel, r.cfg.ResponseSize)
	r.mock, err = r.startChild("mock", nil, false, r.cfg.MockBin, "-addr", "127.0.0.1:0", "-latency-model", r.cfg.LatencyModel,
		"-size", r.cfg.ResponseSize, "-require-key", r.key, "-seed", "1")
	if err != nil {
		return err
	}
	r.children = append(r.children, r.mock)
	mockURL, err := r.mock.waitURL(ctx, "listening on", 10*time.Second)
	if err != nil {
		return err
	}
	if r.mockProc, err = procstat.Open(r.mock.pid()); err != nil {
		return fmt.Errorf("mock: %w", err)
	}
	auth := http.Header{"Authorization": {"Bearer " + r.key}, "Content-Type": {"application/json"}}
	r.targets = append(r.targets, &target{name: report.Direct, url: mockURL + "/v1/chat/completions", model: "gpt-4o-mini", header: auth})

	env := []string{}
	if p.GOMAXPROCS > 0 {
		env = append(env, "GOMAXPROCS="+strconv.Itoa(p.GOMAXPROCS))
	}
	proxy, err := r.startChild("rawproxy", env, true, r.cfg.ProxyBin, "-addr", "127.0.0.1:0", "-upstream", mockURL)
	if err != nil {
		return err
	}
	r.children = append(r.children, proxy)
	proxyURL, err := proxy.waitURL(ctx, "listening on", 10*time.Second)
	if err != nil {
		return err
	}
	r.targets = append(r.targets, &target{name: "rawproxy", url: proxyURL + "/v1/chat/completions", model: "gpt-4o-mini", header: auth, proc: proxy})

	cfgPath := filepath.Join(r.dir, "bifrost.json")
	gwCfg := map[string]any{
		"client": map[string]any{"initial_pool_size": p.PoolSize, "drop_excess_requests": false},
		"providers": map[string]any{"openai": map[string]any{
			"keys":                        []any{map[string]any{"name": "bench", "value": "env.BIFROST_BENCH_KEY", "models": []string{"*"}, "weight": 1}},
			"network_config":              map[string]any{"base_url": mockURL, "default_request_timeout_in_seconds": 30},
			"concurrency_and_buffer_size": map[string]any{"concurrency": p.PoolSize, "buffer_size": p.BufferSize},
		}},
	}
	b, err := json.MarshalIndent(gwCfg, "", "  ")
	if err != nil {
		return fmt.Errorf("bifrost config: %w", err)
	}
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		return fmt.Errorf("bifrost config: %w", err)
	}
	gw, err := r.startChild("bifrost", append(env, "BIFROST_BENCH_KEY="+r.key), true, r.cfg.GatewayBin, "-config", cfgPath, "-host", "127.0.0.1", "-port", "0")
	if err != nil {
		return err
	}
	r.children = append(r.children, gw)
	gwURL, err := gw.waitURL(ctx, "listening", 10*time.Second)
	if err != nil {
		return err
	}
	if err := gw.waitHTTP(ctx, gwURL+"/health", 10*time.Second); err != nil {
		return err
	}
	r.targets = append(r.targets, &target{name: "bifrost", url: gwURL + "/v1/chat/completions", model: "openai/gpt-4o-mini",
		header: http.Header{"Content-Type": {"application/json"}}, proc: gw, metrics: gwURL + "/metrics",
		selfHeader: overheadHeader, selfUnit: time.Microsecond})
	if r.cfg.ReceiverBin != "" {
		t, err := r.startTraced(ctx, gwCfg, env)
		if err != nil {
			return err
		}
		r.targets = append(r.targets, t)
	}

	for _, peer := range r.cfg.Peers {
		t, err := r.startPeer(ctx, peer, mockURL, env)
		if errors.Is(err, errSkipped) {
			continue
		}
		if err != nil {
			return err
		}
		r.targets = append(r.targets, t)
	}
	for _, t := range r.targets {
		if t.proc != nil {
			t.group = procstat.OpenGroup(t.proc.pid())
		}
	}
	return nil
}

// stopAll stops every child, the mock last, and closes the kept handles.
func (r *run) stopAll() {
	for i := len(r.children) - 1; i >= 0; i-- {
		r.children[i].stop(5 * time.Second)
	}
	for _, t := range r.targets {
		if t.group != nil {
			t.group.Close()
		}
	}
	if r.mockProc != nil {
		r.mockProc.Close()
	}
}

// stopMock stops the mock and returns its own CPU report line.
func (r *run) stopMock() string {
	for _, c := range r.children {
		if c != r.mock {
			c.stop(5 * time.Second)
		}
	}
	r.mock.stop(10 * time.Second)
	for line := range strings.SplitSeq(r.mock.log.text(), "\n") {
		if _, rest, ok := strings.Cut(line, "stopped: "); ok && strings.HasPrefix(rest, "cpu") {
			return rest
		}
	}
	return "not reported"
}

// chatBody returns a chat completion request whose user message is
// promptLen bytes of text. The model is the placeholder modelPlaceholder,
// replaced per target by bodyFor.
func chatBody(promptLen int, stream bool) []byte {
	const text = "Benchmark prompt text, repeated to the chosen size. "
	content := strings.Repeat(text, promptLen/len(text)+1)[:promptLen]
	req := map[string]any{
		"model":      modelPlaceholder,
		"messages":   []any{map[string]string{"role": "user", "content": content}},
		"max_tokens": 256,
	}
	if stream {
		req["stream"] = true
	}
	b, err := json.Marshal(req)
	if err != nil {
		panic(err) // a map of strings always marshals
	}
	return b
}

// modelPlaceholder is the model name in chatBody's output.
const modelPlaceholder = "MODEL-PLACEHOLDER"

// bodyFor returns the request body for t, naming t's model.
func (r *run) bodyFor(t *target, stream bool) []byte {
	return bytes.Replace(r.body[stream], []byte(modelPlaceholder), []byte(t.model), 1)
}

// segment is one attack's raw outcome.
type segment struct {
	sent, ok     int
	window       time.Duration // from the first request sent to one interval after the last
	span         time.Duration // from the first request sent to the last answer received
	latencies    []time.Duration
	selfOverhead []time.Duration // Bifrost's X-Bifrost-Overhead-Us header, when present
	errors       map[string]int
	cpu          time.Duration // the target's process
	mockCPU      time.Duration
	wall         time.Duration
	peakRSS      int64
	stages       map[string]float64 // deltas of the scraped counters (stageCounters)
}

// measure warms every target up, then runs the profile's rates, rounds
// and targets in alternation, then the streaming scenario. A target that
// falls over leaves the run with a note; the others go on.
func (r *run) measure(ctx context.Context) error {
	p := r.cfg.Profile
	// One HTTP client per target, shared by its attacks, so that connections
	// stay warm from the warm-up on (a vegeta Attacker serves one attack).
	clients := map[*target]*http.Client{}
	for _, t := range r.targets {
		tr := &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost: r.maxWorkers(),
			MaxIdleConns:        r.maxWorkers(),
			IdleConnTimeout:     2 * time.Minute,
			DisableCompression:  true,
		}
		clients[t] = &http.Client{Timeout: p.Timeout, Transport: tr}
	}
	defer func() {
		for _, c := range clients {
			c.CloseIdleConnections()
		}
	}()
	r.logf("warming up each target for %v at %d rps", p.Warmup, p.WarmupRate)
	for _, t := range r.targets {
		s, err := r.attack(ctx, clients[t], t, p.WarmupRate, p.Warmup, "warm-up")
		if err != nil {
			return err
		}
		if t.down == "" && s.ok == 0 {
			r.drop(t, fmt.Sprintf("no request succeeded during the %v warm-up at %d rps: %s", p.Warmup, p.WarmupRate, topErrors(s.errors)))
		}
	}
	points := map[*target]map[int]*segment{}
	for _, t := range r.targets {
		points[t] = map[int]*segment{}
	}
	for _, rate := range p.Rates {
		live := r.live()
		if len(live) == 0 {
			break
		}
		if p.RateWarmup > 0 {
			for _, t := range live {
				if _, err := r.attack(ctx, clients[t], t, rate, p.RateWarmup, fmt.Sprintf("%d rps, warm-up", rate)); err != nil {
					return err
				}
			}
		}
		for round := range p.Rounds {
			for _, t := range roundOrder(live, round) {
				if t.down != "" {
					continue
				}
				label := fmt.Sprintf("%d rps, round %d/%d", rate, round+1, p.Rounds)
				s, err := r.attack(ctx, clients[t], t, rate, p.Segment, label)
				if err != nil {
					return err
				}
				points[t][rate] = merge(points[t][rate], s)
			}
		}
		var direct *report.Point
		for _, t := range live {
			seg := points[t][rate]
			if seg == nil { // fell over in its warm-up at this rate
				continue
			}
			pt := r.point(t, rate, seg)
			r.rep.Points = append(r.rep.Points, pt)
			over := ""
			if t.name == report.Direct {
				direct = pt
			} else if direct != nil {
				over = fmt.Sprintf(", overhead p50 %+.2f ms p99 %+.2f ms", pt.Latency.P50-direct.Latency.P50, pt.Latency.P99-direct.Latency.P99)
			}
			cpu := ""
			if t.proc != nil {
				cpu = fmt.Sprintf(", cpu %.3f ms/req, peak rss %.1f MB", pt.CPUPerReqMs, pt.PeakRSSMB)
			}
			r.logf("%-9s %5d rps: %.2f%% ok, achieved %.0f rps, p50 %.2f ms, p99 %.2f ms%s%s, mock cpu %.0f%%",
				t.name, rate, pt.SuccessPct, pt.AchievedRate, pt.Latency.P50, pt.Latency.P99, over, cpu, pt.MockCPUPct)
			r.judge(t, pt, direct)
		}
	}
	if !r.cfg.NoStream && p.StreamRate > 0 && p.StreamFor > 0 {
		return r.streams(ctx)
	}
	return nil
}

// fellOverBelow is the success percentage under which a target has fallen
// over at a rate.
const fellOverBelow = 50.0

func sweepNote(sweep bool) string {
	if sweep {
		return "; in this capacity sweep a target also leaves after failing the capacity rule at two rates in a row"
	}
	return ""
}

// judge drops t from the higher rates when it fell over at pt, or, in a
// sweep, when it failed the capacity rule at this rate and the one before.
func (r *run) judge(t *target, pt *report.Point, direct *report.Point) {
	if t.down != "" {
		return
	}
	if pt.SuccessPct < fellOverBelow {
		r.drop(t, fmt.Sprintf("fell over at %d rps: %.1f%% of %d requests succeeded (%s)", pt.Rate, pt.SuccessPct, pt.Requests, topErrors(pt.Errors)))
		return
	}
	if !r.cfg.Profile.Sweep || t.name == report.Direct {
		return // direct stays as long as it answers: it is every overhead's baseline
	}
	check := *pt
	if direct != nil && t.name != report.Direct {
		o := report.Overhead(pt.Latency, direct.Latency)
		check.Overhead = &o
	}
	failed := !check.Passes()
	if failed && t.failedLast {
		r.drop(t, fmt.Sprintf("failed the capacity rule at two rates in a row (the second %d rps); not offered higher rates", pt.Rate))
	}
	t.failedLast = failed
}

// drop takes t out of the rest of the run, with a note in the report.
func (r *run) drop(t *target, why string) {
	if t.down != "" {
		return
	}
	t.down = why
	r.logf("%s: %s", t.name, why)
	r.rep.Dropped = append(r.rep.Dropped, t.name+": "+why)
}

// live returns the targets still in the run.
func (r *run) live() []*target {
	var out []*target
	for _, t := range r.targets {
		if t.down == "" {
			out = append(out, t)
		}
	}
	return out
}

// topErrors summarizes the most frequent failures of a segment.
func topErrors(errs map[string]int) string {
	if len(errs) == 0 {
		return "no error recorded"
	}
	type kv struct {
		k string
		n int
	}
	var all []kv
	for k, n := range errs {
		all = append(all, kv{k, n})
	}
	slices.SortFunc(all, func(a, b kv) int { return b.n - a.n })
	var parts []string
	for _, e := range all[:min(2, len(all))] {
		k := e.k
		if len(k) > 80 {
			k = k[:80] + "..."
		}
		parts = append(parts, fmt.Sprintf("%d x %s", e.n, strings.ReplaceAll(k, "\n", " ")))
	}
	return strings.Join(parts, "; ")
}

// maxWorkers bounds the requests in flight per attack (each holds one
// socket) so that the harness stays under its open-file limit.
func (r *run) maxWorkers() int {
	const most = 50000
	if r.nofile == 0 || r.nofile > most+2000 {
		return most
	}
	return max(1000, int(r.nofile)-2000)
}

// Settling after an attack: wait until the gateway's CPU use over
// settleStep falls under settleBusy of one core, for at most settleLimit.
const (
	settleBusy  = 0.2
	settleStep  = 250 * time.Millisecond
	settleLimit = 15 * time.Second
)

// settle waits until t's process group is nearly idle, so that a backlog it
// still works through does not slow the next target's attack.
func (r *run) settle(ctx context.Context, t *target) {
	if t.group == nil {
		return
	}
	prev, err := t.group.ReadKnown()
	if err != nil {
		return
	}
	end := time.Now().Add(settleLimit)
	for time.Now().Before(end) {
		select {
		case <-ctx.Done():
			return
		case <-time.After(settleStep):
		}
		cur, err := t.group.ReadKnown()
		if err != nil {
			return
		}
		if float64(cur.CPU-prev.CPU) < settleBusy*float64(settleStep) {
			return
		}
		prev = cur
	}
	r.logf("%s still busy %v after its attack; going on", t.name, settleLimit)
}

// roundOrder is the order of the targets in round i: A B C, then C B A,
// so that no target always follows the same one.
func roundOrder(targets []*target, i int) []*target {
	order := slices.Clone(targets)
	if i%2 == 1 {
		slices.Reverse(order)
	}
	return order
}

// merge adds b's outcome to a's (a may be nil) and returns a.
func merge(a, b *segment) *segment {
	if a == nil {
		return b
	}
	a.sent += b.sent
	a.ok += b.ok
	a.window += b.window
	a.span += b.span
	a.latencies = append(a.latencies, b.latencies...)
	a.selfOverhead = append(a.selfOverhead, b.selfOverhead...)
	for k, v := range b.errors {
		a.errors[k] += v
	}
	a.cpu += b.cpu
	a.mockCPU += b.mockCPU
	a.wall += b.wall
	a.peakRSS = max(a.peakRSS, b.peakRSS)
	if b.stages != nil {
		if a.stages == nil {
			a.stages = map[string]float64{}
		}
		for k, v := range b.stages {
			a.stages[k] += v
		}
	}
	return a
}

// point summarizes t's segments at rate.
func (r *run) point(t *target, rate int, s *segment) *report.Point {
	pt := &report.Point{Target: t.name, Rate: rate, Requests: s.sent, Success: s.ok, Errors: s.errors}
	if s.sent > 0 {
		pt.SuccessPct = 100 * float64(s.ok) / float64(s.sent)
	}
	if s.window > 0 {
		pt.AchievedRate = float64(s.sent) / s.window.Seconds()
	}
	if s.span > 0 {
		pt.ServedRate = float64(s.ok) / s.span.Seconds()
	}
	pt.Latency = report.Summarize(s.latencies)
	pt.LatenciesUs = make([]int64, len(s.latencies))
	for i, d := range s.latencies {
		pt.LatenciesUs[i] = d.Microseconds()
	}
	if t.proc != nil && s.sent > 0 {
		pt.CPUPerReqMs = float64(s.cpu) / 1e6 / float64(s.sent)
		pt.PeakRSSMB = float64(s.peakRSS) / (1 << 20)
	}
	if s.wall > 0 {
		pt.MockCPUPct = 100 * s.mockCPU.Seconds() / s.wall.Seconds()
	}
	if s.sent > 0 {
		pt.MockCPUPerMs = float64(s.mockCPU) / 1e6 / float64(s.sent)
	}
	if n := s.stages[counterRequests]; n > 0 {
		pt.Stages = map[string]float64{}
		for k, v := range s.stages {
			if name, ok := strings.CutPrefix(k, "stage:"); ok {
				pt.Stages[name] = v / n * 1e6
			}
		}
	}
	if n := s.stages[counterOverheadCount]; n > 0 {
		pt.SelfOverheadAvgUs = s.stages[counterOverheadSum] / n * 1e6
	}
	if len(s.selfOverhead) > 0 {
		l := report.Summarize(s.selfOverhead)
		pt.SelfOverhead = &l
	}
	return pt
}

// attack sends rate requests per second to t for d, open loop, and
// measures them and the processes involved.
func (r *run) attack(ctx context.Context, client *http.Client, t *target, rate int, d time.Duration, label string) (*segment, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := &segment{errors: map[string]int{}, latencies: make([]time.Duration, 0, int(float64(rate)*d.Seconds())+16)}
	if t.down != "" {
		return s, nil
	}
	var before procstat.GroupSample
	var mockBefore procstat.Sample
	var err error
	if t.group != nil {
		if before, err = t.group.Read(); err != nil || !before.LeaderUp {
			r.drop(t, fmt.Sprintf("its process exited before the %s attack (%s):\n%s", label, t.proc.exitStatus(), tail(t.proc.log.text())))
			return s, nil
		}
	}
	if mockBefore, err = r.mockProc.Read(); err != nil {
		return nil, fmt.Errorf("mock: %w (did it exit?)\n%s", err, tail(r.mock.log.text()))
	}
	var countersBefore map[string]float64
	if t.metrics != "" {
		countersBefore = scrapeCounters(ctx, t.metrics)
	}
	atk := vegeta.NewAttacker(vegeta.Client(client), vegeta.Workers(64), vegeta.MaxWorkers(uint64(r.maxWorkers())),
		vegeta.Redirects(vegeta.NoFollow), vegeta.MaxBody(512))
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: "POST", URL: t.url, Body: r.bodyFor(t, false), Header: t.header})
	began := time.Now()
	results := atk.Attack(tr, vegeta.Rate{Freq: rate, Per: time.Second}, d, t.name)
	// Bound the attack in time whatever happens: its length plus the request timeout.
	guard := time.AfterFunc(d+r.cfg.Profile.Timeout+10*time.Second, func() { atk.Stop() })
	defer guard.Stop()
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-ctx.Done():
			atk.Stop()
		case <-stopped:
		}
	}()
	r.progress.set(t.name, label, d, began, &s.sent, &s.ok)
	// A gateway of several processes has no VmHWM of its own: sample the
	// sum of its members' RSS while the attack runs.
	var sampledRSS int64
	stopSampling, sampled := make(chan struct{}), make(chan struct{})
	if t.group != nil && before.Processes > 1 {
		tick := time.NewTicker(200 * time.Millisecond)
		go func() {
			defer close(sampled)
			defer tick.Stop()
			for {
				select {
				case <-stopSampling:
					return
				case <-tick.C:
					if g, err := t.group.ReadKnown(); err == nil {
						sampledRSS = max(sampledRSS, g.RSS)
					}
				}
			}
		}()
	} else {
		close(sampled)
	}
	var first, last, lastDone time.Time
	for res := range results {
		r.progress.mu.Lock()
		s.sent++
		if res.Code == 200 && res.Error == "" {
			s.ok++
			s.latencies = append(s.latencies, res.Latency)
			if t.selfHeader != "" {
				if v := res.Headers.Get(t.selfHeader); v != "" {
					if f, err := strconv.ParseFloat(v, 64); err == nil {
						s.selfOverhead = append(s.selfOverhead, time.Duration(f*float64(t.selfUnit)))
					}
				}
			}
		} else {
			s.countError(res.Code, res.Error, res.Body)
		}
		r.progress.mu.Unlock()
		if first.IsZero() || res.Timestamp.Before(first) {
			first = res.Timestamp
		}
		if res.Timestamp.After(last) {
			last = res.Timestamp
		}
		if done := res.Timestamp.Add(res.Latency); done.After(lastDone) {
			lastDone = done
		}
	}
	r.progress.set("", "", 0, time.Time{}, nil, nil)
	close(stopSampling)
	<-sampled
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.wall = time.Since(began)
	if s.sent > 0 {
		s.window = last.Sub(first) + time.Second/time.Duration(rate)
		s.span = max(lastDone.Sub(first), s.window)
	}
	if t.group != nil {
		after, err := t.group.Read()
		if err == nil {
			s.cpu = after.CPU - before.CPU
			s.peakRSS = after.PeakRSS
			if after.Processes > 1 || before.Processes > 1 {
				s.peakRSS = max(sampledRSS, after.RSS, before.RSS)
			}
		}
		if err != nil || !after.LeaderUp {
			r.drop(t, fmt.Sprintf("its process exited during the %s attack (%s):\n%s", label, t.proc.exitStatus(), tail(t.proc.log.text())))
		}
	}
	if mockAfter, err := r.mockProc.Read(); err == nil {
		s.mockCPU = mockAfter.CPU - mockBefore.CPU
	}
	if countersBefore != nil {
		if after := scrapeCounters(ctx, t.metrics); after != nil {
			s.stages = map[string]float64{}
			for k, v := range after {
				s.stages[k] = v - countersBefore[k]
			}
		}
	}
	if t.down == "" {
		r.settle(ctx, t)
	}
	return s, nil
}

// overheadHeader is the response header in which Bifrost reports the
// time it added to the request, in microseconds (server.OverheadHeader).
const overheadHeader = "X-Bifrost-Overhead-Us"

// maxErrorKinds bounds the distinct error messages a segment keeps.
const maxErrorKinds = 20

// countError counts one failed request under a short description.
func (s *segment) countError(code uint16, msg string, body []byte) {
	e := msg
	if code != 0 {
		e = "status " + strconv.Itoa(int(code))
		if b := strings.TrimSpace(string(body)); b != "" {
			e += ": " + b
		}
	}
	if len(e) > 160 {
		e = e[:160]
	}
	if _, ok := s.errors[e]; !ok && len(s.errors) >= maxErrorKinds {
		e = "other"
	}
	s.errors[e]++
}

// Counter names in the map scrapeCounters returns.
const (
	counterRequests      = "requests"       // bifrost_requests_total, all series
	counterOverheadSum   = "overhead_sum"   // bifrost_gateway_overhead_seconds_sum, all series
	counterOverheadCount = "overhead_count" // bifrost_gateway_overhead_seconds_count, all series
	// "stage:<name>" is bifrost_stage_seconds_total{stage="<name>"}.
)

// scrapeCounters reads Bifrost's stage and overhead counters from its
// /metrics URL, or returns nil if it cannot.
func scrapeCounters(ctx context.Context, url string) map[string]float64 {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil
	}
	return parseCounters(b)
}

// parseCounters reads the counters scrapeCounters returns from the
// Prometheus text format.
func parseCounters(b []byte) map[string]float64 {
	out := map[string]float64{}
	for line := range strings.SplitSeq(string(b), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		name, labels, _ := strings.Cut(line[:i], "{")
		switch name {
		case "bifrost_stage_seconds_total":
			if _, rest, ok := strings.Cut(labels, `stage="`); ok {
				if stage, _, ok := strings.Cut(rest, `"`); ok {
					out["stage:"+stage] += v
				}
			}
		case "bifrost_requests_total":
			out[counterRequests] += v
		case "bifrost_gateway_overhead_seconds_sum":
			out[counterOverheadSum] += v
		case "bifrost_gateway_overhead_seconds_count":
			out[counterOverheadCount] += v
		}
	}
	return out
}

// progress prints one live line, rewritten in place, while an attack
// runs. Its mutex also guards the counters it shows.
type progress struct {
	w     io.Writer // nil: no live line
	mu    sync.Mutex
	name  string
	label string
	d     time.Duration
	began time.Time
	sent  *int
	ok    *int
	shown bool
	quit  chan struct{}
	once  sync.Once
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, quit: make(chan struct{})}
	if w != nil {
		go func() {
			t := time.NewTicker(500 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-p.quit:
					return
				case <-t.C:
					p.draw()
				}
			}
		}()
	}
	return p
}

// set names what runs now; a nil sent clears it.
func (p *progress) set(name, label string, d time.Duration, began time.Time, sent, ok *int) {
	p.mu.Lock()
	p.name, p.label, p.d, p.began, p.sent, p.ok = name, label, d, began, sent, ok
	p.mu.Unlock()
}

func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w == nil || p.sent == nil {
		return
	}
	pct := 100.0
	if *p.sent > 0 {
		pct = 100 * float64(*p.ok) / float64(*p.sent)
	}
	el := time.Since(p.began).Truncate(100 * time.Millisecond)
	fmt.Fprintf(p.w, "\r\033[K  %-9s %-24s %5.1fs/%v  answered %7d  ok %6.2f%%", p.name, p.label, el.Seconds(), p.d, *p.sent, pct)
	p.shown = true
}

// clear erases the live line so that a log line can be printed.
func (p *progress) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w != nil && p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}

// stop ends the live line for good.
func (p *progress) stop() {
	p.once.Do(func() { close(p.quit) })
	p.clear()
}
