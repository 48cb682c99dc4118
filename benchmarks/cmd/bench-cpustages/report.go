package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/bifrost-gw/bifrost/benchmarks/internal/harness"
	"github.com/bifrost-gw/bifrost/benchmarks/internal/stacks"
)

// report returns the markdown table: per stage, each target's user and kernel time per
// successful request, and bifrost's user time less the raw proxy's.
func report(o options, targets []*target, stages []stacks.Stage) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## CPU per request by stage, %d rps (%s)\n\n", o.rate, time.Now().UTC().Format("2006-01-02 15:04 MST"))
	translate := ""
	if o.translate {
		translate = " -translate"
	}
	fmt.Fprintf(&b, "Command: `bench-cpustages -rate %d -duration %v -rounds %d -freq %d%s`. Machine: %s.\n\n",
		o.rate, o.duration, o.rounds, o.freq, translate, harness.Machine())
	fmt.Fprintf(&b, "Microseconds of CPU per successful request, user / kernel, from `perf record -a -g -e cpu-clock -F %d` "+
		"samples of the target's process counted by the innermost function that begins a stage; each target recorded %d times for %v at %d rps, "+
		"alternating, GOMAXPROCS=2.\n\n", o.freq, o.rounds, o.duration, o.rate)
	b.WriteString("| stage |")
	for _, t := range targets {
		fmt.Fprintf(&b, " %s |", t.name)
	}
	b.WriteString(" bifrost − rawproxy, user |\n|---|")
	for range targets {
		b.WriteString("---:|")
	}
	b.WriteString("---:|\n")
	names := make([]string, 0, len(stages)+1)
	for _, s := range stages {
		names = append(names, s.Name)
	}
	names = append(names, stacks.Other)
	raw, gw := find(targets, "rawproxy"), find(targets, "bifrost")
	for i, name := range names {
		fmt.Fprintf(&b, "| %s |", name)
		for _, t := range targets {
			fmt.Fprintf(&b, " %s |", pair(t.us(t.tally.Stages[i], o.freq)))
		}
		fmt.Fprintf(&b, " %s |\n", diff(gw, raw, func(t *target) float64 { u, _ := t.us(t.tally.Stages[i], o.freq); return u }))
	}
	b.WriteString("| **all samples** |")
	for _, t := range targets {
		fmt.Fprintf(&b, " **%s** |", pair(t.us(t.tally.Total(), o.freq)))
	}
	fmt.Fprintf(&b, " **%s** |\n", diff(gw, raw, func(t *target) float64 { u, _ := t.us(t.tally.Total(), o.freq); return u }))
	b.WriteString("| /proc: user / system time |")
	for _, t := range targets {
		fmt.Fprintf(&b, " %s |", pair(t.perRequest(t.user), t.perRequest(t.system)))
	}
	fmt.Fprintf(&b, " %s |\n", diff(gw, raw, func(t *target) float64 { return t.perRequest(t.user) }))
	b.WriteString("| requests: successful / sent |")
	for _, t := range targets {
		fmt.Fprintf(&b, " %d / %d |", t.ok, t.sent)
	}
	b.WriteString(" |\n")
	return b.String()
}

// us returns the user and kernel time of c, samples taken freq times per second of CPU, in
// microseconds per successful request.
func (t *target) us(c stacks.Time, freq int) (user, kernel float64) {
	if t.ok == 0 || freq <= 0 {
		return 0, 0
	}
	per := 1e6 / float64(freq) / float64(t.ok)
	return float64(c.User) * per, float64(c.Kernel) * per
}

// perRequest returns d in microseconds per successful request.
func (t *target) perRequest(d time.Duration) float64 {
	if t.ok == 0 {
		return 0
	}
	return float64(d.Microseconds()) / float64(t.ok)
}

// pair formats a user and a kernel figure.
func pair(user, kernel float64) string { return fmt.Sprintf("%.2f / %.2f", user, kernel) }

// diff formats f(a) - f(b), or "-" when either target is missing.
func diff(a, b *target, f func(*target) float64) string {
	if a == nil || b == nil {
		return "-"
	}
	return fmt.Sprintf("%+.2f", f(a)-f(b))
}

// find returns the target called name, or nil.
func find(targets []*target, name string) *target {
	for _, t := range targets {
		if t.name == name {
			return t
		}
	}
	return nil
}
