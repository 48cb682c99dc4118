package harness

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

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
