package report

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// PostFigures are the launch post's published numbers for one gateway
// ("Bifrost: A Drop-in LLM Proxy, 40x Faster Than LiteLLM").
type PostFigures struct {
	// Table 1: 500 RPS on a t3.medium against OpenAI (tier-5 key).
	SuccessPct, P50Ms, P99Ms, MaxMs, Throughput, PeakMemMB float64
	// Table 2: LiteLLM's benchmark setup, a mock answering after 60 ms.
	RPS, MedianMs, OverheadMs float64
}

// Post holds the launch post's figures for Bifrost and LiteLLM.
var Post = map[string]PostFigures{
	"bifrost": {SuccessPct: 100, P50Ms: 804, P99Ms: 1680, MaxMs: 6130, Throughput: 424, PeakMemMB: 120,
		RPS: 500, MedianMs: 60.99, OverheadMs: 0.99},
	"litellm": {SuccessPct: 88.78, P50Ms: 38650, P99Ms: 90720, MaxMs: 92670, Throughput: 44.84, PeakMemMB: 372,
		RPS: 475, MedianMs: 100, OverheadMs: 40},
}

// MockLatencyMs is the fixed latency of the post's second table, which its
// overhead subtracts from the median.
const MockLatencyMs = 60.0

// GoalRatio is the post's claim: LiteLLM's median overhead over Bifrost's.
const GoalRatio = 40.0

// Launch is a run of the launch profile: the post's two tables and the
// capacity curve, each a Report of its own.
type Launch struct {
	Command  string    `json:"command"`
	Machine  string    `json:"machine"`
	Started  time.Time `json:"started"`
	Elapsed  string    `json:"elapsed"`
	Table1   *Report   `json:"table1"`   // gpt-4o-mini-real latency, 500 RPS
	Table2   *Report   `json:"table2"`   // fixed 60 ms, 500 RPS
	Capacity *Report   `json:"capacity"` // fixed 60 ms sweep
	Parts    []string  `json:"parts"`    // each part's folder
}

// point returns target's point at rate in r, or nil.
func (r *Report) point(target string, rate int) *Point {
	if r == nil {
		return nil
	}
	for _, p := range r.Points {
		if p.Target == target && p.Rate == rate {
			return p
		}
	}
	return nil
}

// dropped returns why target left r's run, or "".
func (r *Report) dropped(target string) string {
	if r == nil {
		return ""
	}
	for _, d := range r.Dropped {
		if name, why, ok := strings.Cut(d, ": "); ok && name == target {
			return why
		}
	}
	return ""
}

// Throughput is the rate of successful answers (ServedRate), as the post's
// "throughput"; for points from before ServedRate, the sending rate times
// the share that succeeded.
func (p *Point) Throughput() float64 {
	if p.ServedRate > 0 || p.Requests == 0 {
		return p.ServedRate
	}
	return p.AchievedRate * float64(p.Success) / float64(p.Requests)
}

// LaunchRate is the offered rate of the post's two tables.
const LaunchRate = 500

// ratio returns a / b as "12.3x", or "-" when it means nothing.
func ratio(a, b float64) string {
	if b <= 0 || a <= 0 || math.IsNaN(a) || math.IsNaN(b) {
		return "-"
	}
	r := a / b
	switch {
	case r >= 100:
		return fmt.Sprintf("%.0fx", r)
	case r >= 10:
		return fmt.Sprintf("%.1fx", r)
	}
	return fmt.Sprintf("%.2fx", r)
}

// HeadlineTable is the README's table: every target of the second table's
// run (fixed 60 ms, 500 RPS).
func (l *Launch) HeadlineTable() string {
	var b strings.Builder
	b.WriteString("| target | success | p50 / p99 / max ms | sent rps / throughput (ok/s) | overhead p50 / p99 ms over direct | median - 60 ms | CPU ms/req | peak RSS MB |\n")
	b.WriteString("|---|---:|---|---:|---|---:|---:|---:|\n")
	for _, t := range l.Table2.Targets {
		p := l.Table2.point(t, LaunchRate)
		if p == nil {
			fmt.Fprintf(&b, "| %s | fell over: %s | | | | | | |\n", t, oneLine(l.Table2.dropped(t)))
			continue
		}
		over, cpu, rss := "-", "-", "-"
		if p.Overhead != nil {
			over = sgn(p.Overhead.P50) + " / " + sgn(p.Overhead.P99)
		}
		if t != Direct {
			cpu, rss = fmt.Sprintf("%.3f", p.CPUPerReqMs), f1(p.PeakRSSMB)
		}
		fmt.Fprintf(&b, "| %s | %.2f%% | %s / %s / %s | %.0f / %.0f | %s | %s | %s | %s |\n", t, p.SuccessPct,
			f2(p.Latency.P50), f2(p.Latency.P99), f2(p.Latency.Max), p.AchievedRate, p.Throughput(), over,
			sgn(p.Latency.P50-MockLatencyMs), cpu, rss)
	}
	return b.String()
}

