package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
)

func TestQuickProfileUnderFiveMinutes(t *testing.T) {
	p, err := LookupProfile("quick")
	if err != nil {
		t.Fatal(err)
	}
	// direct, rawproxy and bifrost; each attack waits about one 60 ms mock
	// latency for its last answers; starting the processes takes seconds.
	const startup = 15 * time.Second
	if d := p.Planned(3, 100*time.Millisecond) + startup; d >= 4*time.Minute {
		t.Errorf("quick plans %v with 3 targets, want well under 5 minutes", d)
	}
	if d := p.Planned(5, 100*time.Millisecond) + startup; d >= 5*time.Minute {
		t.Errorf("quick plans %v with two peers, want under 5 minutes", d)
	}
	for name, p := range Profiles() {
		runs := []Profile{p}
		if len(p.Parts) > 0 {
			runs = nil
			for _, part := range p.Parts {
				runs = append(runs, p.ForPart(part))
			}
		}
		for _, q := range runs {
			if !strings.HasPrefix(q.Name, name) || p.Name != name || len(q.Rates) == 0 || q.Rounds < 1 || q.Segment <= 0 || q.GOMAXPROCS < 1 || q.Timeout <= 0 {
				t.Errorf("profile %q is incomplete: %+v", name, q)
			}
		}
	}
	// launch: five targets; each part starts its own processes (LiteLLM takes up to a
	// minute on a busy 2-core machine); a peer that falls over costs its timeouts.
	launch := Profiles()["launch"]
	if len(launch.Parts) != 3 || launch.Parts[0].LatencyModel != "gpt-4o-mini-real" || launch.Parts[1].LatencyModel != "fixed-60ms" ||
		launch.Parts[0].Rates[0] != 500 || launch.Parts[1].Rates[0] != 500 || !launch.Parts[2].Sweep {
		t.Errorf("launch parts: %+v", launch.Parts)
	}
	if d := launch.Planned(5, 100*time.Millisecond) + 3*time.Minute; d >= 14*time.Minute {
		t.Errorf("launch plans %v with two peers, want room for their timeouts within 20 minutes", d)
	}
	if m, x := Profiles()["t3.medium"], Profiles()["t3.xlarge"]; m.GOMAXPROCS != 2 || m.BufferSize != 15000 || m.PoolSize != 10000 ||
		x.GOMAXPROCS != 4 || x.BufferSize != 20000 || x.PoolSize != 15000 {
		t.Errorf("t3 profiles differ from BENCHMARKS.md: %+v %+v", m, x)
	}
	if _, err := LookupProfile("t3.nano"); err == nil || !strings.Contains(err.Error(), "launch, quick, t3.medium, t3.xlarge") {
		t.Errorf("unknown profile: %v", err)
	}
}

func TestChatBody(t *testing.T) {
	for name, want := range map[string]int{"200b": 200, "10kb": 10240, "50kb": 51200} {
		n, err := PromptSize(name)
		if err != nil || n != want {
			t.Fatalf("PromptSize(%q) = %d, %v", name, n, err)
		}
		r := &run{body: map[bool][]byte{false: chatBody(n, false), true: chatBody(n, true)}}
		for _, stream := range []bool{false, true} {
			var req struct {
				Model    string `json:"model"`
				Stream   bool   `json:"stream"`
				Messages []struct{ Role, Content string }
			}
			if err := json.Unmarshal(r.bodyFor(&target{model: "openai/gpt-4o-mini"}, stream), &req); err != nil {
				t.Fatal(err)
			}
			if req.Model != "openai/gpt-4o-mini" || req.Stream != stream || len(req.Messages) != 1 || len(req.Messages[0].Content) != want {
				t.Errorf("%s stream=%v: model %q, stream %v, %d messages, content %d bytes", name, stream, req.Model, req.Stream, len(req.Messages), len(req.Messages[0].Content))
			}
		}
	}
	if _, err := PromptSize("1mb"); err == nil {
		t.Error("1mb accepted")
	}
}

