package report

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPercentileAndOverhead(t *testing.T) {
	var lat []time.Duration
	for i := 100; i >= 1; i-- {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	s := Summarize(lat)
	if s != (Lat{P50: 50, P90: 90, P99: 99, Max: 100}) {
		t.Fatalf("summary %+v", s)
	}
	if Percentile(nil, 0.5) != 0 || Percentile(lat[:1], 0.99) != time.Millisecond {
		t.Error("percentile edge cases")
	}
	o := Overhead(Lat{60.3, 61, 63.5, 80}, Lat{60.1, 60.5, 62, 70})
	want := Lat{0.2, 0.5, 1.5, 10}
	for i, pair := range [][2]float64{{o.P50, want.P50}, {o.P90, want.P90}, {o.P99, want.P99}, {o.Max, want.Max}} {
		if d := pair[0] - pair[1]; d > 1e-9 || d < -1e-9 {
			t.Errorf("overhead %d = %v, want %v", i, pair[0], pair[1])
		}
	}
}

func point(target string, rate, req, ok int, achieved float64, p99 float64) *Point {
	return &Point{Target: target, Rate: rate, Requests: req, Success: ok, AchievedRate: achieved, Latency: Lat{P50: 60, P90: 61, P99: p99, Max: p99 + 5}}
}

func TestCapacityRule(t *testing.T) {
	r := &Report{Targets: []string{Direct, "bifrost"}, Points: []*Point{
		point(Direct, 1000, 100, 100, 1000, 62), point("bifrost", 1000, 100, 100, 995, 63), // passes
		point(Direct, 2000, 100, 100, 2000, 62), point("bifrost", 2000, 100, 100, 1990, 67.5), // p99 +5.5 ms: fails
		point(Direct, 3000, 100, 100, 3000, 62), point("bifrost", 3000, 100, 99, 3000, 62), // 99% success: fails
		point(Direct, 4000, 100, 100, 3000, 62), point("bifrost", 4000, 100, 100, 3950, 63), // direct achieved 75%: fails; bifrost passes
		point(Direct, 5000, 100, 100, 5000, 62), point("bifrost", 5000, 100, 100, 4800, 62), // 96% achieved: fails
	}}
	r.Finish()
	if got := r.Capacity["bifrost"]; got != 4000 {
		t.Errorf("bifrost capacity %d, want 4000", got)
	}
	if got := r.Capacity[Direct]; got != 5000 {
		t.Errorf("direct capacity %d, want 5000", got)
	}
	if o := r.Points[3].Overhead; o == nil || o.P99 != 5.5 {
		t.Errorf("overhead at 2000: %+v", o)
	}
	if r.Points[0].Overhead != nil {
		t.Error("direct has an overhead")
	}
	if (&Point{Rate: 10}).Passes() {
		t.Error("a point without requests passes")
	}
}

func TestSVGIsValidXML(t *testing.T) {
	svgs := [][]byte{
		SVG(`a <title> & "quotes"`, "x", "y", []Series{{Name: "bifrost & co p50", X: []float64{500, 1000}, Y: []float64{0.2, -0.1}}, {Name: "b p99", X: []float64{500}, Y: []float64{3}, Dashed: true}}),
		SVG("empty", "x", "y", nil),
	}
	for _, b := range svgs {
		d := xml.NewDecoder(bytes.NewReader(b))
		root := ""
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("invalid XML: %v\n%s", err, b)
			}
			if se, ok := tok.(xml.StartElement); ok && root == "" {
				root = se.Name.Local
			}
		}
		if root != "svg" {
			t.Errorf("root element %q", root)
		}
		if bytes.Contains(b, []byte("NaN")) || bytes.Contains(b, []byte("Inf")) {
			t.Errorf("non-finite coordinates:\n%s", b)
		}
	}
}