// RatioTable compares LiteLLM with Bifrost, here and in the post.
func (l *Launch) RatioTable() string {
	var b strings.Builder
	b.WriteString("| metric (LiteLLM / Bifrost) | measured here | launch post |\n|---|---:|---:|\n")
	pb, pl := Post["bifrost"], Post["litellm"]
	row := func(name, here, post string) { fmt.Fprintf(&b, "| %s | %s | %s |\n", name, here, post) }
	b2, l2 := l.Table2.point("bifrost", LaunchRate), l.Table2.point("litellm", LaunchRate)
	if b2 != nil && l2 != nil {
		row("median overhead (median - 60 ms), fixed 60 ms mock, 500 RPS", ratio(l2.Latency.P50-MockLatencyMs, b2.Latency.P50-MockLatencyMs), ratio(pl.OverheadMs, pb.OverheadMs))
		if b2.Overhead != nil && l2.Overhead != nil {
			row("median overhead over direct (same run), fixed 60 ms mock", ratio(l2.Overhead.P50, b2.Overhead.P50), "-")
		}
		row("median latency, fixed 60 ms mock", ratio(l2.Latency.P50, b2.Latency.P50), ratio(pl.MedianMs, pb.MedianMs))
		row("throughput (ok/s), fixed 60 ms mock (Bifrost / LiteLLM)", ratio(b2.Throughput(), l2.Throughput()), ratio(pb.RPS, pl.RPS))
		row("CPU per request, fixed 60 ms mock", ratio(l2.CPUPerReqMs, b2.CPUPerReqMs), "-")
	} else {
		row("fixed 60 ms mock, 500 RPS", "LiteLLM "+orDash(l.Table2.dropped("litellm")), "-")
	}
	b1, l1 := l.Table1.point("bifrost", LaunchRate), l.Table1.point("litellm", LaunchRate)
	if b1 != nil && l1 != nil {
		row("p50 latency, real-latency mock, 500 RPS", ratio(l1.Latency.P50, b1.Latency.P50), ratio(pl.P50Ms, pb.P50Ms))
		row("p99 latency, real-latency mock", ratio(l1.Latency.P99, b1.Latency.P99), ratio(pl.P99Ms, pb.P99Ms))
		row("throughput (ok/s), real-latency mock (Bifrost / LiteLLM)", ratio(b1.Throughput(), l1.Throughput()), ratio(pb.Throughput, pl.Throughput))
		row("peak memory, real-latency mock", ratio(l1.PeakRSSMB, b1.PeakRSSMB), ratio(pl.PeakMemMB, pb.PeakMemMB))
	} else {
		row("real-latency mock, 500 RPS", "LiteLLM "+orDash(l.Table1.dropped("litellm")), "-")
	}
	return b.String()
}

// Goal says whether the post's 40x claim on median overhead holds here.
func (l *Launch) Goal() string {
	b2, l2 := l.Table2.point("bifrost", LaunchRate), l.Table2.point("litellm", LaunchRate)
	if b2 == nil || l2 == nil {
		return "The post's claim (at least 40x lower median overhead than LiteLLM) could not be checked: LiteLLM has no point at 500 RPS in this run."
	}
	bo, lo := b2.Latency.P50-MockLatencyMs, l2.Latency.P50-MockLatencyMs
	if bo <= 0 {
		return fmt.Sprintf("Median overhead (median - 60 ms): Bifrost %+.2f ms, LiteLLM %+.2f ms; Bifrost's is at or under the mock's latency, so the ratio is unbounded: the post's 40x holds.", bo, lo)
	}
	r := lo / bo
	if r >= GoalRatio {
		return fmt.Sprintf("Median overhead (median - 60 ms): Bifrost %.2f ms, LiteLLM %.2f ms: %.0fx lower, which meets the post's claim of at least 40x.", bo, lo, r)
	}
	return fmt.Sprintf("Median overhead (median - 60 ms): Bifrost %.2f ms, LiteLLM %.2f ms: %.1fx lower, which does NOT meet the post's claim of at least 40x.", bo, lo, r)
}

