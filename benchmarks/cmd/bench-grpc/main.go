// Command bench-grpc compares the gateway's overhead over gRPC with its overhead over
// HTTP: it starts the mock provider and one gateway serving both (-port and -grpc-port),
// sends the same chat completion (the benchmarks' ~1 KB conversation) at a constant rate
// (open loop) to each transport in turn, rounds alternating (HTTP gRPC, then gRPC HTTP),
// and reports per transport the client's latency percentiles and the gateway's own
// overhead as it measures it (bifrost_gateway_overhead_seconds by transport).
//
//	go build -o bin/ ./server/cmd/bifrost-http ./mocks/cmd/bifrost-mock ./benchmarks/cmd/bench-grpc
//	bin/bench-grpc -bin bin -rate 500 -duration 10s -rounds 2
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	pb "github.com/bifrost-gw/bifrost/proto/bifrost/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

const mockKey = "sk-bench-grpc-0123456789"

func main() {
	bin := flag.String("bin", "bin", "folder with bifrost-http and bifrost-mock")
	rate := flag.Int("rate", 300, "requests per second per transport")
	duration := flag.Duration("duration", 10*time.Second, "measured time per transport and round")
	rounds := flag.Int("rounds", 2, "rounds; each sends to both transports, alternating which goes first")
	latency := flag.String("mock-latency", "0s", "the mock provider's latency per request")
	flag.Parse()
	if err := run(*bin, *rate, *duration, *rounds, *latency); err != nil {
		fmt.Fprintln(os.Stderr, "bench-grpc:", err)
		os.Exit(1)
	}
}

func run(bin string, rate int, d time.Duration, rounds int, latency string) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mock, err := start(ctx, filepath.Join(bin, "bifrost-mock"), regexp.MustCompile(`listening on (http://\S+)`),
		"-addr", "127.0.0.1:0", "-require-key", mockKey, "-latency", latency)
	if err != nil {
		return err
	}
	cfg := filepath.Join(os.TempDir(), "bench-grpc-config.json")
	body := `{"providers":{"openai":{"keys":[{"value":"` + mockKey + `","models":["*"],"weight":1}],"network_config":{"base_url":"` + mock[0] + `"}}}}`
	defer os.Remove(cfg)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		return err
	}
	gw, err := start(ctx, filepath.Join(bin, "bifrost-http"), regexp.MustCompile(`addr=(http://\S+)[\s\S]*addr=grpc://(\S+)`),
		"-config", cfg, "-port", "0", "-grpc-port", "0")
	if err != nil {
		return err
	}
	conn, err := grpc.NewClient(gw[1], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	senders := map[string]func() error{"http": httpSender(gw[0]), "grpc": grpcSender(pb.NewBifrostClient(conn))}
	order := []string{"http", "grpc"}
	for _, t := range order { // warm-up, unmeasured
		measure(senders[t], rate, time.Second)
	}
	before, err := overhead(gw[0])
	if err != nil {
		return err
	}
	results := map[string]*result{"http": {}, "grpc": {}}
	for r := 0; r < rounds; r++ {
		for _, t := range order {
			results[t].add(measure(senders[t], rate, d))
		}
		slices.Reverse(order)
	}
	after, err := overhead(gw[0])
	if err != nil {
		return err
	}
	fmt.Printf("bench-grpc: %d rps per transport, %d rounds of %v, mock latency %s\n\n", rate, rounds, d, latency)
	fmt.Println("| transport | sent | errors | p50 ms | p90 ms | p99 ms | gateway overhead, mean µs |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, t := range []string{"http", "grpc"} {
		res := results[t]
		o := after[t].sub(before[t])
		fmt.Printf("| %s | %d | %d | %.2f | %.2f | %.2f | %.1f |\n", t, len(res.lat)+res.errors, res.errors,
			res.pct(50), res.pct(90), res.pct(99), o.sum/o.count*1e6)
	}
	return nil
}

// start runs a command until ctx ends and returns the submatches of want in its output.
func start(ctx context.Context, path string, want *regexp.Regexp, args ...string) ([]string, error) {
	cmd := exec.CommandContext(ctx, path, args...)
	out, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	found := make(chan []string, 1)
	go func() {
		sc, seen := bufio.NewScanner(out), ""
		for sc.Scan() {
			seen += sc.Text() + "\n"
			if m := want.FindStringSubmatch(seen); m != nil {
				found <- m[1:]
				break
			}
		}
		io.Copy(io.Discard, out) //nolint:errcheck // the rest of the log is not read

	}()
	select {
	case m := <-found:
		return m, nil
	case <-time.After(30 * time.Second):
		return nil, fmt.Errorf("%s did not start within 30s", path)
	}
}

// result is what one transport's requests took.
type result struct {
	lat    []time.Duration
	errors int
}

func (r *result) add(o *result) { r.lat, r.errors = append(r.lat, o.lat...), r.errors+o.errors }

func (r *result) pct(p int) float64 {
	if len(r.lat) == 0 {
		return 0
	}
	slices.Sort(r.lat)
	return float64(r.lat[(len(r.lat)-1)*p/100].Microseconds()) / 1000
}

// measure sends at rate for d, open loop (each request on its own goroutine, at most 512
// in flight; a request that finds none free counts as an error).
func measure(send func() error, rate int, d time.Duration) *result {
	res, slots := &result{}, make(chan struct{}, 512)
	var mu sync.Mutex
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for end := time.Now().Add(d); time.Now().Before(end); <-tick.C {
		select {
		case slots <- struct{}{}:
		default:
			res.errors++
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			err := send()
			lat := time.Since(t0)
			<-slots
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.errors++
			} else {
				res.lat = append(res.lat, lat)
			}
		}()
	}
	wg.Wait()
	return res
}

func httpSender(base string) func() error {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 512}}
	return func() error {
		resp, err := client.Post(base+"/v1/chat/completions", "application/json", strings.NewReader(chatJSON))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return err
		}
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
}

func grpcSender(c pb.BifrostClient) func() error {
	req := chatProto()
	return func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := c.ChatCompletion(ctx, req)
		return err
	}
}

// stat is a histogram's sum and count.
type stat struct{ sum, count float64 }

func (s stat) sub(o stat) stat { return stat{s.sum - o.sum, s.count - o.count} }

var overheadLine = regexp.MustCompile(`^bifrost_gateway_overhead_seconds_(sum|count)\{endpoint="chat",transport="(\w+)"\} (\S+)$`)

// overhead reads the gateway's chat overhead histogram by transport from /metrics.
func overhead(base string) (map[string]stat, error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]stat{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		m := overheadLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		v, _ := strconv.ParseFloat(m[3], 64)
		s := out[m[2]]
		if m[1] == "sum" {
			s.sum = v
		} else {
			s.count = v
		}
		out[m[2]] = s
	}
	return out, sc.Err()
}
