// Command bifrost-bench measures what Bifrost adds to every LLM call, end
// to end, side by side with a direct call to the same mock provider, a raw
// byte-forwarding proxy and any peer gateways. `make bench` runs it.
//
//	bifrost-bench -profile quick -peers portkey,litellm
//
// It starts the mock, the proxy, the gateway and the peers on 127.0.0.1,
// stops them all when it ends (also on Ctrl-C), and writes
// benchmarks/results/<date>-<profile>/: results.json, raw.json,
// results.md, latency.svg and overhead.svg.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/bifrost-gw/bifrost/benchmarks/internal/harness"
	"github.com/bifrost-gw/bifrost/benchmarks/internal/report"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bifrost-bench:", err)
		os.Exit(1)
	}
}

// run parses the flags, runs the benchmark and writes its results.
func run() error {
	profile := flag.String("profile", "quick", "quick, t3.medium, t3.xlarge or launch (the launch post's two LiteLLM tables and the capacity curve)")
	peers := flag.String("peers", "", "comma-separated peers: litellm, portkey, or name=/path/to/gateway args ({port} {mock} {key} are replaced)")
	bin := flag.String("bin", "bin", "folder with bifrost-http, bifrost-mock and bench-rawproxy")
	out := flag.String("out", "benchmarks/results", "results folder; the run writes <out>/<date>-<profile>/")
	latency := flag.String("latency", "fixed-60ms", "mock latency model: fixed-60ms, gpt-4o-mini-real, fixed:D, jitter:D:J, dist:P50:P90[:P95]:P99:MAX, trace:FILE[:sampled]")
	prompt := flag.String("prompt", "200b", "request prompt size: 200b, 10kb or 50kb")
	size := flag.String("size", "1kb", "mock response size: 1kb or 10kb")
	rates := flag.String("rates", "", "override the profile's rates, e.g. 1000,3000 (for launch: the capacity sweep's)")
	segment := flag.Duration("segment", 0, "override the profile's time per target, rate and round")
	rounds := flag.Int("rounds", 0, "override the profile's rounds")
	noStream := flag.Bool("no-stream", false, "skip the streaming scenario")
	route := flag.String("route", harness.RouteChat, "the API every scenario calls: chat (/v1/chat/completions) or responses (/v1/responses: native on Bifrost for the OpenAI target, served by the mock itself)")
	translate := flag.Bool("translate", true, "also run Bifrost with its passthrough path off (target "+harness.TranslateTarget+"), which decodes and encodes every request")
	governance := flag.Bool("governance", false, "add Bifrost with governance on, counters in memory and in a local redis-server, as two more targets (the governance scenario)")
	tracing := flag.Bool("tracing", false, "also run a second bifrost with tracing on, exporting every trace over OTLP/HTTP to bench-otlp-receiver (the cost of tracing)")
	cache := flag.String("cache", "", "cache folder for the peers' installs (npm, pip venv) (default: the user cache folder)/bifrost-bench")
	flag.Parse()

	p, err := harness.LookupProfile(*profile)
	if err != nil {
		return err
	}
	if err := override(&p, *rates, *segment, *rounds); err != nil {
		return err
	}
	if *cache == "" {
		*cache = defaultCacheDir()
	}
	peerList := peerNames(*peers, *governance)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills the harness; its children die with it (Pdeathsig)
	}()
	var live io.Writer
	if isTerminal(os.Stderr) {
		live = os.Stderr
	}
	cfg := harness.Config{
		Profile:      p,
		MockBin:      filepath.Join(*bin, "bifrost-mock"),
		GatewayBin:   filepath.Join(*bin, "bifrost-http"),
		ProxyBin:     filepath.Join(*bin, "bench-rawproxy"),
		ReceiverBin:  receiverBin(*tracing, *bin),
		LatencyModel: *latency,
		Prompt:       *prompt,
		ResponseSize: *size,
		Peers:        peerList,
		CacheDir:     *cache,
		NoStream:     *noStream,
		Route:        *route,
		Translate:    *translate,
		Progress:     live,
		Log:          os.Stderr,
		Command:      commandLine(),
	}
	fmt.Fprintf(os.Stderr, "bifrost-bench: profile %s (%s)\n", p.Name, p.Description)
	if len(p.Parts) > 0 {
		return runParts(ctx, cfg, *out)
	}
	rep, err := harness.Run(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted; every process it started is stopped")
		}
		return err
	}
	dir := filepath.Join(*out, rep.Started.UTC().Format("2006-01-02")+"-"+p.Name)
	if err := rep.Write(dir); err != nil {
		return fmt.Errorf("write the results: %w", err)
	}
	fmt.Printf("\n%s\nwritten to %s/\n", rep.Markdown(), dir)
	return nil
}