// PostTable1 sets the first table beside the post's figures.
func (l *Launch) PostTable1() string {
	var b strings.Builder
	b.WriteString("| metric | Bifrost here | Bifrost in the post | LiteLLM here | LiteLLM in the post | Portkey here |\n|---|---:|---:|---:|---:|---:|\n")
	get := func(t string) *Point { return l.Table1.point(t, LaunchRate) }
	cell := func(p *Point, f func(*Point) string, t string) string {
		if p == nil {
			if why := l.Table1.dropped(t); why != "" {
				return "fell over"
			}
			return "-"
		}
		return f(p)
	}
	pb, pl := Post["bifrost"], Post["litellm"]
	type m struct {
		name   string
		f      func(*Point) string
		pb, pl string
	}
	ms := []m{
		{"success", func(p *Point) string { return fmt.Sprintf("%.2f%%", p.SuccessPct) }, fmt.Sprintf("%.0f%%", pb.SuccessPct), fmt.Sprintf("%.2f%%", pl.SuccessPct)},
		{"p50 latency", func(p *Point) string { return msOrS(p.Latency.P50) }, msOrS(pb.P50Ms), msOrS(pl.P50Ms)},
		{"p99 latency", func(p *Point) string { return msOrS(p.Latency.P99) }, msOrS(pb.P99Ms), msOrS(pl.P99Ms)},
		{"max latency", func(p *Point) string { return msOrS(p.Latency.Max) }, msOrS(pb.MaxMs), msOrS(pl.MaxMs)},
		{"throughput (ok/s)", func(p *Point) string { return fmt.Sprintf("%.1f/s", p.Throughput()) }, fmt.Sprintf("%.0f/s", pb.Throughput), fmt.Sprintf("%.2f/s", pl.Throughput)},
		{"peak memory", func(p *Point) string { return fmt.Sprintf("%.0f MB", p.PeakRSSMB) }, fmt.Sprintf("%.0f MB", pb.PeakMemMB), fmt.Sprintf("%.0f MB", pl.PeakMemMB)},
	}
	for _, x := range ms {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", x.name, cell(get("bifrost"), x.f, "bifrost"), x.pb,
			cell(get("litellm"), x.f, "litellm"), x.pl, cell(get("portkey"), x.f, "portkey"))
	}
	return b.String()
}

// PostTable2 sets the second table beside the post's figures.
func (l *Launch) PostTable2() string {
	var b strings.Builder
	b.WriteString("| gateway | throughput (ok/s) here (post's RPS) | median ms here (post) | median - 60 ms here (post) | p50 overhead over direct here |\n|---|---|---|---|---:|\n")
	for _, t := range l.Table2.Targets {
		if t == Direct {
			continue
		}
		p := l.Table2.point(t, LaunchRate)
		post, hasPost := Post[t]
		pr, pm, po := "", "", ""
		if hasPost {
			pr, pm, po = fmt.Sprintf(" (%.0f)", post.RPS), fmt.Sprintf(" (%.2f)", post.MedianMs), fmt.Sprintf(" (%.2f)", post.OverheadMs)
		}
		if p == nil {
			fmt.Fprintf(&b, "| %s | fell over%s | -%s | -%s | - |\n", t, pr, pm, po)
			continue
		}
		over := "-"
		if p.Overhead != nil {
			over = sgn(p.Overhead.P50)
		}
		fmt.Fprintf(&b, "| %s | %.0f%s | %.2f%s | %.2f%s | %s |\n", t, p.Throughput(), pr, p.Latency.P50, pm, p.Latency.P50-MockLatencyMs, po, over)
	}
	return b.String()
}

func msOrS(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.2f s", v/1000)
	}
	return fmt.Sprintf("%.2f ms", v)
}

func orDash(s string) string {
	if s == "" {
		return "has no point"
	}
	return oneLine(s)
}

func oneLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// CapacityPlots returns the capacity curve: achieved rate against offered
// rate, and p99 overhead over direct against offered rate, one line per
// target.
func (l *Launch) CapacityPlots() (achieved, p99 []byte) {
	var as, ps []Series
	for _, t := range l.Capacity.Targets {
		a := Series{Name: t}
		o := Series{Name: t}
		for _, p := range l.Capacity.Points {
			if p.Target != t {
				continue
			}
			a.X, a.Y = append(a.X, float64(p.Rate)), append(a.Y, p.Throughput())
			if p.Overhead != nil && p.Success > 0 {
				o.X, o.Y = append(o.X, float64(p.Rate)), append(o.Y, p.Overhead.P99)
			}
		}
		if len(a.X) > 0 {
			as = append(as, a)
		}
		if t != Direct && len(o.X) > 0 {
			ps = append(ps, o)
		}
	}
	return SVG("capacity: successful answers per second against offered rate", "offered rate (requests/s)", "ok/s", as),
		SVG("capacity: p99 overhead over direct against offered rate", "offered rate (requests/s)", "p99 overhead (ms)", ps)
}