func TestWrite(t *testing.T) {
	r := &Report{Profile: "quick", Targets: []string{Direct, "bifrost"}, Points: []*Point{
		point(Direct, 1000, 10, 10, 1000, 62), point("bifrost", 1000, 10, 10, 1000, 63),
	}}
	r.Points[1].Stages = map[string]float64{"upstream": 60000, "encode": 3, "decode": 5}
	r.Points[1].SelfOverheadAvgUs = 20
	r.Points[1].SelfOverhead = &Lat{P50: 0.018, P99: 0.05}
	r.Points[1].Errors = map[string]int{"status 503: busy": 2}
	mean, most := 0.04, 0.2
	r.Streams = []*Stream{{Target: Direct, Streams: 3, Success: 3}, {Target: "bifrost", Streams: 3, Success: 3, TTFBOverhead: &Lat{P50: 0.3}, TotalOverhead: &Lat{}, ChunkDelayMeanMs: &mean, ChunkDelayMaxMs: &most}}
	r.Finish()
	dir := t.TempDir()
	if err := r.Write(dir); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "results.md"))
	for _, want := range []string{
		"| bifrost | 1000 | 0.00% |", "+0.00 / +0.00 / +1.00 / +1.00", "bifrost 1000 rps", "| encode |", "Streaming",
		"| bifrost | 1000 | 0.0 | 0.0 | 3.0 | 60000.0 | 5.0 | 0.0 | 8.0 | 20.0 | 12.0 | 18 / 50 |", // stages, self-reported, unstaged
		"| +0.30 / +0.00 |", "| +0.04 / +0.20 |", "bifrost at 1000 rps: 2 x status 503: busy",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("results.md lacks %q:\n%s", want, md)
		}
	}
	for _, f := range []string{"results.json", "raw.json", "latency.svg", "overhead.svg"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestCPURows checks the CPU comparison against the raw proxy: the measured ratio, the
// ratio adjusted by the mock's CPU per request in each target's segments, and no row
// without a raw proxy at the same rate.
func TestCPURows(t *testing.T) {
	cpu := func(target string, rate int, ms, mock float64) *Point {
		return &Point{Target: target, Rate: rate, CPUPerReqMs: ms, MockCPUPerMs: mock}
	}
	split := func(p *Point, user float64) *Point {
		p.UserCPUPerReqMs = user
		return p
	}
	tests := []struct {
		name   string
		points []*Point
		want   []string // rows, in order
	}{
		{"machine slower in the gateway's segments", []*Point{cpu(Direct, 1000, 0, 0.1), cpu(RawProxy, 1000, 0.1, 0.1), cpu("bifrost", 1000, 0.132, 0.11)},
			[]string{"| bifrost | 1000 | 0.132 | 0.100 | 1.32x | 0.110 / 0.100 | 1.20x | - | - |"}},
		{"machine faster in the gateway's segments", []*Point{cpu(RawProxy, 3000, 0.06, 0.06), cpu("bifrost", 3000, 0.066, 0.05)},
			[]string{"| bifrost | 3000 | 0.066 | 0.060 | 1.10x | 0.050 / 0.060 | 1.32x | - | - |"}},
		{"no mock figure", []*Point{cpu(RawProxy, 1000, 0.1, 0), cpu("bifrost", 1000, 0.12, 0.1)},
			[]string{"| bifrost | 1000 | 0.120 | 0.100 | 1.20x | 0.100 / 0.000 | - | - | - |"}},
		{"user and system time", []*Point{split(cpu(RawProxy, 3000, 0.075, 0.07), 0.025), split(cpu("bifrost", 3000, 0.09, 0.07), 0.036)},
			[]string{"| bifrost | 3000 | 0.090 | 0.075 | 1.20x | 0.070 / 0.070 | 1.20x | 0.036 / 0.025 | 0.054 / 0.050 |"}},
		{"no split for the raw proxy", []*Point{cpu(RawProxy, 3000, 0.075, 0.07), split(cpu("bifrost", 3000, 0.09, 0.07), 0.036)},
			[]string{"| bifrost | 3000 | 0.090 | 0.075 | 1.20x | 0.070 / 0.070 | 1.20x | - | - |"}},
		{"no raw proxy at that rate", []*Point{cpu(RawProxy, 1000, 0.1, 0.1), cpu("bifrost", 3000, 0.12, 0.1)}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := (&Report{Points: tc.points}).CPURows()
			if tc.want == nil {
				if got != "" {
					t.Fatalf("rows without a raw proxy at the rate:\n%s", got)
				}
				return
			}
			lines := strings.Split(strings.TrimSpace(got), "\n")
			if len(lines) != 2+len(tc.want) {
				t.Fatalf("table:\n%s", got)
			}
			for i, w := range tc.want {
				if lines[2+i] != w {
					t.Errorf("row %d:\n got %s\nwant %s", i, lines[2+i], w)
				}
			}
		})
	}
}
