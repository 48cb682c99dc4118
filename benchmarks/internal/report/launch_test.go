package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func launchFixture(litellmP50 float64) *Launch {
	mk := func(profile string, rates []int, lat map[string]float64, drop []string) *Report {
		r := &Report{Profile: profile, Targets: []string{Direct, "rawproxy", "bifrost", "litellm"}, Dropped: drop}
		for _, rate := range rates {
			for _, t := range r.Targets {
				if _, ok := lat[t]; !ok {
					continue
				}
				r.Points = append(r.Points, &Point{Target: t, Rate: rate, Requests: 1000, Success: 1000, SuccessPct: 100,
					AchievedRate: float64(rate), ServedRate: float64(rate) * 0.99, Latency: Lat{P50: lat[t], P90: lat[t] + 1, P99: lat[t] + 2, Max: lat[t] + 5},
					CPUPerReqMs: 0.1, PeakRSSMB: 20})
			}
		}
		r.Finish()
		return r
	}
	lat := map[string]float64{Direct: 60.5, "rawproxy": 60.6, "bifrost": 60.7, "litellm": litellmP50}
	return &Launch{Command: "make bench PROFILE=launch", Machine: "test", Started: time.Unix(0, 0), Elapsed: "1s",
		Table1:   mk("launch/table1", []int{500}, map[string]float64{Direct: 420, "rawproxy": 421, "bifrost": 422, "litellm": 3000}, nil),
		Table2:   mk("launch/table2", []int{500}, lat, nil),
		Capacity: mk("launch/capacity", []int{1000, 2500}, map[string]float64{Direct: 60.5, "rawproxy": 60.6, "bifrost": 60.7}, []string{"litellm: fell over at 1000 rps: 10.0% of 6000 requests succeeded"}),
		Parts:    []string{"a", "b", "c"}}
}

func TestLaunchTables(t *testing.T) {
	l := launchFixture(100)
	md := l.Markdown()
	for _, want := range []string{
		"| bifrost | 100.00% | 60.70 / 62.70 / 65.70 | 500 / 495 |",
		"| median overhead (median - 60 ms), fixed 60 ms mock, 500 RPS | 57.1x | 40.4x |",
		"meets the post's claim",
		"| litellm | 495 (475) | 100.00 (100.00) | 40.00 (40.00) |",
		"| peak memory | 20 MB | 120 MB | 20 MB | 372 MB | - |",
		"| litellm | none of the rates | - | fell over at 1000 rps",
		"| bifrost | 2500 rps | - | - |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("launch report lacks %q:\n%s", want, md)
		}
	}
	if g := launchFixture(80).Goal(); !strings.Contains(g, "does NOT meet") {
		t.Errorf("a 28x ratio: %s", g)
	}
	dir := t.TempDir()
	if err := l.Write(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"results.md", "launch.json", "capacity-achieved.svg", "capacity-p99-overhead.svg"} {
		if b, err := os.ReadFile(filepath.Join(dir, f)); err != nil || len(b) == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestRatio(t *testing.T) {
	for _, c := range []struct {
		a, b float64
		want string
	}{{40, 0.99, "40.4x"}, {5, 2, "2.50x"}, {1000, 2, "500x"}, {1, 0, "-"}, {-1, 2, "-"}} {
		if got := ratio(c.a, c.b); got != c.want {
			t.Errorf("ratio(%v, %v) = %s, want %s", c.a, c.b, got, c.want)
		}
	}
}
