// Package soak runs Bifrost's soak test: a fixed open-loop rate of mixed
// plain and streaming chat requests through the gateway to a mock provider
// that fails a share of requests, for minutes, while the gateway's RSS and
// goroutines are sampled every second. It checks that every request got a
// complete answer or a well-formed OpenAI error, and that memory and
// goroutines reach a plateau instead of growing.
package soak

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/bifrost-gw/bifrost/benchmarks/internal/harness"
	"github.com/bifrost-gw/bifrost/benchmarks/internal/procstat"
)

// Config is one soak run.
type Config struct {
	MockBin    string        // bifrost-mock
	GatewayBin string        // bifrost-http
	Rate       int           // requests per second, all kinds together
	Duration   time.Duration // of the load
	// StreamPct is the share of streaming requests, 0 to 100.
	StreamPct int
	// Latency is the mock's latency model (mocks.ParseLatencyModel), e.g. "fixed-60ms".
	Latency string
	// FailRate is the share of upstream requests the mock fails, half with
	// 500 and half with 503.
	FailRate float64
	// MaxRetries is the provider's max_retries in the gateway config; a
	// negative value leaves the key out, so the gateway's default applies.
	MaxRetries int
	// Timeout bounds each request of the load generator.
	Timeout time.Duration
	// Conns caps the load generator's connections to the gateway; all are
	// opened before the load, so that the gateway's connection count (and
	// with it its goroutines and buffers) does not ratchet up whenever a
	// stall of the shared machine makes requests pile up. 0 means
	// DefaultConns(Rate).
	Conns int
	// Settle is how long to wait after the load, with the client's
	// connections closed, before reading the goroutines once more; they
	// must then be back within SettleTol of their count before the load.
	// 0 skips that check. The gateway's idle server workers end 10 to 20 s
	// after their last request (fasthttp's MaxIdleWorkerDuration), so a
	// useful Settle is 25s or more.
	Settle    time.Duration
	SettleTol float64
	// RSSTol and GoroutineTol are the plateau checks' tolerances.
	RSSTol, GoroutineTol Tolerance
	// MinSuccessPct is the lowest share of complete answers that passes.
	MinSuccessPct float64
	Log           io.Writer // one line per step; nil for none
	Command       string    // how to repeat the run, for the report
}

// Sample is one reading of the gateway, taken every second of the load.
type Sample struct {
	At         float64 `json:"t_s"`        // seconds since the load began
	RSS        int64   `json:"rss_bytes"`  // VmRSS
	Goroutines float64 `json:"goroutines"` // go_goroutines from /metrics; -1 when unread
	CPU        float64 `json:"cpu_s"`      // user + system CPU seconds so far
}

// run is the state of one Run.
type run struct {
	cfg      Config
	key      string
	gw, mock *harness.Process
	gwURL    string
	scraper  *http.Client
}

