// Command bifrost-mock serves the mock OpenAI provider of package mocks
// on a TCP address, for benchmarks and manual tests.
//
// It prints one line when it is ready:
//
//	bifrost-mock listening on http://127.0.0.1:9001
//
// and, on SIGINT or SIGTERM, shuts down and prints the CPU time it used
// and the requests it served, so a benchmark report can show that the
// mock was not the bottleneck.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/bifrost-gw/bifrost/mocks"
)

func main() {
	err := run(os.Args[1:], os.Stdout)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp): // -h: usage already printed
	default:
		fmt.Fprintln(os.Stderr, "bifrost-mock:", err)
		os.Exit(1)
	}
}

// run parses args, serves until SIGINT or SIGTERM, and reports to out.
func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bifrost-mock", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:9001", "address to listen on")
	var cfg mocks.Config
	fs.DurationVar(&cfg.Latency, "latency", 0, "fixed latency of each chat, completion and embeddings request (e.g. 60ms)")
	fs.DurationVar(&cfg.Jitter, "jitter", 0, "latency varies uniformly within +/- this much")
	model := fs.String("latency-model", "", "latency model, replacing -latency and -jitter: fixed-60ms, gpt-4o-mini-real, fixed:D, jitter:D:J, dist:P50:P90[:P95]:P99:MAX or trace:FILE[:sampled]")
	fs.Uint64Var(&cfg.Seed, "seed", 0, "random seed for latency and failures (0: random)")
	fs.StringVar(&cfg.ResponseSize, "size", mocks.DefaultResponseSize, `size of a plain chat completion body: "1kb" or "10kb"`)
	fs.IntVar(&cfg.StreamChunks, "stream-chunks", mocks.DefaultStreamChunks, "content chunks per streamed response")
	fs.Float64Var(&cfg.Rate429, "rate-429", 0, "fraction of requests answered 429 (0 to 1)")
	fs.Float64Var(&cfg.Rate500, "rate-500", 0, "fraction of requests answered 500 (0 to 1)")
	fs.Float64Var(&cfg.Rate503, "rate-503", 0, "fraction of requests answered 503 (0 to 1)")
	fs.StringVar(&cfg.RequireKey, "require-key", "", "if set, require \"Authorization: Bearer <key>\"")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}

	if *model != "" {
		m, err := mocks.ParseLatencyModel(*model)
		if err != nil {
			return err
		}
		cfg.Model = m
	}
	srv, err := mocks.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(out, "bifrost-mock listening on http://%s\n", ln.Addr())

	select {
	case <-ctx.Done():
	case err := <-served:
		return err // Serve failed before any signal
	}
	stop() // a second signal now kills the process
	closeErr := srv.Close()
	if err := <-served; err != nil && !errors.Is(err, mocks.ErrServerClosed) {
		return err
	}

	st := srv.Stats()
	user, sys, err := cpuTime()
	if err != nil {
		fmt.Fprintf(out, "bifrost-mock stopped: cpu time unknown (%v), %d requests served\n", err, st.Total)
	} else {
		fmt.Fprintf(out, "bifrost-mock stopped: cpu %.3fs (user %.3fs, sys %.3fs), %d requests served\n",
			(user + sys).Seconds(), user.Seconds(), sys.Seconds(), st.Total)
	}
	return closeErr
}
