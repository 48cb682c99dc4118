package server

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// accessCases are field sets whose lines must read exactly as slog writes them.
var accessCases = [][]accessField{
	{strField("method", []byte("POST")), strField("path", []byte("/v1/chat/completions")), intField("status", 200),
		strField("provider", []byte("openai")), strField("model", []byte("gpt-4o-mini")), boolField("stream", false),
		durField("duration", 61234567*time.Nanosecond), durField("overhead", 1983*time.Nanosecond),
		durField("upstream", 60*time.Millisecond), intField("retries", 0), intField("fallbacks", 1)},
	{strField("provider", nil), strField("model", []byte("my model=\"x\"")), boolField("stream", true),
		strField("error", []byte("rate_limit\n\t\x01")), durField("duration", 0), intField("status", -1)},
	{strField("model", []byte("modèle-ü")), strField("path", []byte("/a b")), strField("bad", []byte{0xff, 'a'}),
		strField("bell", []byte("\a\u2028\U0001F600")), durField("d", -90*time.Minute-1)},
}

func TestAccessLogMatchesSlog(t *testing.T) {
	for i, fields := range accessCases {
		attrs := make([]slog.Attr, 0, len(fields))
		for _, f := range fields {
			switch f.kind {
			case fieldString:
				attrs = append(attrs, slog.String(f.key, string(f.s)))
			case fieldInt:
				attrs = append(attrs, slog.Int64(f.key, f.n))
			case fieldBool:
				attrs = append(attrs, slog.Bool(f.key, f.n == 1))
			case fieldDuration:
				attrs = append(attrs, slog.Duration(f.key, time.Duration(f.n)))
			}
		}
		now := time.Date(2026, 11, 24, 20, 18, 37, 401_000_000, time.UTC)
		for _, asJSON := range []bool{false, true} {
			var want, got bytes.Buffer
			var h slog.Handler = slog.NewTextHandler(&want, nil)
			if asJSON {
				h = slog.NewJSONHandler(&want, nil)
			}
			r := slog.NewRecord(now, slog.LevelInfo, "request", 0)
			r.AddAttrs(attrs...)
			if err := h.Handle(nil, r); err != nil { //nolint:staticcheck // slog's handlers ignore the context
				t.Fatal(err)
			}
			NewAccessLog(&got, asJSON).write(now, fields)
			if asJSON {
				var w, g map[string]any
				if err := json.Unmarshal(want.Bytes(), &w); err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(got.Bytes(), &g); err != nil {
					t.Fatalf("case %d: our JSON line does not parse: %v\n%s", i, err, got.String())
				}
				if !equalJSON(w, g) {
					t.Errorf("case %d JSON:\n got %s\nwant %s", i, got.String(), want.String())
				}
				continue
			}
			if got.String() != want.String() {
				t.Errorf("case %d text:\n got %q\nwant %q", i, got.String(), want.String())
			}
		}
	}
}

func equalJSON(a, b map[string]any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func TestAppendDuration(t *testing.T) {
	ds := []time.Duration{0, 1, 999, 1000, 1001, 1983, 999999, 1000000, 1500000, 60521700, 999999999,
		time.Second, 1500 * time.Millisecond, time.Minute, 61 * time.Second, time.Hour, 90*time.Minute + 1,
		-1, -time.Second, 1<<63 - 1, -1 << 63}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		ds = append(ds, time.Duration(rng.Int64N(int64(3*time.Hour))), time.Duration(rng.Int64N(int64(time.Millisecond))))
	}
	for _, d := range ds {
		if got := string(appendDuration(nil, d)); got != d.String() {
			t.Errorf("appendDuration(%d) = %q, want %q", int64(d), got, d.String())
		}
	}
}

func TestAccessLogAllocs(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		a := NewAccessLog(io.Discard, asJSON)
		now := time.Now()
		a.write(now, accessCases[0])
		if n := testing.AllocsPerRun(200, func() { a.write(now, accessCases[0]) }); n != 0 {
			t.Errorf("json=%v: %v allocations per line, want 0", asJSON, n)
		}
	}
}

func TestBufferedAccessLog(t *testing.T) {
	var out syncBuffer
	a := NewBufferedAccessLog(&out, false, 20*time.Millisecond)
	now := time.Now()
	a.write(now, accessCases[0])
	if out.String() != "" {
		t.Fatal("a buffered line was written at once")
	}
	deadline := time.Now().Add(2 * time.Second)
	for out.String() == "" && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if strings.Count(out.String(), "\n") != 1 {
		t.Fatalf("after a tick: %q", out.String())
	}
	for i := 0; i < 1000; i++ { // more than the buffer holds: written as it fills
		a.write(now, accessCases[0])
	}
	a.write(now, accessCases[1])
	a.Close()
	if n := strings.Count(out.String(), "\n"); n != 1002 {
		t.Errorf("%d lines after Close, want 1002", n)
	}
	if !strings.HasSuffix(out.String(), "status=-1\n") {
		t.Errorf("the last line is not the last one written: %q", out.String()[len(out.String())-80:])
	}
	if n := testing.AllocsPerRun(100, func() { a.write(now, accessCases[0]) }); n != 0 {
		t.Errorf("%v allocations per buffered line", n)
	}
}

// TestStampMatchesAppendFormat checks the access log's kept-second time formatting against
// time.AppendFormat: within a second, across seconds, and in zones of their own.
func TestStampMatchesAppendFormat(t *testing.T) {
	east := time.FixedZone("", 5*3600+30*60)
	west := time.FixedZone("", -8*3600)
	base := time.Date(2026, 12, 5, 9, 30, 59, 998_700_000, time.UTC)
	var st stamp
	for i, tm := range []time.Time{
		base, base.Add(time.Millisecond), base.Add(2 * time.Millisecond), base.Add(900 * time.Millisecond),
		base.In(east), base.In(west), base.Add(time.Hour).In(west), base, time.Unix(0, 0).UTC(),
		base.Add(-time.Second + 5*time.Microsecond),
	} {
		got := string(st.append(nil, tm))
		if want := tm.Format(timeLayout); got != want {
			t.Errorf("%d: %s, want %s", i, got, want)
		}
	}
}
