package mocks

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// observed draws n samples of m and returns them sorted.
func observed(m LatencyModel, n int) []time.Duration {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = m.Sample(r.Float64())
	}
	slices.Sort(out)
	return out
}

func pct(sorted []time.Duration, q float64) time.Duration {
	return sorted[min(int(q*float64(len(sorted))), len(sorted)-1)]
}

func within(t *testing.T, name string, got, want time.Duration, tol float64) {
	t.Helper()
	if d := float64(got - want); d > tol*float64(want) || -d > tol*float64(want) {
		t.Errorf("%s = %v, want %v within %.0f%%", name, got, want, tol*100)
	}
}

func TestPercentilesMatch(t *testing.T) {
	for _, m := range []Percentiles{GPT4oMiniReal(), {P50: 60 * time.Millisecond, P90: 70 * time.Millisecond, P99: 90 * time.Millisecond, Max: 150 * time.Millisecond}} {
		s := observed(m, 200_000)
		within(t, m.String()+" p50", pct(s, 0.50), m.P50, 0.02)
		within(t, m.String()+" p90", pct(s, 0.90), m.P90, 0.02)
		if m.P95 > 0 {
			within(t, m.String()+" p95", pct(s, 0.95), m.P95, 0.02)
		}
		within(t, m.String()+" p99", pct(s, 0.99), m.P99, 0.03)
		if s[len(s)-1] > m.Max || s[0] < m.P50/2 {
			t.Errorf("%v: samples span %v..%v, outside [p50/2, max]", m, s[0], s[len(s)-1])
		}
	}
}

func TestFixedAndJitter(t *testing.T) {
	if d := Fixed(60 * time.Millisecond).Sample(0.7); d != 60*time.Millisecond {
		t.Errorf("fixed = %v", d)
	}
	j := Jitter{Base: 60 * time.Millisecond, Spread: 10 * time.Millisecond}
	s := observed(j, 100_000)
	if s[0] < 50*time.Millisecond || s[len(s)-1] > 70*time.Millisecond {
		t.Errorf("jitter spans %v..%v", s[0], s[len(s)-1])
	}
	within(t, "jitter p50", pct(s, 0.5), 60*time.Millisecond, 0.01)
	within(t, "jitter p90", pct(s, 0.9), 68*time.Millisecond, 0.01)
	if d := (Jitter{Base: time.Millisecond, Spread: 5 * time.Millisecond}).Sample(0); d != 0 {
		t.Errorf("jitter below zero not floored: %v", d)
	}
}

func TestTraceReplay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trace.txt")
	if err := os.WriteFile(path, []byte("# recorded\n10ms\n\n20\n30.5ms\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := ParseLatencyModel("trace:" + path)
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 30500 * time.Microsecond}
	for i := range 7 {
		if got := m.Sample(0.99); got != want[i%3] {
			t.Fatalf("sample %d = %v, want %v (in order, wrapping)", i, got, want[i%3])
		}
	}
	m, err = ParseLatencyModel("trace:" + path + ":sampled")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[time.Duration]int{}
	for _, d := range observed(m, 3000) {
		seen[d]++
	}
	for _, w := range want {
		if seen[w] < 800 {
			t.Errorf("sampled trace: %v drawn %d times of 3000", w, seen[w])
		}
	}
	if _, err := ReadTrace(filepath.Join(t.TempDir(), "missing"), false); err == nil {
		t.Error("missing trace file accepted")
	}
}

func TestParseLatencyModel(t *testing.T) {
	good := map[string]LatencyModel{
		"fixed-60ms":                  Fixed(60 * time.Millisecond),
		"fixed:60ms":                  Fixed(60 * time.Millisecond),
		"fixed:2.5":                   Fixed(2500 * time.Microsecond),
		"jitter:60ms:10ms":            Jitter{60 * time.Millisecond, 10 * time.Millisecond},
		"gpt-4o-mini-real":            GPT4oMiniReal(),
		"dist:420:780:1100:1800:4000": GPT4oMiniReal(),
		"dist:420:780:1800:4000":      Percentiles{P50: 420 * time.Millisecond, P90: 780 * time.Millisecond, P99: 1800 * time.Millisecond, Max: 4 * time.Second},
	}
	for spec, want := range good {
		got, err := ParseLatencyModel(spec)
		if err != nil || got != want {
			t.Errorf("%q: got %v, %v; want %v", spec, got, err, want)
		}
	}
	for _, bad := range []string{"", "fixed", "fixed:x", "fixed:-1ms", "jitter:1ms", "dist:9:8:7:6", "dist:1:2:5:3:9", "dist:1:2:3", "nope:1"} {
		if _, err := ParseLatencyModel(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestServerUsesModel(t *testing.T) {
	s, err := New(Config{Model: Fixed(42 * time.Millisecond), Latency: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if d := s.latency(); d != 42*time.Millisecond {
		t.Errorf("latency = %v, want the model's 42ms", d)
	}
}

func TestSampleDoesNotAllocate(t *testing.T) {
	for _, m := range []LatencyModel{Fixed(time.Millisecond), Jitter{time.Millisecond, time.Microsecond}, GPT4oMiniReal(),
		&Trace{Latencies: []time.Duration{time.Millisecond, 2 * time.Millisecond}}} {
		if n := testing.AllocsPerRun(100, func() { m.Sample(0.42) }); n != 0 {
			t.Errorf("%v: %v allocations per sample", m, n)
		}
	}
}
