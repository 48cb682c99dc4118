package soak

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMetricValue(t *testing.T) {
	text := []byte(`# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 42
go_goroutines_extra 7
bifrost_upstream_retries_total{provider="openai"} 3
bifrost_upstream_retries_total{provider="anthropic"} 2
process_resident_memory_bytes 1.2345e+07
`)
	tests := []struct {
		name    string
		want    float64
		wantErr bool
	}{
		{"go_goroutines", 42, false},
		{"bifrost_upstream_retries_total", 5, false},
		{"process_resident_memory_bytes", 12345000, false},
		{"go_threads", 0, true},
		{"go_gorout", 0, true}, // a prefix of a name is not the name
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MetricValue(text, tt.name)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("MetricValue = %g, %v; want %g, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestTally(t *testing.T) {
	var a, b, total Tally
	a.Add(Complete, "", 10*time.Millisecond)
	a.Add(WellFormedError, "status 503 server_error", time.Millisecond)
	b.Add(Complete, "", 20*time.Millisecond)
	b.Add(Other, "stream: no [DONE]", time.Millisecond)
	b.Add(WellFormedError, "status 503 server_error", time.Millisecond)
	total.Merge(&a)
	total.Merge(&b)
	total.finish()
	if total.Sent != 5 || total.Complete != 2 || total.WellFormed != 2 || total.Other != 1 {
		t.Errorf("total %+v", total)
	}
	if total.Errors["status 503 server_error"] != 2 || total.Others["stream: no [DONE]"] != 1 {
		t.Errorf("reasons %v %v", total.Errors, total.Others)
	}
	if total.Latency.Max != 20 {
		t.Errorf("latency max %g ms, want 20 (complete answers only)", total.Latency.Max)
	}
	if got := total.SuccessPct(); got != 40 {
		t.Errorf("SuccessPct = %g, want 40", got)
	}
	var many Tally
	for i := range maxReasons + 5 {
		many.Add(Other, "reason "+string(rune('a'+i)), 0)
	}
	if len(many.Others) != maxReasons+1 || many.Others["other reasons"] != 5 {
		t.Errorf("reasons are not bounded: %d kinds, %d under other reasons", len(many.Others), many.Others["other reasons"])
	}
}

// samples returns n samples with RSS rss(i) and goroutines gor(i).
func samples(n int, rss func(int) int64, gor func(int) float64) []Sample {
	out := make([]Sample, n)
	for i := range out {
		out[i] = Sample{At: float64(i + 1), RSS: rss(i), Goroutines: gor(i)}
	}
	return out
}

func TestReportChecks(t *testing.T) {
	cfg := Config{RSSTol: Tolerance{Rel: 0.1, Abs: 3 * mb}, GoroutineTol: Tolerance{Rel: 0.1, Abs: 50}, MinSuccessPct: 99,
		Settle: 25 * time.Second, SettleTol: 10}
	flatRSS := func(int) int64 { return 30 * mb }
	flatGor := func(int) float64 { return 200 }
	good := Tally{Sent: 1000, Complete: 995, WellFormed: 5}
	tests := []struct {
		name    string
		total   Tally
		samples []Sample
		before  float64
		after   float64
		failing []string // names of the checks that must fail, by prefix
	}{
		{"all good", good, samples(20, flatRSS, flatGor), 12, 14, nil},
		{"an answer of another kind", Tally{Sent: 1000, Complete: 995, WellFormed: 4, Other: 1}, samples(20, flatRSS, flatGor), 12, 14, []string{"every request"}},
		{"nothing sent", Tally{}, samples(20, flatRSS, flatGor), 12, 14, []string{"every request", "success"}},
		{"low success", Tally{Sent: 1000, Complete: 980, WellFormed: 20}, samples(20, flatRSS, flatGor), 12, 14, []string{"success"}},
		{"memory leak", good, samples(20, func(i int) int64 { return int64(20+2*i) * mb }, flatGor), 12, 14, []string{"RSS"}},
		{"goroutine leak", good, samples(20, flatRSS, func(i int) float64 { return float64(100 + 20*i) }), 12, 14, []string{"goroutines flat"}},
		{"goroutines left after the load", good, samples(20, flatRSS, flatGor), 12, 40, []string{"goroutines back"}},
		{"goroutines unread after the load", good, samples(20, flatRSS, flatGor), 12, -1, []string{"goroutines back"}},
		{"too short", good, samples(5, flatRSS, flatGor), 12, 14, []string{"RSS", "goroutines flat"}},
		{"goroutine readings missed", good, samples(20, flatRSS, func(i int) float64 {
			if i%3 == 0 {
				return -1
			}
			return 200
		}), 12, 14, []string{"goroutines flat"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := &Report{Total: tt.total, Samples: tt.samples, GoroutinesBefore: tt.before, GoroutinesAfter: tt.after}
			rep.check(cfg)
			if len(rep.Checks) != 5 {
				t.Fatalf("%d checks, want 5: %+v", len(rep.Checks), rep.Checks)
			}
			for _, c := range rep.Checks {
				wantFail := false
				for _, f := range tt.failing {
					wantFail = wantFail || strings.HasPrefix(c.Name, f)
				}
				if c.OK == wantFail {
					t.Errorf("check %q: OK = %v, want %v (%s)", c.Name, c.OK, !wantFail, c.Detail)
				}
			}
			if rep.OK() != (len(tt.failing) == 0) {
				t.Errorf("OK() = %v", rep.OK())
			}
		})
	}
}

func TestReportWrite(t *testing.T) {
	rep := &Report{Rate: 300, Duration: "45s", Command: "make soak SOAK_RATE=300 SOAK_DURATION=45s",
		Total: Tally{Sent: 10, Complete: 9, WellFormed: 1, Errors: map[string]int{"status 503 server_error": 1}},
		Plain: Tally{Sent: 8, Complete: 7, WellFormed: 1}, Stream: Tally{Sent: 2, Complete: 2},
		Samples: samples(10, func(int) int64 { return mb }, func(int) float64 { return 9 }), GoroutinesAfter: 5}
	rep.check(Config{RSSTol: Tolerance{Abs: mb}, GoroutineTol: Tolerance{Abs: 5}, MinSuccessPct: 50})
	dir := filepath.Join(t.TempDir(), "2026-01-01-soak")
	if err := rep.Write(dir); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "soak.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Soak: 300 rps for 45s, all checks passed", "| requests sent | 10 (plain 8, stream 2) |",
		"status 503 server_error: 1", "| success | 90.0000% |", "| RSS plateau | pass |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	var back Report
	b, err := os.ReadFile(filepath.Join(dir, "soak.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Total.Sent != 10 || len(back.Samples) != 10 || len(back.Checks) != len(rep.Checks) {
		t.Errorf("JSON round trip lost data: %+v", back)
	}
}
