// Package stacks attributes sampled call stacks, as `perf script -F ip,sym` prints them, to
// the stages of a request: each sample goes to the stage of the innermost function on its
// stack that begins a stage (Stage.Entries; the longest entry decides between stages), split
// into user and kernel time by where the sample was taken. bench-cpustages uses it to show
// where a target's CPU per request goes.
package stacks

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Stage is one part of the work of a request.
type Stage struct {
	// Name is the stage's name in a table.
	Name string
	// Entries are the functions whose calls are this stage: a frame belongs to the stage
	// when its function name begins with one of them (a package path followed by a dot, a
	// type's methods as "pkg.(*T).", or one function).
	Entries []string
}

// Other is the stage of a sample whose stack has no function that begins a stage.
const Other = "other"

// Time is a count of samples, taken in user mode and in the kernel.
type Time struct {
	User, Kernel int
}

// Tally counts the samples of one recording by stage.
type Tally struct {
	// Stages has one Time per stage, in the order of the stages given to Count, then
	// Other's.
	Stages []Time
	// Samples is the number of samples counted.
	Samples int
}

// Add adds b's counts to t, which must count the same stages (an empty t takes b's).
func (t *Tally) Add(b Tally) {
	if t.Stages == nil {
		t.Stages = make([]Time, len(b.Stages))
	}
	for i, s := range b.Stages {
		t.Stages[i].User += s.User
		t.Stages[i].Kernel += s.Kernel
	}
	t.Samples += b.Samples
}

// Total returns the user and kernel samples of every stage together.
func (t *Tally) Total() Time {
	var all Time
	for _, s := range t.Stages {
		all.User += s.User
		all.Kernel += s.Kernel
	}
	return all
}

// Count reads the samples of `perf script -F ip,sym` output (recorded with -g: each sample's
// frames one per line, innermost first, samples separated by blank lines) and counts each
// under the stage that its innermost frame with a stage's entry belongs to (Other when
// none has). A sample whose innermost frame is at a kernel address counts as kernel time.
func Count(r io.Reader, stages []Stage) (Tally, error) {
	t := Tally{Stages: make([]Time, len(stages)+1)}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var (
		in     bool // inside a sample
		kernel bool // the sample's innermost frame is in the kernel
		stage  = -1 // the stage found so far; -1: none yet
		line   int
	)
	end := func() {
		if !in {
			return
		}
		if stage < 0 {
			stage = len(stages)
		}
		if kernel {
			t.Stages[stage].Kernel++
		} else {
			t.Stages[stage].User++
		}
		t.Samples++
		in, stage = false, -1
	}
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			end()
			continue
		}
		ip, sym, ok := strings.Cut(text, " ")
		if !ok {
			sym = "" // a frame without a symbol
		}
		if !isHex(ip) {
			return t, fmt.Errorf("perf script line %d: %q is not a frame (want \"ADDRESS SYMBOL\"; record with -g, print with -F ip,sym)", line, text)
		}
		if !in {
			in, kernel = true, isKernel(ip)
		}
		if stage < 0 {
			stage = stageOf(strings.TrimSpace(sym), stages)
		}
	}
	end()
	if err := sc.Err(); err != nil {
		return t, fmt.Errorf("reading perf script output: %w", err)
	}
	return t, nil
}

// stageOf returns the index of the stage that sym begins, or -1. When entries of several
// stages match, the longest wins: a method named on its own is more specific than its type.
func stageOf(sym string, stages []Stage) int {
	best, n := -1, 0
	for i, s := range stages {
		for _, e := range s.Entries {
			if len(e) > n && strings.HasPrefix(sym, e) {
				best, n = i, len(e)
			}
		}
	}
	return best
}

// isHex reports whether s is a non-empty hexadecimal number.
func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// isKernel reports whether the hexadecimal address ip is in the kernel's half of the
// x86-64 or arm64 address space (its top bit set: 16 digits, the first 8 or above).
func isKernel(ip string) bool {
	return len(ip) == 16 && ip[0] >= '8'
}
