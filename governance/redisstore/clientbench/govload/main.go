// Command govload measures a gateway's latency at 1,000 requests per second (15 s after a
// 2 s warm-up at 500), for each gateway named on the command line as name=baseURL=key (key
// may be empty):
//
//	govload off=http://127.0.0.1:8781= memory=http://127.0.0.1:8782=vk-a redis=http://127.0.0.1:8783=vk-a
//
// Run bifrost-http with the same providers (bifrost-mock) three times: without
// governance, with governance in memory, and with governance.state.url set.
package main

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func main() {
	for _, arg := range os.Args[1:] {
		// arg: name=url=key
		parts := splitN(arg, "=", 3)
		if len(parts) != 3 {
			fmt.Fprintln(os.Stderr, "want name=baseURL=key:", arg)
			os.Exit(2)
		}
		name, url, key := parts[0], parts[1], parts[2]
		h := http.Header{"Content-Type": {"application/json"}}
		if key != "" {
			h.Set("Authorization", "Bearer "+key)
		}
		tg := vegeta.NewStaticTargeter(vegeta.Target{Method: "POST", URL: url + "/v1/chat/completions", Header: h,
			Body: []byte(`{"model":"openai/gpt-4o-mini","max_tokens":64,"messages":[{"role":"user","content":"hello, how are you today?"}]}`)})
		at := vegeta.NewAttacker(vegeta.KeepAlive(true), vegeta.Connections(64))
		for range at.Attack(tg, vegeta.Rate{Freq: 500, Per: time.Second}, 2*time.Second, "warm") {
		}
		at = vegeta.NewAttacker(vegeta.KeepAlive(true), vegeta.Connections(64))
		var m vegeta.Metrics
		for res := range at.Attack(tg, vegeta.Rate{Freq: 1000, Per: time.Second}, 15*time.Second, name) {
			m.Add(res)
		}
		m.Close()
		fmt.Printf("%-8s rps=%.0f success=%.4f p50=%v p90=%v p99=%v codes=%v\n", name, m.Rate, m.Success, m.Latencies.P50, m.Latencies.P90, m.Latencies.P99, m.StatusCodes)
	}
}

func splitN(s, sep string, n int) []string { return strings.SplitN(s, sep, n) }
