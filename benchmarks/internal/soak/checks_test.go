package soak

import (
	"strings"
	"testing"
)

const mb = 1 << 20

// ramp returns n values from a to b, evenly spaced.
func ramp(n int, a, b float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = a + (b-a)*float64(i)/float64(n-1)
	}
	return out
}

// join concatenates value lists.
func join(parts ...[]float64) []float64 {
	var out []float64
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// flat returns n copies of v.
func flat(n int, v float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestCheckPlateau(t *testing.T) {
	rss := Tolerance{Rel: 0.10, Abs: 3 * mb}
	gor := Tolerance{Rel: 0.10, Abs: 50}
	tests := []struct {
		name   string
		values []float64
		tol    Tolerance
		ok     bool
	}{
		{"flat", flat(20, 30*mb), rss, true},
		{"warm-up then flat", join(ramp(5, 10*mb, 30*mb), flat(15, 30*mb)), rss, true},
		{"sawtooth of the garbage collector", join(ramp(5, 20*mb, 30*mb), ramp(5, 20*mb, 30*mb), ramp(5, 20*mb, 30*mb), ramp(5, 20*mb, 30*mb)), rss, true},
		{"spike in the first half, lower after", join(flat(5, 30*mb), flat(1, 60*mb), flat(14, 31*mb)), rss, true},
		{"growth within 3 MiB", join(flat(10, 20*mb), flat(10, 22.9*mb)), rss, true},
		{"growth within 10% of a large process", join(flat(10, 100*mb), flat(10, 109*mb)), rss, true},
		{"growth beyond 10% of a large process", join(flat(10, 100*mb), flat(10, 111*mb)), rss, false},
		{"growth beyond 3 MiB of a small process", join(flat(10, 20*mb), flat(10, 23.5*mb)), rss, false},
		{"steady leak", ramp(60, 20*mb, 80*mb), rss, false},
		{"late jump", join(flat(18, 30*mb), flat(2, 40*mb)), rss, false},
		{"goroutines flat with noise", []float64{100, 120, 95, 130, 110, 105, 125, 118, 101, 131, 99, 122}, gor, true},
		{"goroutines leaking one per second", ramp(120, 100, 220), gor, false},
		{"goroutines within the absolute tolerance", join(flat(10, 40), flat(10, 89)), gor, true},
		{"goroutines beyond the absolute tolerance", join(flat(10, 40), flat(10, 91)), gor, false},
		// With an odd count the middle sample is in neither half.
		{"odd count: middle sample ignored", join(flat(4, 10), flat(1, 1000), flat(4, 10)), gor, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := CheckPlateau(tt.values, tt.tol)
			if err != nil {
				t.Fatal(err)
			}
			if p.OK != tt.ok {
				t.Errorf("OK = %v, want %v (max %g -> %g, growth %g, allowed %g)", p.OK, tt.ok, p.FirstHalfMax, p.SecondHalfMax, p.Growth, p.Allowed)
			}
			if p.Samples != len(tt.values) {
				t.Errorf("Samples = %d, want %d", p.Samples, len(tt.values))
			}
		})
	}
}

func TestCheckPlateauQuarters(t *testing.T) {
	// 12 samples: quarters of 3, halves of 6.
	p, err := CheckPlateau([]float64{1, 5, 3, 4, 4, 4, 4, 4, 4, 7, 9, 8}, Tolerance{Abs: 100})
	if err != nil {
		t.Fatal(err)
	}
	if p.FirstQuarter != (Quarter{Median: 3, Max: 5}) || p.LastQuarter != (Quarter{Median: 8, Max: 9}) {
		t.Errorf("quarters %+v %+v, want {3 5} {8 9}", p.FirstQuarter, p.LastQuarter)
	}
	if p.FirstHalfMax != 5 || p.SecondHalfMax != 9 || p.Growth != 4 {
		t.Errorf("halves %g -> %g growth %g, want 5 -> 9 growth 4", p.FirstHalfMax, p.SecondHalfMax, p.Growth)
	}
	// An even quarter's median is the mean of its middle two.
	p, err = CheckPlateau([]float64{1, 2, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 3, 4}, Tolerance{Abs: 100})
	if err != nil {
		t.Fatal(err)
	}
	if p.FirstQuarter.Median != 5.5 || p.LastQuarter.Median != 6.5 {
		t.Errorf("medians %g %g, want 5.5 6.5", p.FirstQuarter.Median, p.LastQuarter.Median)
	}
}

func TestCheckPlateauTooFewSamples(t *testing.T) {
	_, err := CheckPlateau(flat(MinSamples-1, 1), Tolerance{})
	if err == nil || !strings.Contains(err.Error(), "run longer") {
		t.Errorf("err = %v, want a too-short error", err)
	}
	if _, err := CheckPlateau(flat(MinSamples, 1), Tolerance{}); err != nil {
		t.Errorf("%d samples: %v", MinSamples, err)
	}
}

func TestToleranceAllowed(t *testing.T) {
	tol := Tolerance{Rel: 0.10, Abs: 3 * mb}
	if got := tol.Allowed(10 * mb); got != 3*mb {
		t.Errorf("Allowed(10 MiB) = %g, want 3 MiB", got)
	}
	if got := tol.Allowed(50 * mb); got != 5*mb {
		t.Errorf("Allowed(50 MiB) = %g, want 5 MiB", got)
	}
}
