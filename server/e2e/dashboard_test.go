package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/mocks"
)

var metricName = regexp.MustCompile(`\bbifrost_[a-z_]+\b`)

// TestGrafanaDashboard checks that every metric the Grafana dashboard queries is in a live
// /metrics after a chat completion and a stream.
func TestGrafanaDashboard(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "dashboards", "bifrost-grafana.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Query string `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("the dashboard is not valid JSON: %v", err)
	}
	queried := map[string]bool{}
	var exprs []string
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range dash.Templating.List {
		exprs = append(exprs, v.Query)
	}
	for _, e := range exprs {
		for _, name := range metricName.FindAllString(e, -1) {
			queried[name] = true
		}
	}
	if len(queried) < 10 {
		t.Fatalf("the dashboard queries only %d metrics", len(queried))
	}

	_, mockURL := startMock(t, mocks.Config{RequireKey: mockKey, StreamChunks: 4})
	gw, client := startBuiltGateway(t, oneKeyConfig("openai", mockKey, mockURL))
	for _, body := range []string{
		`{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"openai/gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}`,
	} {
		if resp, out := post(t, client, gw+"/v1/chat/completions", body); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", body, resp.StatusCode, out)
		}
	}
	_, metrics := get(t, client, gw+"/metrics")
	if promtool, err := exec.LookPath("promtool"); err == nil {
		// The built binary's metrics, the configuration's included, pass promtool's lint.
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = bytes.NewReader(metrics)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics: %v\n%s", err, out)
		}
	}
	exported := map[string]bool{}
	for _, line := range strings.Split(string(metrics), "\n") {
		if name := metricName.FindString(line); name != "" && strings.HasPrefix(line, name) {
			exported[name] = true
		}
	}
	var missing []string
	for name := range queried {
		if !exported[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("the dashboard queries metrics that /metrics does not have: %v", missing)
	}
}