// Run runs the soak and returns its report, whose checks say whether it
// passed. It returns an error when the run could not be made (a process
// failed to start or exited, ctx was cancelled). Every process it started
// is stopped before it returns.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Conns == 0 {
		cfg.Conns = DefaultConns(cfg.Rate)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "bifrost-soak-")
	if err != nil {
		return nil, fmt.Errorf("temporary folder: %w", err)
	}
	r := &run{cfg: cfg, key: fmt.Sprintf("soak-key-%d", time.Now().UnixNano()),
		scraper: &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}}}
	defer func() {
		r.stop()
		os.RemoveAll(dir)
	}()
	start := time.Now()
	rep := &Report{Started: start, Command: cfg.Command, Machine: harness.Machine(), Rate: cfg.Rate, Duration: cfg.Duration.String(),
		Settle: cfg.Settle.String(), RSSTolerance: describeTol(cfg.RSSTol, true), GoroutineTol: describeTol(cfg.GoroutineTol, false)}
	if err := r.start(ctx, dir); err != nil {
		return nil, err
	}
	retries := "the gateway's default (max_retries 0)"
	if cfg.MaxRetries >= 0 {
		retries = fmt.Sprintf("max_retries %d (the gateway's default is 0, i.e. no retry), default backoff", cfg.MaxRetries)
	}
	streamRate := streamShare(cfg.Rate, cfg.StreamPct)
	rep.Setup = []string{
		fmt.Sprintf("gateway, mock and load generator on 127.0.0.1 sharing %d CPUs, not pinned; gateway with its default GOMAXPROCS and log level (access log on)", runtime.NumCPU()),
		fmt.Sprintf("mock: latency %s, %.2f%% of upstream requests failed (half 500, half 503), 1 KB responses, streams of 20 content chunks", cfg.Latency, 100*cfg.FailRate),
		fmt.Sprintf("gateway: one openai provider on the mock, default concurrency and buffer, %s", retries),
		fmt.Sprintf("load: open loop (vegeta), %d plain + %d streaming chat requests per second, one keep-alive HTTP/1.1 client with at most %d connections, all opened before the load, %v timeout per request", cfg.Rate-streamRate, streamRate, cfg.Conns, cfg.Timeout),
		"every answer classified: complete (a JSON chat.completion with choices; or SSE chat.completion.chunk events ending with data: [DONE]), well-formed error (non-200 with an OpenAI error object, or a stream whose last event is one), or anything else",
		fmt.Sprintf("every second: the gateway's VmRSS and CPU from /proc, and go_goroutines from its /metrics (one scrape per second, counted in its CPU); plateau: max of the second half <= max of the first half + tolerance (RSS: %s; goroutines: %s)", rep.RSSTolerance, rep.GoroutineTol),
	}
	if err := r.smoke(ctx); err != nil {
		return nil, err
	}
	before, err := r.goroutines(ctx)
	if err != nil {
		return nil, fmt.Errorf("gateway /metrics: %w", err)
	}
	rep.GoroutinesBefore = before

	r.logf("load: %d rps (%d%% streaming) for %v", cfg.Rate, cfg.StreamPct, cfg.Duration)
	if err := r.load(ctx, rep, streamRate); err != nil {
		return nil, err
	}
	if v, err := r.counter(ctx, "bifrost_upstream_retries_total"); err == nil {
		rep.UpstreamRetries = v
	}
	if cfg.Settle > 0 {
		r.logf("load done; settling for %v", cfg.Settle)
		select {
		case <-time.After(cfg.Settle):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if rep.GoroutinesAfter, err = r.goroutines(ctx); err != nil {
		rep.GoroutinesAfter = -1
	}
	r.gw.Stop(10 * time.Second)
	r.mock.Stop(10 * time.Second)
	for line := range strings.SplitSeq(r.mock.Output(), "\n") {
		if _, rest, ok := strings.Cut(line, "stopped: "); ok {
			rep.MockLine = rest
		}
	}
	rep.Elapsed = time.Since(start).Round(time.Second).String()
	rep.check(cfg)
	return rep, nil
}

// validate checks cfg's values.
func (c *Config) validate() error {
	switch {
	case c.Rate < 1 || c.Rate > 100000:
		return fmt.Errorf("rate %d: want 1 to 100000 requests per second", c.Rate)
	case c.Duration < time.Second:
		return fmt.Errorf("duration %v: want at least 1s", c.Duration)
	case c.StreamPct < 0 || c.StreamPct > 100:
		return fmt.Errorf("stream share %d%%: want 0 to 100", c.StreamPct)
	case c.FailRate < 0 || c.FailRate > 1:
		return fmt.Errorf("failure rate %v: want 0 to 1", c.FailRate)
	case c.MaxRetries > 10:
		return fmt.Errorf("max retries %d: the gateway allows 0 to 10", c.MaxRetries)
	case c.Timeout <= 0:
		return fmt.Errorf("timeout %v: want more than 0", c.Timeout)
	case c.Conns < 1 || c.Conns > 20000:
		return fmt.Errorf("connections %d: want 1 to 20000", c.Conns)
	}
	return nil
}

// DefaultConns is the load generator's connection cap at rate: a fifth of
// the rate, at least 32; about three times the requests in flight at 60 ms
// of latency, so that the cap queues requests only during a stall.
func DefaultConns(rate int) int { return max(32, rate/5) }

// streamShare is the streaming requests per second at rate with pct% streaming.
func streamShare(rate, pct int) int {
	return int(math.Round(float64(rate) * float64(pct) / 100))
}

// describeTol renders a tolerance for the report.
func describeTol(t Tolerance, bytes bool) string {
	abs := strconv.FormatFloat(t.Abs, 'f', -1, 64)
	if bytes {
		abs = strconv.FormatFloat(t.Abs/(1<<20), 'f', -1, 64) + " MiB"
	}
	return fmt.Sprintf("the larger of %g%% of the first half's max and %s", 100*t.Rel, abs)
}

// logf prints one log line.
func (r *run) logf(format string, args ...any) {
	fmt.Fprintf(r.cfg.Log, format+"\n", args...)
}

// start starts the mock and the gateway and waits until both serve.
func (r *run) start(ctx context.Context, dir string) error {
	cfg := r.cfg
	half := strconv.FormatFloat(cfg.FailRate/2, 'f', -1, 64)
	r.logf("starting the mock (%s, %.2f%% failures: 500 and 503)", cfg.Latency, 100*cfg.FailRate)
	var err error
	r.mock, err = harness.StartProcess("mock", nil, cfg.MockBin, "-addr", "127.0.0.1:0", "-latency-model", cfg.Latency,
		"-rate-500", half, "-rate-503", half, "-require-key", r.key, "-seed", "1")
	if err != nil {
		return err
	}
	mockURL, err := r.mock.WaitURL(ctx, "listening on", 10*time.Second)
	if err != nil {
		return err
	}
	network := map[string]any{"base_url": mockURL}
	if cfg.MaxRetries >= 0 {
		network["max_retries"] = cfg.MaxRetries
	}
	gwCfg := map[string]any{
		"providers": map[string]any{"openai": map[string]any{
			"keys":           []any{map[string]any{"name": "soak", "value": "env.BIFROST_SOAK_KEY", "models": []string{"*"}, "weight": 1}},
			"network_config": network,
		}},
	}
	b, err := json.MarshalIndent(gwCfg, "", "  ")
	if err != nil {
		return fmt.Errorf("gateway config: %w", err)
	}
	cfgPath := filepath.Join(dir, "bifrost.json")
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		return fmt.Errorf("gateway config: %w", err)
	}
	r.logf("starting the gateway")
	r.gw, err = harness.StartProcess("bifrost", []string{"BIFROST_SOAK_KEY=" + r.key}, cfg.GatewayBin,
		"-config", cfgPath, "-host", "127.0.0.1", "-port", "0")
	if err != nil {
		return err
	}
	if r.gwURL, err = r.gw.WaitURL(ctx, "listening", 10*time.Second); err != nil {
		return err
	}
	return r.gw.WaitHTTP(ctx, r.gwURL+"/health", 10*time.Second)
}

