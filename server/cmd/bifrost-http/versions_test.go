package main

import (
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/valyala/fasthttp"
)

func parse(t *testing.T, doc string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("c.json", []byte(doc), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestDiffConfigs checks the summaries of changes, and that they never show a key value.
func TestDiffConfigs(t *testing.T) {
	base := `{"openai": {"keys": [{"name": "a", "value": "sk-secret-aaaa"}]}}`
	tests := []struct {
		name, prev, next string
		want             []string
	}{
		{"first", "", base, []string{"provider openai: 1 keys ([a])"}},
		{"same", base, base, []string{"no change"}},
		{"key value", base, `{"openai": {"keys": [{"name": "a", "value": "sk-secret-bbbb"}]}}`,
			[]string{"provider openai: key a has a new value"}},
		{"key added, weight", base, `{"openai": {"keys": [{"name": "a", "value": "sk-secret-aaaa", "weight": 2}, {"value": "sk-secret-c"}]}}`,
			[]string{"provider openai: key a weight 1 -> 2", "provider openai: key #1 added"}},
		{"provider swap", base, `{"groq": {"keys": [{"value": "sk-secret-aaaa"}]}}`,
			[]string{"provider groq added: 1 keys ([#0])", "provider openai removed"}},
		{"limits", base, `{"openai": {"keys": [{"name": "a", "value": "sk-secret-aaaa"}],
			"concurrency_and_buffer_size": {"concurrency": 10, "buffer_size": 20}}, "client": {"max_connections": 50}}`,
			[]string{"openai.concurrency 1000 -> 10", "openai.buffer_size 5000 -> 20", "client.max_connections 10000 -> 50"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var prev *config.Config
			if tt.prev != "" {
				prev = parse(t, tt.prev)
			}
			got := diffConfigs(prev, parse(t, tt.next))
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if strings.Contains(strings.Join(got, " "), "sk-secret") {
				t.Error("a change shows a key value")
			}
		})
	}
}

// TestVersionLogKeeps checks numbering and that only the last versions are kept.
func TestVersionLogKeeps(t *testing.T) {
	l := versionLog{keep: 3}
	cfg := parse(t, `{"openai": {"keys": [{"value": "k"}]}}`)
	for i := 0; i < 5; i++ {
		l.add(cfg, "h", "reload", time.Now())
	}
	if l.current().Version != 5 || len(l.list) != 3 || l.find(2) != nil || l.find(3) == nil {
		t.Errorf("current %d, kept %d, find(2) %v", l.current().Version, len(l.list), l.find(2))
	}
}

// TestAdminHandlerPassThrough checks that the API's requests go to the API's handler
// without an allocation, and admin paths do not.
func TestAdminHandlerPassThrough(t *testing.T) {
	r := &reloader{versions: versionLog{keep: 1}}
	r.versions.add(parse(t, `{"openai": {"keys": [{"value": "k"}]}}`), "h", "start", time.Now())
	var passed int
	h := r.adminHandler(func(*fasthttp.RequestCtx) { passed++ })
	var ctx fasthttp.RequestCtx
	ctx.Request.SetRequestURI("/v1/chat/completions")
	if allocs := testing.AllocsPerRun(100, func() { h(&ctx) }); allocs != 0 {
		t.Errorf("%v allocations per API request", allocs)
	}
	ctx.Request.SetRequestURI("/admin/config/versions")
	before := passed
	h(&ctx)
	if passed != before || ctx.Response.StatusCode() != fasthttp.StatusNotFound {
		t.Errorf("an admin path without admin keys: passed on %v, status %d, want 404", passed != before, ctx.Response.StatusCode())
	}
}
