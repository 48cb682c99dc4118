// Command bench-otlp-receiver is the trace receiver of `make bench TRACING=1`: the
// OpenTelemetry Collector's OTLP receiver (go.opentelemetry.io/collector/receiver/otlpreceiver)
// over HTTP, counting the spans it takes and keeping none.
//
//	bench-otlp-receiver -addr 127.0.0.1:0
//
// It prints "listening on http://ADDR" once it serves, and the spans received when it
// stops (SIGINT or SIGTERM).
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench-otlp-receiver:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := "127.0.0.1:0"
	if len(os.Args) == 3 && os.Args[1] == "-addr" {
		addr = os.Args[2]
	} else if len(os.Args) != 1 {
		return fmt.Errorf("usage: bench-otlp-receiver [-addr host:port]")
	}
	addr, err := resolve(addr)
	if err != nil {
		return err
	}
	var spans atomic.Int64
	count, err := consumer.NewTraces(func(_ context.Context, td ptrace.Traces) error {
		spans.Add(int64(td.SpanCount()))
		return nil
	})
	if err != nil {
		return err
	}
	f := otlpreceiver.NewFactory()
	cfg := f.CreateDefaultConfig().(*otlpreceiver.Config)
	cfg.Protocols.HTTP.GetOrInsertDefault().ServerConfig.NetAddr.Endpoint = addr
	r, err := f.CreateTraces(context.Background(), receivertest.NewNopSettings(f.Type()), cfg, count)
	if err != nil {
		return fmt.Errorf("receiver: %w", err)
	}
	if err := r.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		return fmt.Errorf("receiver: %w", err)
	}
	fmt.Println("bench-otlp-receiver listening on http://" + addr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	fmt.Println("bench-otlp-receiver: spans received:", spans.Load())
	return r.Shutdown(context.Background())
}

// resolve turns a :0 port into a free one: the receiver does not report the port it took.
func resolve(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("-addr %s: %w", addr, err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
