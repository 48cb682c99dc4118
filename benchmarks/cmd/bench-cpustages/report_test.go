package main

import (
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/benchmarks/internal/stacks"
)

func TestReport(t *testing.T) {
	stages := []stacks.Stage{{Name: "server", Entries: []string{"a."}}, {Name: "scan", Entries: []string{"b."}}}
	// 1,000 samples per second over 100 requests: one sample is 10 µs per request.
	raw := &target{name: "rawproxy", ok: 100, sent: 100, user: 3000e3, system: 5000e3,
		tally: stacks.Tally{Stages: []stacks.Time{{User: 2, Kernel: 5}, {}, {}}, Samples: 7}}
	gw := &target{name: "bifrost", ok: 100, sent: 101, user: 4500e3, system: 4000e3,
		tally: stacks.Tally{Stages: []stacks.Time{{User: 2, Kernel: 4}, {User: 1}, {Kernel: 1}}, Samples: 8}}
	md := report(options{rate: 3000, duration: 6e9, rounds: 2, freq: 1000}, []*target{raw, gw}, stages)
	for _, want := range []string{
		"| stage | rawproxy | bifrost | bifrost − rawproxy, user |",
		"| server | 20.00 / 50.00 | 20.00 / 40.00 | +0.00 |",
		"| scan | 0.00 / 0.00 | 10.00 / 0.00 | +10.00 |",
		"| other | 0.00 / 0.00 | 0.00 / 10.00 | +0.00 |",
		"| **all samples** | **20.00 / 50.00** | **30.00 / 50.00** | **+10.00** |",
		"| /proc: user / system time | 30.00 / 50.00 | 45.00 / 40.00 | +15.00 |",
		"| requests: successful / sent | 100 / 100 | 100 / 101 | |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}

func TestReportWithoutRawProxy(t *testing.T) {
	gw := &target{name: "bifrost", tally: stacks.Tally{Stages: []stacks.Time{{}}}}
	md := report(options{rate: 1, freq: 1000}, []*target{gw}, nil)
	if !strings.Contains(md, "| other | 0.00 / 0.00 | - |") {
		t.Errorf("a missing target's difference is not \"-\" (and no request is not a division by zero):\n%s", md)
	}
}
