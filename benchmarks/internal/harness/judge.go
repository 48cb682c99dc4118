package harness

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bifrost-gw/bifrost/benchmarks/internal/report"
)

// fellOverBelow is the success percentage under which a target has fallen
// over at a rate.
const fellOverBelow = 50.0

func sweepNote(sweep bool) string {
	if sweep {
		return "; in this capacity sweep a target also leaves after failing the capacity rule at two rates in a row"
	}
	return ""
}

// judge drops t from the higher rates when it fell over at pt, or, in a
// sweep, when it failed the capacity rule at this rate and the one before.
func (r *run) judge(t *target, pt *report.Point, direct *report.Point) {
	if t.down != "" {
		return
	}
	if pt.SuccessPct < fellOverBelow {
		r.drop(t, fmt.Sprintf("fell over at %d rps: %.1f%% of %d requests succeeded (%s)", pt.Rate, pt.SuccessPct, pt.Requests, topErrors(pt.Errors)))
		return
	}
	if !r.cfg.Profile.Sweep || t.name == report.Direct {
		return // direct stays as long as it answers: it is every overhead's baseline
	}
	check := *pt
	if direct != nil && t.name != report.Direct {
		o := report.Overhead(pt.Latency, direct.Latency)
		check.Overhead = &o
	}
	failed := !check.Passes()
	if failed && t.failedLast {
		r.drop(t, fmt.Sprintf("failed the capacity rule at two rates in a row (the second %d rps); not offered higher rates", pt.Rate))
	}
	t.failedLast = failed
}

// drop takes t out of the rest of the run, with a note in the report.
func (r *run) drop(t *target, why string) {
	if t.down != "" {
		return
	}
	t.down = why
	r.logf("%s: %s", t.name, why)
	r.rep.Dropped = append(r.rep.Dropped, t.name+": "+why)
}

// live returns the targets still in the run.
func (r *run) live() []*target {
	var out []*target
	for _, t := range r.targets {
		if t.down == "" {
			out = append(out, t)
		}
	}
	return out
}

// topErrors summarizes the most frequent failures of a segment.
func topErrors(errs map[string]int) string {
	if len(errs) == 0 {
		return "no error recorded"
	}
	type kv struct {
		k string
		n int
	}
	var all []kv
	for k, n := range errs {
		all = append(all, kv{k, n})
	}
	slices.SortFunc(all, func(a, b kv) int { return b.n - a.n })
	var parts []string
	for _, e := range all[:min(2, len(all))] {
		k := e.k
		if len(k) > 80 {
			k = k[:80] + "..."
		}
		parts = append(parts, fmt.Sprintf("%d x %s", e.n, strings.ReplaceAll(k, "\n", " ")))
	}
	return strings.Join(parts, "; ")
}
