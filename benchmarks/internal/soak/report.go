package soak

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/bifrost-gw/bifrost/benchmarks/internal/report"
)

// maxReasons bounds the distinct reasons a Tally keeps per outcome; the
// rest are counted under "other reasons".
const maxReasons = 20

// Tally counts the answers to one kind of request (or to all).
type Tally struct {
	Sent       int            `json:"sent"`
	Complete   int            `json:"complete"`
	WellFormed int            `json:"well_formed_errors"`
	Other      int            `json:"other"`
	Errors     map[string]int `json:"errors,omitempty"`        // well-formed errors by status and type
	Others     map[string]int `json:"other_reasons,omitempty"` // Other outcomes by reason
	Latency    report.Lat     `json:"latency_complete"`        // of complete answers, to the last byte

	latencies []time.Duration
}

// Add counts one answer whose outcome and reason Classify returned.
func (t *Tally) Add(o Outcome, reason string, latency time.Duration) {
	t.Sent++
	switch o {
	case Complete:
		t.Complete++
		t.latencies = append(t.latencies, latency)
	case WellFormedError:
		t.WellFormed++
		t.Errors = count(t.Errors, reason, 1)
	default:
		t.Other++
		t.Others = count(t.Others, reason, 1)
	}
}

// count adds n to m[reason], or to m["other reasons"] once m holds
// maxReasons reasons, and returns m (made when nil).
func count(m map[string]int, reason string, n int) map[string]int {
	if m == nil {
		m = map[string]int{}
	}
	if _, ok := m[reason]; !ok && len(m) >= maxReasons {
		reason = "other reasons"
	}
	m[reason] += n
	return m
}

// Merge adds o's counts to t.
func (t *Tally) Merge(o *Tally) {
	t.Sent += o.Sent
	t.Complete += o.Complete
	t.WellFormed += o.WellFormed
	t.Other += o.Other
	for k, v := range o.Errors {
		t.Errors = count(t.Errors, k, v)
	}
	for k, v := range o.Others {
		t.Others = count(t.Others, k, v)
	}
	t.latencies = append(t.latencies, o.latencies...)
}

// finish computes the latency summary.
func (t *Tally) finish() { t.Latency = report.Summarize(t.latencies) }

// SuccessPct is the share of requests sent that got a complete answer.
func (t *Tally) SuccessPct() float64 {
	if t.Sent == 0 {
		return 0
	}
	return 100 * float64(t.Complete) / float64(t.Sent)
}

// Check is one pass/fail verdict of the run.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Report is the outcome of one soak run.
type Report struct {
	Started  time.Time `json:"started"`
	Command  string    `json:"command"`
	Machine  string    `json:"machine"`
	Setup    []string  `json:"setup"`
	Rate     int       `json:"rate"` // offered, requests per second, all kinds
	Duration string    `json:"duration"`
	// Achieved is the requests sent per second over the load window.
	Achieved float64 `json:"achieved_rate"`
	Elapsed  string  `json:"elapsed"`

	Total  Tally `json:"total"`
	Plain  Tally `json:"plain"`
	Stream Tally `json:"stream"`

	// UpstreamRetries is bifrost_upstream_retries_total at the end of the load.
	UpstreamRetries float64 `json:"upstream_retries"`
	// MockLine is the mock's exit line: its CPU time and requests served.
	MockLine string `json:"mock_exit_line"`

	RSS        Plateau `json:"rss_bytes"`
	Goroutines Plateau `json:"goroutines"`
	// GoroutinesBefore is go_goroutines before the load; GoroutinesAfter
	// after the load ended, the client's connections closed and Settle
	// passed (-1 when unread).
	GoroutinesBefore float64 `json:"goroutines_before_load"`
	GoroutinesAfter  float64 `json:"goroutines_after_settle"`
	Settle           string  `json:"settle"`
	RSSTolerance     string  `json:"rss_tolerance"`
	GoroutineTol     string  `json:"goroutine_tolerance"`

	GatewayCPUPerReqMs float64 `json:"gateway_cpu_ms_per_request"`
	GatewayCPUPct      float64 `json:"gateway_cpu_pct"` // of one core, over the load window
	MockCPUPct         float64 `json:"mock_cpu_pct"`
	LoadGenCPUPct      float64 `json:"loadgen_cpu_pct"` // this program, the load generator
	MissedSamples      int     `json:"missed_samples"`  // seconds without a goroutine reading

	Checks  []Check  `json:"checks"`
	Samples []Sample `json:"samples"`
}