// stop stops the gateway, then the mock; safe to call twice.
func (r *run) stop() {
	if r.gw != nil {
		r.gw.Stop(5 * time.Second)
	}
	if r.mock != nil {
		r.mock.Stop(5 * time.Second)
	}
	r.scraper.CloseIdleConnections()
}

// chatBody is a small chat request.
func chatBody(stream bool) []byte {
	s := ""
	if stream {
		s = `,"stream":true`
	}
	return []byte(`{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Soak test: say something about steady load."}],"max_tokens":256` + s + `}`)
}

// smoke sends one request of each kind until it is answered completely
// (the mock fails some on purpose), so that a broken setup fails at once.
func (r *run) smoke(ctx context.Context) error {
	client := &http.Client{Timeout: r.cfg.Timeout}
	defer client.CloseIdleConnections()
	for _, kind := range []Kind{Plain, Stream} {
		var last string
		ok := false
		for range 5 {
			a, err := r.send(ctx, client, kind)
			if err != nil {
				return err
			}
			o, reason := Classify(a)
			if o == Complete {
				ok = true
				break
			}
			last = fmt.Sprintf("%s: %s: %.300s", o, reason, a.Body)
		}
		if !ok {
			return fmt.Errorf("smoke test: no complete %s answer in 5 tries; last: %s\ngateway:\n%s", kind, last, harness.Tail(r.gw.Output()))
		}
	}
	return nil
}

// send sends one request of kind and reads the whole answer.
func (r *run) send(ctx context.Context, client *http.Client, kind Kind) (Answer, error) {
	a := Answer{Kind: kind}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.gwURL+"/v1/chat/completions", strings.NewReader(string(chatBody(kind == Stream))))
	if err != nil {
		return a, fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return a, ctx.Err()
		}
		a.Err = err.Error()
		return a, nil
	}
	defer resp.Body.Close()
	a.Status, a.ContentType = resp.StatusCode, resp.Header.Get("Content-Type")
	if a.Body, err = io.ReadAll(resp.Body); err != nil {
		a.Err = err.Error()
	}
	return a, nil
}

// sample reads the gateway every second from began until ctx ends, and
// once more at the end.
func (r *run) sample(ctx context.Context, began time.Time) []Sample {
	var out []Sample
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return out
		case <-tick.C:
		}
		s := Sample{At: time.Since(began).Seconds(), Goroutines: -1}
		if p, err := procstat.Read(r.gw.Pid()); err == nil {
			s.RSS, s.CPU = p.RSS, p.CPU.Seconds()
		}
		if g, err := r.goroutines(ctx); err == nil {
			s.Goroutines = g
		}
		out = append(out, s)
	}
}