func TestParseCounters(t *testing.T) {
	text := `# HELP bifrost_stage_seconds_total Time spent in each stage.
# TYPE bifrost_stage_seconds_total counter
bifrost_stage_seconds_total{stage="encode"} 0.003
bifrost_stage_seconds_total{stage="upstream"} 60.5
bifrost_requests_total{endpoint="chat",model="gpt-4o-mini",provider="openai",status="2xx"} 1000
bifrost_requests_total{endpoint="models",model="",provider="",status="2xx"} 2
bifrost_gateway_overhead_seconds_bucket{endpoint="chat",le="0.001"} 990
bifrost_gateway_overhead_seconds_sum{endpoint="chat"} 0.02
bifrost_gateway_overhead_seconds_count{endpoint="chat"} 1000
bifrost_stage_seconds_total_other 7
go_goroutines 12
`
	got := parseCounters([]byte(text))
	want := map[string]float64{"stage:encode": 0.003, "stage:upstream": 60.5, counterRequests: 1002, counterOverheadSum: 0.02, counterOverheadCount: 1000}
	if len(got) != len(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func TestRoundOrderAlternates(t *testing.T) {
	ts := []*target{{name: "direct"}, {name: "rawproxy"}, {name: "bifrost"}}
	names := func(ts []*target) string {
		var s []string
		for _, t := range ts {
			s = append(s, t.name)
		}
		return strings.Join(s, " ")
	}
	if got := names(roundOrder(ts, 0)); got != "direct rawproxy bifrost" {
		t.Errorf("round 0: %s", got)
	}
	if got := names(roundOrder(ts, 1)); got != "bifrost rawproxy direct" {
		t.Errorf("round 1: %s", got)
	}
	if names(ts) != "direct rawproxy bifrost" {
		t.Error("roundOrder changed its argument")
	}
}

func TestCountErrorBounded(t *testing.T) {
	s := &segment{errors: map[string]int{}}
	s.countError(503, "503 Service Unavailable", []byte(` {"error":"busy"} `))
	s.countError(0, "dial tcp: connection refused", nil)
	for i := range 3 * maxErrorKinds {
		s.countError(0, fmt.Sprintf("error %d", i), nil)
	}
	if s.errors[`status 503: {"error":"busy"}`] != 1 || s.errors["dial tcp: connection refused"] != 1 {
		t.Errorf("errors: %v", s.errors)
	}
	if len(s.errors) > maxErrorKinds+1 || s.errors["other"] == 0 {
		t.Errorf("%d kinds kept, other %d", len(s.errors), s.errors["other"])
	}
}

func TestChunkDelay(t *testing.T) {
	ms := func(v ...float64) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x * float64(time.Millisecond))
		}
		return out
	}
	results := []streamResult{
		{ok: true, ttfb: ms(3)[0], chunks: ms(3, 6, 9), total: ms(9.1)[0]},
		{ok: true, ttfb: ms(4)[0], chunks: ms(4, 7, 10), total: ms(10.1)[0]},
		{ok: true, ttfb: ms(5)[0], chunks: ms(5, 8), total: ms(8.1)[0]},
		{err: "status 500: boom"},
	}
	st := summarizeStreams(results)
	if st.ok != 3 || st.chunks != 3 || st.errors["status 500: boom"] != 1 {
		t.Fatalf("summary %+v", st)
	}
	if want := ms(4, 7, 9); fmt.Sprint(st.byChunk) != fmt.Sprint(want) { // medians per index
		t.Errorf("byChunk %v, want %v", st.byChunk, want)
	}
	mean, most, ok := chunkDelay(ms(4.5, 7.5, 10), st.byChunk)
	if !ok || mean < 0.666 || mean > 0.667 || most != 1 {
		t.Errorf("delay mean %v max %v", mean, most)
	}
	if _, _, ok := chunkDelay(nil, st.byChunk); ok {
		t.Error("no chunks gave a delay")
	}
}

// serveMock serves a mock provider on 127.0.0.1 and returns its URL.
func serveMock(t *testing.T, cfg mocks.Config) string {
	t.Helper()
	m, err := mocks.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go m.Serve(ln) //nolint:errcheck // ends with Close
	t.Cleanup(func() { m.Close() })
	return "http://" + ln.Addr().String()
}

func TestReadSSE(t *testing.T) {
	url := serveMock(t, mocks.Config{Latency: 40 * time.Millisecond, StreamChunks: 8, RequireKey: "k"})
	hdr := http.Header{"Authorization": {"Bearer k"}, "Content-Type": {"application/json"}}
	body := chatBody(200, true)
	res := readSSE(context.Background(), http.DefaultClient, url+"/v1/chat/completions", hdr, body)
	if !res.ok || res.err != "" {
		t.Fatalf("stream failed: %+v", res)
	}
	// The role chunk, 8 content chunks and the finish chunk, paced over 40 ms.
	if len(res.chunks) != 10 {
		t.Errorf("%d chunks, want 10", len(res.chunks))
	}
	if res.ttfb < 4*time.Millisecond || res.total < 40*time.Millisecond || res.total > 2*time.Second || res.ttfb > res.chunks[len(res.chunks)-1] {
		t.Errorf("ttfb %v, last chunk %v, total %v", res.ttfb, res.chunks[len(res.chunks)-1], res.total)
	}
	bad := readSSE(context.Background(), http.DefaultClient, url+"/v1/chat/completions", http.Header{}, body)
	if bad.ok || !strings.HasPrefix(bad.err, "status 401") {
		t.Errorf("unauthorized stream: %+v", bad)
	}
}