// OK reports whether every check passed.
func (r *Report) OK() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return len(r.Checks) > 0
}

// mib formats bytes as MiB.
func mib(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }

// passFail renders a check's verdict.
func passFail(ok bool) string {
	if ok {
		return "pass"
	}
	return "**FAIL**"
}

// Markdown renders the report as a markdown section: the figures, the
// checks and the setup.
func (r *Report) Markdown() string {
	var b strings.Builder
	verdict := "all checks passed"
	if !r.OK() {
		verdict = "**some checks FAILED**"
	}
	fmt.Fprintf(&b, "## Soak: %d rps for %s, %s\n\n", r.Rate, r.Duration, verdict)
	fmt.Fprintf(&b, "`%s` on %s, %s.\n\n", r.Command, r.Machine, r.Started.UTC().Format("2006-01-02 15:04 UTC"))
	b.WriteString("| figure | value |\n|---|---|\n")
	row := func(k, format string, args ...any) { fmt.Fprintf(&b, "| %s | %s |\n", k, fmt.Sprintf(format, args...)) }
	row("rate offered / achieved", "%d / %.0f rps (%.0f%% plain, %.0f%% stream)", r.Rate, r.Achieved,
		pct(r.Plain.Sent, r.Total.Sent), pct(r.Stream.Sent, r.Total.Sent))
	row("duration", "%s", r.Duration)
	row("requests sent", "%d (plain %d, stream %d)", r.Total.Sent, r.Plain.Sent, r.Stream.Sent)
	row("complete answers", "%d (plain %d, stream %d)", r.Total.Complete, r.Plain.Complete, r.Stream.Complete)
	row("well-formed errors", "%d%s", r.Total.WellFormed, reasons(r.Total.Errors))
	row("anything else", "%d%s", r.Total.Other, reasons(r.Total.Others))
	row("success", "%.4f%%", r.Total.SuccessPct())
	row("upstream retries (gateway)", "%.0f", r.UpstreamRetries)
	row("latency, complete plain (p50 / p99 / max)", "%.1f / %.1f / %.1f ms", r.Plain.Latency.P50, r.Plain.Latency.P99, r.Plain.Latency.Max)
	row("latency, complete stream to [DONE] (p50 / p99 / max)", "%.1f / %.1f / %.1f ms", r.Stream.Latency.P50, r.Stream.Latency.P99, r.Stream.Latency.Max)
	row("RSS first quarter -> last quarter (median)", "%s -> %s", mib(r.RSS.FirstQuarter.Median), mib(r.RSS.LastQuarter.Median))
	row("RSS max first half -> second half", "%s -> %s (allowed growth %s)", mib(r.RSS.FirstHalfMax), mib(r.RSS.SecondHalfMax), mib(r.RSS.Allowed))
	row("goroutines first quarter -> last quarter (median)", "%.0f -> %.0f", r.Goroutines.FirstQuarter.Median, r.Goroutines.LastQuarter.Median)
	row("goroutines max first half -> second half", "%.0f -> %.0f (allowed growth %.0f)", r.Goroutines.FirstHalfMax, r.Goroutines.SecondHalfMax, r.Goroutines.Allowed)
	row("goroutines before load / after load + settle", "%.0f / %.0f (settle %s)", r.GoroutinesBefore, r.GoroutinesAfter, r.Settle)
	row("gateway CPU", "%.3f ms/request (%.0f%% of one core)", r.GatewayCPUPerReqMs, r.GatewayCPUPct)
	row("mock CPU / load generator CPU", "%.0f%% / %.0f%% of one core", r.MockCPUPct, r.LoadGenCPUPct)
	b.WriteString("\n| check | result | detail |\n|---|---|---|\n")
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", c.Name, passFail(c.OK), c.Detail)
	}
	b.WriteString("\nSetup:\n")
	for _, s := range r.Setup {
		fmt.Fprintf(&b, "- %s\n", s)
	}
	return b.String()
}

// pct is 100*a/b, or 0.
func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

// reasons renders a reason count as " (reason: n, ...)", most frequent first.
func reasons(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", strings.ReplaceAll(k, "|", "/"), m[k])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// Write writes dir/soak.json and dir/soak.md, making dir.
func (r *Report) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("results folder: %w", err)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "soak.json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "soak.md"), []byte(r.Markdown()), 0o644); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	return nil
}
