// Command bench-rawproxy is the benchmark's floor: a fasthttp reverse proxy
// that forwards bytes to one upstream with no JSON work.
//
//	bench-rawproxy -addr 127.0.0.1:0 -upstream http://127.0.0.1:9001
//
// It prints "rawproxy listening on http://ADDR" when ready and stops on
// SIGINT or SIGTERM.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/bifrost-gw/bifrost/benchmarks/internal/rawproxy"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	upstream := flag.String("upstream", "", "upstream base URL, e.g. http://127.0.0.1:9001")
	flag.Parse()
	if *upstream == "" {
		fmt.Fprintln(os.Stderr, "bench-rawproxy: -upstream is required")
		os.Exit(2)
	}
	p, err := rawproxy.New(*upstream)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-rawproxy:", err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-rawproxy:", err)
		os.Exit(1)
	}
	fmt.Printf("rawproxy listening on http://%s\n", ln.Addr())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() { <-sigs; ln.Close() }()
	if err := p.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, "bench-rawproxy:", err)
		os.Exit(1)
	}
}
