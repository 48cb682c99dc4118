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
	"time"

	"github.com/bifrost-gw/bifrost/benchmarks/internal/procstat"
	"github.com/bifrost-gw/bifrost/benchmarks/internal/report"
)

// Config is one run.
type Config struct {
	Profile      Profile
	MockBin      string   // bifrost-mock
	GatewayBin   string   // bifrost-http
	ProxyBin     string   // bench-rawproxy
	ReceiverBin  string   // bench-otlp-receiver: when set, a second Bifrost runs with tracing on (tracing.go)
	LatencyModel string   // a mocks.ParseLatencyModel spec, e.g. "fixed-60ms"
	Prompt       string   // request prompt size: "200b", "10kb" or "50kb" (PromptSize)
	ResponseSize string   // mock response size: "1kb" or "10kb"
	Peers        []string // litellm, portkey, or name=/path/to/binary args ({port}, {mock}, {key})
	CacheDir     string   // where peers are installed (Portkey with npm, LiteLLM in a venv)
	NoStream     bool     // skip the streaming scenario
	// Translate adds a second Bifrost, TranslateTarget, with its passthrough path off.
	Translate bool
	// Route is the API the scenarios call on every target: RouteChat ("" too) or
	// RouteResponses (route.go).
	Route    string
	Progress io.Writer // the live progress line (a terminal); nil for none
	Log      io.Writer // one line per step and per measured rate; nil for none
	Command  string    // how to repeat the run, for the report
}