// defaultCacheDir is the peers' install cache: bifrost-bench in the user cache folder, or
// in the temporary folder when there is none.
func defaultCacheDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "bifrost-bench")
}

// peerNames splits the -peers list and adds the governance targets when asked.
func peerNames(peers string, governance bool) []string {
	var list []string
	for _, s := range strings.Split(peers, ",") {
		if s = strings.TrimSpace(s); s != "" {
			list = append(list, s)
		}
	}
	if governance {
		list = append(list, harness.GovernancePeers...)
	}
	return list
}

// override applies the -rates, -segment and -rounds flags to p and to
// its parts (the sweep part's rates only).
func override(p *harness.Profile, rates string, segment time.Duration, rounds int) error {
	if rates != "" {
		var rs []int
		for _, s := range strings.Split(rates, ",") {
			var r int
			if _, err := fmt.Sscanf(strings.TrimSpace(s), "%d", &r); err != nil || r <= 0 || r > 100000 {
				return fmt.Errorf("-rates %q: want positive integers up to 100000", rates)
			}
			rs = append(rs, r)
		}
		p.Rates = rs
		for i := range p.Parts {
			if p.Parts[i].Sweep {
				p.Parts[i].Rates = rs
			}
		}
	}
	if segment > 0 {
		p.Segment = min(segment, 10*time.Minute)
		for i := range p.Parts {
			p.Parts[i].Segment = p.Segment
		}
	}
	if rounds > 0 {
		p.Rounds = min(rounds, 20)
		for i := range p.Parts {
			p.Parts[i].Rounds = p.Rounds
		}
	}
	return nil
}

// runParts runs each part of a profile made of several (launch) with its
// own processes, writes each part's report into <out>/<date>-<profile>/<part>/
// and the comparison with the launch post into <out>/<date>-<profile>/.
func runParts(ctx context.Context, cfg harness.Config, out string) error {
	p := cfg.Profile
	start := time.Now()
	dir := filepath.Join(out, start.UTC().Format("2006-01-02")+"-"+p.Name)
	l := &report.Launch{Command: cfg.Command, Machine: harness.Machine(), Started: start}
	for i, part := range p.Parts {
		pc := cfg
		pc.Profile = p.ForPart(part)
		pc.LatencyModel = part.LatencyModel
		pc.NoStream = true
		pc.Translate = false // the launch post's tables compare Bifrost as it ships
		fmt.Fprintf(os.Stderr, "\nbifrost-bench: part %d/%d, %s: %s\n", i+1, len(p.Parts), part.Name, part.Title)
		rep, err := harness.Run(ctx, pc)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("interrupted; every process it started is stopped")
			}
			return fmt.Errorf("part %s: %w", part.Name, err)
		}
		if err := rep.Write(filepath.Join(dir, part.Name)); err != nil {
			return fmt.Errorf("write the results of %s: %w", part.Name, err)
		}
		l.Parts = append(l.Parts, fmt.Sprintf("[`%s/`](%s/results.md) (%s)", part.Name, part.Name, part.Title))
		switch i {
		case 0:
			l.Table1 = rep
		case 1:
			l.Table2 = rep
		case 2:
			l.Capacity = rep
		}
	}
	if l.Table1 == nil || l.Table2 == nil || l.Capacity == nil {
		return fmt.Errorf("profile %s: want three parts (the post's two tables and the capacity sweep), got %d", p.Name, len(p.Parts))
	}
	l.Elapsed = time.Since(start).Round(time.Second).String()
	if err := l.Write(dir); err != nil {
		return fmt.Errorf("write the results: %w", err)
	}
	fmt.Printf("\n%s\nwritten to %s/\n", l.Markdown(), dir)
	return nil
}

// isTerminal reports whether f is a terminal, where a live line can be
// rewritten in place.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// commandLine is how to repeat this run: the make command when run by make.
func commandLine() string {
	if c := os.Getenv("BIFROST_BENCH_COMMAND"); c != "" {
		return c
	}
	return "bifrost-bench " + strings.Join(os.Args[1:], " ")
}

// receiverBin is the OTLP receiver's path with -tracing, else "".
func receiverBin(on bool, bin string) string {
	if !on {
		return ""
	}
	return filepath.Join(bin, "bench-otlp-receiver")
}
