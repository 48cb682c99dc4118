package soak

import (
	"fmt"
	"math"
	"slices"
)

// MinSamples is the fewest samples a plateau check judges; with fewer the
// run is too short to tell growth from warm-up.
const MinSamples = 8

// Tolerance is how much a series may grow from the first half of the run
// to the second: the larger of Rel times the first half's maximum and Abs
// (in the series' own unit).
type Tolerance struct {
	Rel float64 // e.g. 0.10 for 10%
	Abs float64 // e.g. 3 MiB in bytes, or a number of goroutines
}

// Allowed returns the growth allowed over base.
func (t Tolerance) Allowed(base float64) float64 {
	return math.Max(t.Rel*base, t.Abs)
}

// Quarter summarizes a quarter of a series.
type Quarter struct {
	Median float64 `json:"median"`
	Max    float64 `json:"max"`
}

// Plateau is the outcome of a plateau check on one series sampled at a
// steady rate under a steady load: the series may rise while the process
// warms up, but the highest value of the second half must not exceed the
// highest of the first half by more than the tolerance. A leak (memory,
// goroutines) keeps rising and fails it; a process that has reached its
// working set does not.
type Plateau struct {
	Samples       int     `json:"samples"`
	FirstHalfMax  float64 `json:"first_half_max"`
	SecondHalfMax float64 `json:"second_half_max"`
	Allowed       float64 `json:"allowed_growth"` // from Tolerance.Allowed(FirstHalfMax)
	Growth        float64 `json:"growth"`         // SecondHalfMax - FirstHalfMax
	FirstQuarter  Quarter `json:"first_quarter"`
	LastQuarter   Quarter `json:"last_quarter"`
	OK            bool    `json:"ok"`
}

// CheckPlateau runs the plateau check on values, in sampling order. With
// an odd count the middle sample belongs to neither half. It fails with an
// error when there are fewer than MinSamples values.
func CheckPlateau(values []float64, tol Tolerance) (Plateau, error) {
	n := len(values)
	if n < MinSamples {
		return Plateau{Samples: n}, fmt.Errorf("%d samples, want at least %d: run longer", n, MinSamples)
	}
	half := n / 2
	quarter := n / 4
	p := Plateau{
		Samples:       n,
		FirstHalfMax:  slices.Max(values[:half]),
		SecondHalfMax: slices.Max(values[n-half:]),
		FirstQuarter:  summarize(values[:quarter]),
		LastQuarter:   summarize(values[n-quarter:]),
	}
	p.Allowed = tol.Allowed(p.FirstHalfMax)
	p.Growth = p.SecondHalfMax - p.FirstHalfMax
	p.OK = p.Growth <= p.Allowed
	return p, nil
}

// summarize returns the median and the maximum of values (not empty).
func summarize(values []float64) Quarter {
	s := slices.Clone(values)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Quarter{Median: m, Max: s[len(s)-1]}
}