// target is one thing the load is sent to.
type target struct {
	name    string
	url     string // the route's URL (chat completions unless Config.Route says otherwise)
	model   string
	header  http.Header
	proc    *child          // the process to measure; nil for direct
	group   *procstat.Group // proc's process group: it and any workers it starts
	metrics string          // Bifrost's /metrics URL, for its own stage timings
	// selfHeader is the response header in which the target reports its own
	// overhead, in units of selfUnit (Bifrost's in µs, LiteLLM's in ms).
	selfHeader string
	selfUnit   time.Duration
	down       string       // why the target left the run (fell over); "" while it is in
	failedLast bool         // it failed the capacity rule at the last rate (Sweep)
	conns      *connCounter // the harness's connections to it
	emfileSeen int          // out-of-descriptor lines in its log already reported
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
	if err := checkRoute(cfg.Route); err != nil {
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
		body: map[bool][]byte{false: cfg.requestBody(promptLen, false), true: cfg.requestBody(promptLen, true)}}
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
	r.targets = append(r.targets, &target{name: report.Direct, url: mockURL + r.cfg.routePath(), model: "gpt-4o-mini", header: auth})

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
	r.targets = append(r.targets, &target{name: "rawproxy", url: proxyURL + r.cfg.routePath(), model: "gpt-4o-mini", header: auth, proc: proxy})

	if err := r.startBifrost(ctx, env, mockURL); err != nil {
		return err
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

// startBifrost writes Bifrost's config for the mock at mockURL, starts it
// with env, and adds its target.
func (r *run) startBifrost(ctx context.Context, env []string, mockURL string) error {
	p := r.cfg.Profile
	cfgPath := filepath.Join(r.dir, "bifrost.json")
	b, err := GatewayConfig(p, mockURL)
	if err != nil {
		return err
	}
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		return fmt.Errorf("bifrost config: %w", err)
	}
	if err := r.startGateway(ctx, "bifrost", env, cfgPath); err != nil {
		return err
	}
	if r.cfg.ReceiverBin != "" {
		t, err := r.startTraced(ctx, gatewayConfig(p, mockURL), env)
		if err != nil {
			return err
		}
		r.targets = append(r.targets, t)
	}
	if r.cfg.Translate {
		return r.startGateway(ctx, TranslateTarget, env, cfgPath, "-passthrough=false")
	}
	return nil
}

// gatewayConfig is Bifrost's config for the runs of profile p: one openai provider on the
// mock at mockURL, its key read from BIFROST_BENCH_KEY.
func gatewayConfig(p Profile, mockURL string) map[string]any {
	return map[string]any{
		"client": map[string]any{"initial_pool_size": p.PoolSize, "drop_excess_requests": false},
		"providers": map[string]any{"openai": map[string]any{
			"keys":                        []any{map[string]any{"name": "bench", "value": "env.BIFROST_BENCH_KEY", "models": []string{"*"}, "weight": 1}},
			"network_config":              map[string]any{"base_url": mockURL, "default_request_timeout_in_seconds": 30},
			"concurrency_and_buffer_size": map[string]any{"concurrency": p.PoolSize, "buffer_size": p.BufferSize},
		}},
	}
}

// TranslateTarget is the name of the Bifrost target whose passthrough path is off
// (Config.Translate): every request decoded and encoded again, for comparison.
const TranslateTarget = "bifrost-translate"

// startGateway starts one Bifrost process named name on the config at cfgPath, with extra
// flags, and adds its target.
func (r *run) startGateway(ctx context.Context, name string, env []string, cfgPath string, extra ...string) error {
	args := append([]string{"-config", cfgPath, "-host", "127.0.0.1", "-port", "0"}, extra...)
	gw, err := r.startChild(name, append(env, "BIFROST_BENCH_KEY="+r.key), true, r.cfg.GatewayBin, args...)
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
	r.targets = append(r.targets, &target{name: name, url: gwURL + r.cfg.routePath(), model: "openai/gpt-4o-mini",
		header: http.Header{"Content-Type": {"application/json"}}, proc: gw, metrics: gwURL + "/metrics",
		selfHeader: overheadHeader, selfUnit: time.Microsecond})
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

// measure warms every target up, then runs the profile's rates, rounds
// and targets in alternation, then the streaming scenario. A target that
// falls over leaves the run with a note; the others go on.
func (r *run) measure(ctx context.Context) error {
	p := r.cfg.Profile
	// One HTTP client per target, shared by its attacks, so that connections
	// stay warm from the warm-up on (a vegeta Attacker serves one attack).
	clients := map[*target]*http.Client{}
	for _, t := range r.targets {
		t.conns = &connCounter{}
		tr := &http.Transport{
			DialContext:         t.conns.dial(&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}),
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
		r.reportRate(live, points, rate)
	}
	r.rssAfter(ctx)
	if !r.cfg.NoStream && p.StreamRate > 0 && p.StreamFor > 0 {
		return r.streams(ctx)
	}
	return nil
}

// afterIdle is how long the harness leaves the processes idle before it reads what memory
// they keep after the load (Bifrost gives memory back 3 s after a burst: TrimWhenIdle).
const afterIdle = 5 * time.Second

// rssAfter waits afterIdle, then records each live process's RSS in the report.
func (r *run) rssAfter(ctx context.Context) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(afterIdle):
	}
	r.rep.AfterIdle = afterIdle.String()
	for _, t := range r.live() {
		if t.group == nil {
			continue
		}
		g, err := t.group.ReadKnown()
		if err != nil {
			r.note(fmt.Sprintf("%s: RSS after the load not measured: %v", t.name, err))
			continue
		}
		if r.rep.RSSAfterMB == nil {
			r.rep.RSSAfterMB = map[string]float64{}
		}
		r.rep.RSSAfterMB[t.name] = float64(g.RSS) / (1 << 20)
		r.logf("%s: RSS %.1f MB after %v idle", t.name, r.rep.RSSAfterMB[t.name], afterIdle)
	}
}

// reportRate adds the live targets' points at rate to the report, logs
// them, and judges each.
func (r *run) reportRate(live []*target, points map[*target]map[int]*segment, rate int) {
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
		r.logf("%-9s %5d rps: %.2f%% ok, achieved %.0f rps, p50 %.2f ms, p99 %.2f ms%s%s, mock cpu %.0f%%, %d connections",
			t.name, rate, pt.SuccessPct, pt.AchievedRate, pt.Latency.P50, pt.Latency.P99, over, cpu, pt.MockCPUPct, pt.Connections)
		r.judge(t, pt, direct)
	}
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