// goroutines reads go_goroutines from the gateway's /metrics.
func (r *run) goroutines(ctx context.Context) (float64, error) {
	return r.counter(ctx, "go_goroutines")
}

// counter reads the sum of every series of the metric name from the
// gateway's /metrics.
func (r *run) counter(ctx context.Context, name string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.gwURL+"/metrics", nil)
	if err != nil {
		return 0, fmt.Errorf("metrics request: %w", err)
	}
	resp, err := r.scraper.Do(req)
	if err != nil {
		return 0, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("metrics: status %d", resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return 0, fmt.Errorf("metrics: %w", err)
	}
	return MetricValue(b, name)
}

// MetricValue returns the sum of the values of every series of the metric
// name in a Prometheus text exposition, or an error if it has none.
func MetricValue(text []byte, name string) (float64, error) {
	sum, found := 0.0, false
	for line := range strings.SplitSeq(string(text), "\n") {
		rest, ok := strings.CutPrefix(line, name)
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		f := strings.Fields(rest[strings.LastIndexByte(rest, '}')+1:])
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		sum, found = sum+v, true
	}
	if !found {
		return 0, errors.New("no " + name + " in the metrics")
	}
	return sum, nil
}

// check adds the run's checks to rep.
func (rep *Report) check(cfg Config) {
	t := &rep.Total
	rep.Checks = append(rep.Checks, Check{Name: "every request answered completely or with a well-formed error",
		OK:     t.Sent > 0 && t.Other == 0,
		Detail: fmt.Sprintf("sent %d = complete %d + well-formed errors %d + other %d", t.Sent, t.Complete, t.WellFormed, t.Other)})
	rep.Checks = append(rep.Checks, Check{Name: fmt.Sprintf("success >= %g%%", cfg.MinSuccessPct),
		OK: t.Sent > 0 && t.SuccessPct() >= cfg.MinSuccessPct, Detail: fmt.Sprintf("%.4f%%", t.SuccessPct())})

	var rss, gor []float64
	for _, s := range rep.Samples {
		if s.RSS > 0 {
			rss = append(rss, float64(s.RSS))
		}
		if s.Goroutines >= 0 {
			gor = append(gor, s.Goroutines)
		} else {
			rep.MissedSamples++
		}
	}
	var err error
	c := Check{Name: "RSS plateau"}
	if rep.RSS, err = CheckPlateau(rss, cfg.RSSTol); err != nil {
		c.Detail = err.Error()
	} else {
		c.OK = rep.RSS.OK
		c.Detail = fmt.Sprintf("max %s -> %s, growth %s, allowed %s (%s)", mib(rep.RSS.FirstHalfMax), mib(rep.RSS.SecondHalfMax),
			mib(rep.RSS.Growth), mib(rep.RSS.Allowed), rep.RSSTolerance)
	}
	rep.Checks = append(rep.Checks, c)
	c = Check{Name: "goroutines flat"}
	if rep.Goroutines, err = CheckPlateau(gor, cfg.GoroutineTol); err != nil {
		c.Detail = err.Error()
	} else {
		c.OK = rep.Goroutines.OK
		c.Detail = fmt.Sprintf("max %.0f -> %.0f, growth %.0f, allowed %.0f (%s)", rep.Goroutines.FirstHalfMax, rep.Goroutines.SecondHalfMax,
			rep.Goroutines.Growth, rep.Goroutines.Allowed, rep.GoroutineTol)
	}
	if n := len(rep.Samples); n > 0 && rep.MissedSamples*10 > n {
		c.OK = false
		c.Detail += fmt.Sprintf("; %d of %d goroutine readings missed", rep.MissedSamples, n)
	}
	rep.Checks = append(rep.Checks, c)
	if cfg.Settle > 0 {
		rep.Checks = append(rep.Checks, Check{Name: "goroutines back to the pre-load count after the load",
			OK: rep.GoroutinesAfter >= 0 && rep.GoroutinesAfter <= rep.GoroutinesBefore+cfg.SettleTol,
			Detail: fmt.Sprintf("%.0f before, %.0f after the load and %v of settling; allowed %.0f more", rep.GoroutinesBefore,
				rep.GoroutinesAfter, cfg.Settle, cfg.SettleTol)})
	}
}
