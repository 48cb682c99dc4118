// Command bifrost-soak runs Bifrost's soak test (package soak): a fixed
// open-loop rate of mixed plain and streaming chat requests through the
// gateway to a mock provider that fails 1% of upstream requests, while the
// gateway's RSS and goroutines are sampled every second. `make soak` runs it.
//
//	bifrost-soak -rate 2000 -duration 10m
//
// It starts the mock and the gateway on 127.0.0.1, stops both when it ends
// (also on Ctrl-C), writes benchmarks/results/<date>-soak/soak.json and
// soak.md, prints the markdown, and exits with status 1 when a check fails
// (2 when the run could not be made).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/bifrost-gw/bifrost/benchmarks/internal/soak"
)

func main() {
	ok, err := run()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bifrost-soak:", err)
		os.Exit(2)
	}
	if !ok {
		fmt.Fprintln(os.Stderr, "bifrost-soak: FAILED: see the checks above")
		os.Exit(1)
	}
}

// run parses the flags, runs the soak and writes its report; it returns
// whether every check passed.
func run() (bool, error) {
	rate := flag.Int("rate", 2000, "requests per second, plain and streaming together")
	duration := flag.Duration("duration", 10*time.Minute, "how long the load runs")
	streamPct := flag.Int("stream-pct", 20, "share of streaming requests, in percent")
	failPct := flag.Float64("fail-pct", 1, "share of upstream requests the mock fails, in percent, half 500 and half 503")
	retries := flag.Int("max-retries", 2, "the provider's max_retries in the gateway config (-1: leave it out; the gateway's default is 0)")
	latency := flag.String("latency", "fixed-60ms", "mock latency model (see bifrost-mock -latency-model)")
	timeout := flag.Duration("timeout", 30*time.Second, "load generator timeout per request")
	conns := flag.Int("conns", 0, "load generator connections to the gateway, all opened before the load (0: a fifth of -rate, at least 32)")
	settle := flag.Duration("settle", 25*time.Second, "wait after the load, then check that the goroutines are back to their pre-load count (0: skip)")
	settleTol := flag.Float64("settle-tol", 10, "goroutines allowed above the pre-load count after -settle")
	rssRel := flag.Float64("rss-tol-pct", 10, "RSS plateau tolerance: percent of the first half's max ...")
	rssAbs := flag.Float64("rss-tol-mib", 3, "... or this many MiB, whichever is larger")
	gorRel := flag.Float64("goroutine-tol-pct", 10, "goroutine plateau tolerance: percent of the first half's max ...")
	gorAbs := flag.Float64("goroutine-tol", 50, "... or this many goroutines, whichever is larger")
	minSuccess := flag.Float64("min-success", 99, "lowest share of complete answers that passes, in percent")
	bin := flag.String("bin", "bin", "folder with bifrost-http and bifrost-mock")
	out := flag.String("out", "benchmarks/results", "results folder; the run writes <out>/<date>-soak/")
	flag.Parse()
	if flag.NArg() > 0 {
		return false, fmt.Errorf("unexpected arguments: %q", flag.Args())
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills this program; its children die with it (Pdeathsig)
	}()
	cfg := soak.Config{
		MockBin:       filepath.Join(*bin, "bifrost-mock"),
		GatewayBin:    filepath.Join(*bin, "bifrost-http"),
		Rate:          *rate,
		Duration:      *duration,
		StreamPct:     *streamPct,
		Latency:       *latency,
		FailRate:      *failPct / 100,
		MaxRetries:    *retries,
		Timeout:       *timeout,
		Conns:         *conns,
		Settle:        *settle,
		SettleTol:     *settleTol,
		RSSTol:        soak.Tolerance{Rel: *rssRel / 100, Abs: *rssAbs * (1 << 20)},
		GoroutineTol:  soak.Tolerance{Rel: *gorRel / 100, Abs: *gorAbs},
		MinSuccessPct: *minSuccess,
		Log:           os.Stderr,
		Command:       commandLine(),
	}
	fmt.Fprintf(os.Stderr, "bifrost-soak: %d rps for %v\n", cfg.Rate, cfg.Duration)
	rep, err := soak.Run(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return false, fmt.Errorf("interrupted; every process it started is stopped")
		}
		return false, err
	}
	dir := filepath.Join(*out, rep.Started.UTC().Format("2006-01-02")+"-soak")
	if err := rep.Write(dir); err != nil {
		return false, fmt.Errorf("write the results: %w", err)
	}
	fmt.Printf("\n%s\nwritten to %s/\n", rep.Markdown(), dir)
	return rep.OK(), nil
}

// commandLine is how to repeat this run: the make command when run by make.
func commandLine() string {
	if c := os.Getenv("BIFROST_SOAK_COMMAND"); c != "" {
		return c
	}
	return "bifrost-soak " + strings.Join(os.Args[1:], " ")
}
