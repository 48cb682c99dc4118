// Package report holds the benchmark's results and the math on them:
// percentiles, overhead over direct, the capacity rule, and the markdown,
// JSON and SVG outputs.
package report

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Direct is the name of the target that calls the mock without a gateway.
const Direct = "direct"

// RawProxy is the name of the target that forwards bytes without a gateway's work: the
// floor that the CPU comparison (CPURows) measures the gateways against.
const RawProxy = "rawproxy"

// Capacity rule (BENCHMARKS.md): the highest offered rate with 100% success,
// an achieved rate of at least 98% of the offered one, and p99 overhead
// over direct of at most 5 ms.
const (
	CapacityMinAchieved    = 0.98
	CapacityMaxP99Overhead = 5.0 // ms
)

// Lat is a latency summary in milliseconds.
type Lat struct {
	P50 float64 `json:"p50_ms"`
	P90 float64 `json:"p90_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

// Percentile returns the q-quantile (0..1) of sorted by nearest rank.
func Percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// Summarize sorts lat in place and returns its percentiles.
func Summarize(lat []time.Duration) Lat {
	slices.Sort(lat)
	if len(lat) == 0 {
		return Lat{}
	}
	return Lat{P50: ms(Percentile(lat, 0.50)), P90: ms(Percentile(lat, 0.90)), P99: ms(Percentile(lat, 0.99)), Max: ms(lat[len(lat)-1])}
}

// Overhead returns target minus direct at each percentile.
func Overhead(target, direct Lat) Lat {
	return Lat{P50: target.P50 - direct.P50, P90: target.P90 - direct.P90, P99: target.P99 - direct.P99, Max: target.Max - direct.Max}
}

// Point is one target at one offered rate, all rounds together.
type Point struct {
	Target       string  `json:"target"`
	Rate         int     `json:"rate"` // offered, requests per second
	Requests     int     `json:"requests"`
	Success      int     `json:"success"`
	SuccessPct   float64 `json:"success_pct"`
	AchievedRate float64 `json:"achieved_rate"` // requests sent per second
	// ServedRate is the throughput: successful answers per second, from
	// the first request sent to the last answer received (a target that
	// queues answers them later than they were sent).
	ServedRate  float64 `json:"served_rate"`
	Latency     Lat     `json:"latency"` // successful requests
	Overhead    *Lat    `json:"overhead,omitempty"`
	CPUPerReqMs float64 `json:"cpu_ms_per_request,omitempty"` // the target process (not for direct)
	// UserCPUPerReqMs is the user part of CPUPerReqMs (the rest is the kernel's work for the
	// process: its sockets, system calls and scheduling).
	UserCPUPerReqMs float64 `json:"user_cpu_ms_per_request,omitempty"`
	PeakRSSMB       float64 `json:"peak_rss_mb,omitempty"`
	// RSSAfterMB is the target's RSS once it settled after its last attack at this rate:
	// what it keeps after the load.
	RSSAfterMB   float64 `json:"rss_after_mb,omitempty"`
	MockCPUPct   float64 `json:"mock_cpu_pct"` // of one core, while this target ran
	MockCPUPerMs float64 `json:"mock_cpu_ms_per_request"`
	// Connections is the most connections the harness had open to the
	// target at once during its segments at this rate.
	Connections int `json:"connections,omitempty"`
	// Stages holds the gateway's own per-stage averages in µs per request
	// (Bifrost's bifrost_stage_seconds_total over bifrost_requests_total).
	Stages map[string]float64 `json:"stage_avg_us,omitempty"`
	// SelfOverheadAvgUs is the gateway's own average overhead per request
	// in µs (bifrost_gateway_overhead_seconds), JSON work included.
	SelfOverheadAvgUs float64 `json:"self_overhead_avg_us,omitempty"`
	// SelfOverhead summarizes the overhead the gateway reported in each
	// response's X-Bifrost-Overhead-Us header.
	SelfOverhead *Lat           `json:"self_overhead,omitempty"`
	Errors       map[string]int `json:"errors,omitempty"`
	LatenciesUs  []int64        `json:"-"` // raw samples, written to raw.json
}

// Stream is the streaming scenario for one target.
type Stream struct {
	Target  string `json:"target"`
	Streams int    `json:"streams"`
	Success int    `json:"success"`
	Chunks  int    `json:"chunks_per_stream"` // data events before [DONE]
	TTFB    Lat    `json:"ttfb"`              // to the first data event
	Total   Lat    `json:"total"`             // to [DONE]
	// TTFBOverhead and TotalOverhead are the target's minus direct's.
	TTFBOverhead  *Lat `json:"ttfb_overhead,omitempty"`
	TotalOverhead *Lat `json:"total_overhead,omitempty"`
	// ChunkDelayMeanMs and ChunkDelayMaxMs compare, for each chunk index
	// i, the median arrival of chunk i through the target with direct's:
	// the mean and the largest difference over the chunks, in ms.
	ChunkDelayMeanMs *float64 `json:"chunk_delay_mean_ms,omitempty"`
	ChunkDelayMaxMs  *float64 `json:"chunk_delay_max_ms,omitempty"`
	CPUPerStreamMs   float64  `json:"cpu_ms_per_stream,omitempty"`
	// Errors counts failed streams by reason.
	Errors map[string]int `json:"errors,omitempty"`
}

// Report is one run.
type Report struct {
	Profile      string         `json:"profile"`
	Started      time.Time      `json:"started"`
	Command      string         `json:"command"`
	Machine      string         `json:"machine"`
	Setup        []string       `json:"setup"`
	LatencyModel string         `json:"latency_model"`
	Prompt       string         `json:"prompt"`
	ResponseSize string         `json:"response_size"`
	Targets      []string       `json:"targets"`
	Points       []*Point       `json:"points"`
	Streams      []*Stream      `json:"streams,omitempty"`
	Capacity     map[string]int `json:"capacity_rps"`
	MockCPU      string         `json:"mock_cpu"`
	Skipped      []string       `json:"skipped,omitempty"`
	// Dropped lists the targets that left the run (fell over, or left a
	// capacity sweep), with why and at which rate.
	Dropped []string `json:"dropped,omitempty"`
	// RSSAfterMB is each measured process's RSS after the load, once it had been idle
	// for AfterIdle: what it keeps (its peak is in the points).
	RSSAfterMB map[string]float64 `json:"rss_after_mb,omitempty"`
	AfterIdle  string             `json:"after_idle,omitempty"`
	// Notes lists measurements that failed without stopping the run (a
	// /proc read that failed, for one), so a missing figure is explained.
	Notes   []string `json:"notes,omitempty"`
	Elapsed string   `json:"elapsed"`
}

// Finish fills each point's overhead over the direct point of the same
// rate and computes the capacity of every target.
func (r *Report) Finish() {
	direct := map[int]*Point{}
	for _, p := range r.Points {
		if p.Target == Direct {
			direct[p.Rate] = p
		}
	}
	for _, p := range r.Points {
		if d := direct[p.Rate]; d != nil && p.Target != Direct {
			o := Overhead(p.Latency, d.Latency)
			p.Overhead = &o
		}
	}
	r.Capacity = map[string]int{}
	for _, t := range r.Targets {
		r.Capacity[t] = Capacity(r.Points, t)
	}
}

// Passes reports whether p meets the capacity rule.
func (p *Point) Passes() bool {
	if p.Requests == 0 || p.Success != p.Requests || p.AchievedRate < CapacityMinAchieved*float64(p.Rate) {
		return false
	}
	return p.Overhead == nil || p.Overhead.P99 <= CapacityMaxP99Overhead
}

// Capacity returns the highest rate at which target meets the capacity
// rule, or 0.
func Capacity(points []*Point, target string) int {
	best := 0
	for _, p := range points {
		if p.Target == target && p.Passes() && p.Rate > best {
			best = p.Rate
		}
	}
	return best
}

// Write writes results.json (the report), raw.json (every latency sample),
// results.md and the SVG plots into dir.
func (r *Report) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("report: results.json: %w", err)
	}
	raw := map[string]map[int][]int64{}
	for _, p := range r.Points {
		if raw[p.Target] == nil {
			raw[p.Target] = map[int][]int64{}
		}
		raw[p.Target][p.Rate] = p.LatenciesUs
	}
	rawJS, err := json.Marshal(map[string]any{"unit": "microseconds, successful requests, sorted", "latencies": raw})
	if err != nil {
		return fmt.Errorf("report: raw.json: %w", err)
	}
	files := map[string][]byte{
		"results.json": append(js, '\n'),
		"raw.json":     rawJS,
		"results.md":   []byte(r.Markdown()),
		"latency.svg":  r.plot("p50 and p99 latency against offered rate", "latency (ms)", false),
		"overhead.svg": r.plot("p50 and p99 overhead over direct against offered rate", "overhead (ms)", true),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	return nil
}

func (r *Report) plot(title, ylabel string, overhead bool) []byte {
	var series []Series
	for _, t := range r.Targets {
		if overhead && t == Direct {
			continue
		}
		for _, q := range []string{"p50", "p99"} {
			s := Series{Name: t + " " + q, Dashed: q == "p99"}
			for _, p := range r.Points {
				if p.Target != t || p.Success == 0 {
					continue
				}
				l := p.Latency
				if overhead {
					if p.Overhead == nil {
						continue
					}
					l = *p.Overhead
				}
				y := l.P50
				if q == "p99" {
					y = l.P99
				}
				s.X = append(s.X, float64(p.Rate))
				s.Y = append(s.Y, y)
			}
			if len(s.X) > 0 {
				series = append(series, s)
			}
		}
	}
	return SVG(title, "offered rate (requests/s)", ylabel, series)
}

func f1(v float64) string  { return fmt.Sprintf("%.1f", v) }
func f2(v float64) string  { return fmt.Sprintf("%.2f", v) }
func sgn(v float64) string { return fmt.Sprintf("%+.2f", v) }

// Markdown renders the report as the README's tables.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Profile `%s`, run %s (took %s). Command: `%s`.\n\n", r.Profile, r.Started.UTC().Format("2006-01-02 15:04 UTC"), r.Elapsed, r.Command)
	fmt.Fprintf(&b, "Machine: %s. Mock latency model `%s`, prompt %s, response %s.\n\n", r.Machine, r.LatencyModel, r.Prompt, r.ResponseSize)
	for _, s := range r.Setup {
		fmt.Fprintf(&b, "- %s\n", s)
	}
	b.WriteString("\n| target | offered rps | success | achieved rps (sent / ok) | p50 ms | p90 ms | p99 ms | max ms | overhead p50 / p90 / p99 / max ms | CPU ms/req | peak RSS MB | mock CPU | connections |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|\n")
	for _, p := range r.Points {
		over, cpu, rss := "-", "-", "-"
		if p.Overhead != nil {
			o := p.Overhead
			over = sgn(o.P50) + " / " + sgn(o.P90) + " / " + sgn(o.P99) + " / " + sgn(o.Max)
		}
		if p.Target != Direct {
			cpu, rss = fmt.Sprintf("%.3f", p.CPUPerReqMs), f1(p.PeakRSSMB)
		}
		fmt.Fprintf(&b, "| %s | %d | %.2f%% | %.0f / %.0f | %s | %s | %s | %s | %s | %s | %s | %.0f%% (%.3f ms/req) | %d |\n",
			p.Target, p.Rate, p.SuccessPct, p.AchievedRate, p.Throughput(), f2(p.Latency.P50), f2(p.Latency.P90), f2(p.Latency.P99), f2(p.Latency.Max),
			over, cpu, rss, p.MockCPUPct, p.MockCPUPerMs, p.Connections)
	}
	fmt.Fprintf(&b, "\nCapacity (highest offered rate with 100%% success, >= %.0f%% of it achieved, p99 overhead <= %.0f ms):", CapacityMinAchieved*100, CapacityMaxP99Overhead)
	for i, t := range r.Targets {
		sep := ";"
		if i == len(r.Targets)-1 {
			sep = "."
		}
		if c := r.Capacity[t]; c > 0 {
			fmt.Fprintf(&b, " %s %d rps%s", t, c, sep)
		} else {
			fmt.Fprintf(&b, " %s none of the rates%s", t, sep)
		}
	}
	b.WriteString("\n")
	if cpu := r.CPURows(); cpu != "" {
		b.WriteString(cpuIntro)
		b.WriteString(cpu)
	}
	if failures := r.errorLines(); failures != "" {
		b.WriteString("\nFailed requests:\n\n")
		b.WriteString(failures)
	}
	if stages := r.stageRows(); stages != "" {
		b.WriteString("\nThe gateway's own measurement, µs per request (averages of `bifrost_stage_seconds_total` over `bifrost_requests_total`; " +
			"queue = the wait for an admission slot (0 when one is free at once: key selection then counts in encode); self-reported overhead = its total time minus the time waiting on the mock, " +
			"from `bifrost_gateway_overhead_seconds` and the `X-Bifrost-Overhead-Us` header; unstaged = the part of it in no stage, " +
			"mostly reading and decoding the client's request):\n\n")
		b.WriteString(stages)
	}
	b.WriteString(r.streamTable())
	if self := r.selfRows(); self != "" {
		b.WriteString("\nEach gateway's own report of its overhead, from its response headers (Bifrost: `X-Bifrost-Overhead-Us`; " +
			"LiteLLM: `x-litellm-overhead-duration-ms`), successful requests:\n\n")
		b.WriteString(self)
	}
	for _, d := range r.Dropped {
		fmt.Fprintf(&b, "\nLeft the run: %s\n", strings.ReplaceAll(d, "\n", " "))
	}
	if len(r.RSSAfterMB) > 0 {
		fmt.Fprintf(&b, "\nRSS after the load, %s idle:", r.AfterIdle)
		for _, t := range r.Targets {
			if v, ok := r.RSSAfterMB[t]; ok {
				fmt.Fprintf(&b, " %s %.1f MB;", t, v)
			}
		}
		b.WriteString("\n")
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\nNote: %s\n", strings.ReplaceAll(n, "\n", " "))
	}
	fmt.Fprintf(&b, "\nMock CPU over the whole run: %s\n", r.MockCPU)
	for _, s := range r.Skipped {
		fmt.Fprintf(&b, "\nSkipped: %s\n", s)
	}
	return b.String()
}

// streamTable is the streaming scenario's table, or "" when there was none.
func (r *Report) streamTable() string {
	if len(r.Streams) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\nStreaming (an SSE client in the harness timestamps every event; per-chunk delay: for each chunk index, " +
		"median arrival through the target minus direct's, mean and largest over the chunks):\n\n")
	b.WriteString("| target | streams ok | chunks | TTFB p50 / p99 ms | TTFB overhead p50 / p99 ms | whole stream p50 / p99 ms | whole-stream overhead p50 / p99 ms | per-chunk delay mean / max ms | CPU ms/stream |\n")
	b.WriteString("|---|---:|---:|---|---|---|---|---|---:|\n")
	for _, s := range r.Streams {
		to, wo, cd, cpu := "-", "-", "-", "-"
		if s.TTFBOverhead != nil {
			to = sgn(s.TTFBOverhead.P50) + " / " + sgn(s.TTFBOverhead.P99)
		}
		if s.TotalOverhead != nil {
			wo = sgn(s.TotalOverhead.P50) + " / " + sgn(s.TotalOverhead.P99)
		}
		if s.ChunkDelayMeanMs != nil && s.ChunkDelayMaxMs != nil {
			cd = sgn(*s.ChunkDelayMeanMs) + " / " + sgn(*s.ChunkDelayMaxMs)
		}
		if s.Target != Direct {
			cpu = fmt.Sprintf("%.3f", s.CPUPerStreamMs)
		}
		fmt.Fprintf(&b, "| %s | %d/%d | %d | %s / %s | %s | %s / %s | %s | %s | %s |\n", s.Target, s.Success, s.Streams, s.Chunks,
			f2(s.TTFB.P50), f2(s.TTFB.P99), to, f2(s.Total.P50), f2(s.Total.P99), wo, cd, cpu)
	}
	return b.String()
}

// errorLines lists the failures of every point that had any.
func (r *Report) errorLines() string {
	var b strings.Builder
	for _, p := range r.Points {
		if len(p.Errors) == 0 {
			continue
		}
		msgs := make([]string, 0, len(p.Errors))
		for m := range p.Errors {
			msgs = append(msgs, m)
		}
		slices.Sort(msgs)
		for _, m := range msgs {
			fmt.Fprintf(&b, "- %s at %d rps: %d x %s\n", p.Target, p.Rate, p.Errors[m], strings.ReplaceAll(m, "\n", " "))
		}
	}
	for _, s := range r.Streams {
		msgs := make([]string, 0, len(s.Errors))
		for m := range s.Errors {
			msgs = append(msgs, m)
		}
		slices.Sort(msgs)
		for _, m := range msgs {
			fmt.Fprintf(&b, "- %s, streaming: %d x %s\n", s.Target, s.Errors[m], strings.ReplaceAll(m, "\n", " "))
		}
	}
	return b.String()
}

// cpuIntro introduces the CPURows table in the report.
const cpuIntro = "\nCPU per request against the raw proxy's at the same rate: as measured, and adjusted by the mock's CPU per request in the same segments " +
	"(the mock does the same work for every target, so its CPU per request follows the machine's speed while a target ran: " +
	"steal time, caches, frequency; adjusted = (target CPU / mock CPU in its segments) / (rawproxy CPU / mock CPU in its segments)); " +
	"then the CPU split into user time (the process's own code: the gateway, fasthttp, the Go runtime) and system time (the kernel's work for it: sockets, system calls, scheduling), " +
	"from /proc's clock ticks (10 ms each):\n\n"

// CPURows is the table comparing each gateway's CPU per request with the raw proxy's at
// the same rate, as measured and adjusted by the mock's CPU per request in the same
// segments; empty without a raw proxy.
func (r *Report) CPURows() string {
	raw := map[int]*Point{}
	for _, p := range r.Points {
		if p.Target == RawProxy && p.CPUPerReqMs > 0 {
			raw[p.Rate] = p
		}
	}
	var b strings.Builder
	for _, p := range r.Points {
		q := raw[p.Rate]
		if q == nil || p.Target == RawProxy || p.Target == Direct || p.CPUPerReqMs <= 0 {
			continue
		}
		if b.Len() == 0 {
			b.WriteString("| target | rps | CPU ms/req | rawproxy CPU ms/req | measured ratio | mock ms/req (target's / rawproxy's segments) | adjusted ratio | user ms/req (target / rawproxy) | system ms/req (target / rawproxy) |\n")
			b.WriteString("|---|---:|---:|---:|---:|---|---:|---|---|\n")
		}
		adjusted := "-"
		if p.MockCPUPerMs > 0 && q.MockCPUPerMs > 0 {
			adjusted = fmt.Sprintf("%.2fx", AdjustedCPURatio(p, q))
		}
		user, system := "-", "-"
		if p.UserCPUPerReqMs > 0 && q.UserCPUPerReqMs > 0 {
			user = fmt.Sprintf("%.3f / %.3f", p.UserCPUPerReqMs, q.UserCPUPerReqMs)
			system = fmt.Sprintf("%.3f / %.3f", p.CPUPerReqMs-p.UserCPUPerReqMs, q.CPUPerReqMs-q.UserCPUPerReqMs)
		}
		fmt.Fprintf(&b, "| %s | %d | %.3f | %.3f | %.2fx | %.3f / %.3f | %s | %s | %s |\n", p.Target, p.Rate, p.CPUPerReqMs, q.CPUPerReqMs,
			p.CPUPerReqMs/q.CPUPerReqMs, p.MockCPUPerMs, q.MockCPUPerMs, adjusted, user, system)
	}
	return b.String()
}

// AdjustedCPURatio is p's CPU per request over base's, each divided by the mock's CPU per
// request in its own segments: the mock's work per request is the same for every target,
// so the ratio of the two mock figures is the machine's speed in p's segments against
// base's, which the measured ratio would otherwise include.
func AdjustedCPURatio(p, base *Point) float64 {
	return (p.CPUPerReqMs / p.MockCPUPerMs) / (base.CPUPerReqMs / base.MockCPUPerMs)
}

// selfRows is the table of self-reported overheads.
func (r *Report) selfRows() string {
	var b strings.Builder
	for _, p := range r.Points {
		if p.SelfOverhead == nil {
			continue
		}
		if b.Len() == 0 {
			b.WriteString("| target | rps | self-reported overhead p50 / p90 / p99 / max ms |\n|---|---:|---|\n")
		}
		o := p.SelfOverhead
		fmt.Fprintf(&b, "| %s | %d | %.3f / %.3f / %.3f / %.3f |\n", p.Target, p.Rate, o.P50, o.P90, o.P99, o.Max)
	}
	return b.String()
}

// StageNames are the gateway's stages, in the order of a request.
func StageNames() []string {
	return []string{"route", "queue", "encode", "upstream", "decode", "respond"}
}

func (r *Report) stageRows() string {
	var b strings.Builder
	names := StageNames()
	for _, p := range r.Points {
		if len(p.Stages) == 0 {
			continue
		}
		if b.Len() == 0 {
			b.WriteString("| target | rps | " + strings.Join(names, " | ") + " | stages without upstream | self-reported overhead avg | unstaged | self-reported overhead p50 / p99 |\n")
			b.WriteString("|---|---:|" + strings.Repeat("---:|", len(names)+3) + "---|\n")
		}
		fmt.Fprintf(&b, "| %s | %d |", p.Target, p.Rate)
		own := 0.0
		for _, s := range names {
			fmt.Fprintf(&b, " %.1f |", p.Stages[s])
			if s != "upstream" {
				own += p.Stages[s]
			}
		}
		self, unstaged, hdr := "-", "-", "-"
		if p.SelfOverheadAvgUs > 0 {
			self, unstaged = f1(p.SelfOverheadAvgUs), f1(p.SelfOverheadAvgUs-own)
		}
		if p.SelfOverhead != nil {
			hdr = fmt.Sprintf("%.0f / %.0f", p.SelfOverhead.P50*1000, p.SelfOverhead.P99*1000)
		}
		fmt.Fprintf(&b, " %.1f | %s | %s | %s |\n", own, self, unstaged, hdr)
	}
	return b.String()
}