// CapacityTable lists each target's capacity and where it left the sweep.
func (l *Launch) CapacityTable() string {
	var b strings.Builder
	b.WriteString("| target | capacity (rule met up to) | first rate failing the rule | left the sweep |\n|---|---:|---|---|\n")
	for _, t := range l.Capacity.Targets {
		first := "-"
		for _, p := range l.Capacity.Points {
			if p.Target == t && !p.Passes() {
				why := []string{}
				if p.Success != p.Requests {
					why = append(why, fmt.Sprintf("%.2f%% ok", p.SuccessPct))
				}
				if p.AchievedRate < CapacityMinAchieved*float64(p.Rate) {
					why = append(why, fmt.Sprintf("achieved %.0f", p.AchievedRate))
				}
				if p.Overhead != nil && p.Overhead.P99 > CapacityMaxP99Overhead {
					why = append(why, fmt.Sprintf("p99 overhead %+.1f ms", p.Overhead.P99))
				}
				first = fmt.Sprintf("%d rps (%s)", p.Rate, strings.Join(why, ", "))
				break
			}
		}
		c := "none of the rates"
		if v := l.Capacity.Capacity[t]; v > 0 {
			c = fmt.Sprintf("%d rps", v)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", t, c, first, orNone(oneLine(l.Capacity.dropped(t))))
	}
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Markdown renders the launch report.
func (l *Launch) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# The launch post's comparison, reproduced\n\nRun %s (took %s). Command: `%s`.\n\nMachine: %s.\n\n",
		l.Started.UTC().Format("2006-01-02 15:04 UTC"), l.Elapsed, l.Command, l.Machine)
	b.WriteString("Three runs, each with its own processes (mock, raw proxy, Bifrost, peers), each with its full report, raw samples and method in its folder: " +
		strings.Join(l.Parts, ", ") + ". The method of all three is in each report's list; the post's own figures come from its text (a t3.medium, 2 vCPUs, with a tier-5 OpenAI key for the first table).\n\n")
	b.WriteString("## Headline: LiteLLM's own benchmark setup (mock answering after 60 ms), 500 RPS\n\n")
	b.WriteString(l.HeadlineTable())
	b.WriteString("\n" + l.Goal() + "\n\n")
	b.WriteString("## Ratios: LiteLLM over Bifrost, here and in the post\n\n")
	b.WriteString(l.RatioTable())
	b.WriteString("\n## The post's first table (500 RPS, real latencies), beside ours\n\n")
	b.WriteString("Here the mock answers with gpt-4o-mini's real latency distribution (p50 420 ms, p99 1.8 s), where the post called OpenAI itself; " +
		"so latencies are comparable in kind, not in value. Peak memory: VmHWM of the gateway process; for LiteLLM the highest sum of RSS over its processes (parent and workers) sampled every 200 ms.\n\n")
	b.WriteString(l.PostTable1())
	b.WriteString("\n## The post's second table (fixed 60 ms mock, 500 RPS), beside ours\n\n")
	b.WriteString(l.PostTable2())
	b.WriteString("\n## Capacity curve (fixed 60 ms mock)\n\n![achieved rate](capacity-achieved.svg)\n\n![p99 overhead](capacity-p99-overhead.svg)\n\n")
	b.WriteString(l.CapacityTable())
	for _, part := range []*Report{l.Table1, l.Table2, l.Capacity} {
		for _, d := range part.Dropped {
			fmt.Fprintf(&b, "\n- %s: %s", part.Profile, oneLine(d))
		}
	}
	b.WriteString("\n\n## Method (the second table's run; the other two differ only as their titles say)\n\n")
	for _, s := range l.Table2.Setup {
		fmt.Fprintf(&b, "- %s\n", s)
	}
	for _, s := range l.Table2.Skipped {
		fmt.Fprintf(&b, "- skipped: %s\n", s)
	}
	return b.String()
}

// Write writes results.md, launch.json and the capacity plots into dir
// (each part writes its own report into its folder).
func (l *Launch) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	summary := map[string]any{"command": l.Command, "machine": l.Machine, "started": l.Started, "elapsed": l.Elapsed, "parts": l.Parts,
		"post": Post, "capacity_rps": l.Capacity.Capacity}
	js, err := json.MarshalIndent(summary, "", "  ")
	if err != nil {
		return fmt.Errorf("report: launch.json: %w", err)
	}
	a, p := l.CapacityPlots()
	files := map[string][]byte{"results.md": []byte(l.Markdown()), "launch.json": append(js, '\n'),
		"capacity-achieved.svg": a, "capacity-p99-overhead.svg": p}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	return nil
}
