package e2e

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
)

// TestPromtoolCheckMetrics runs Prometheus' own linter (promtool, Debian package prometheus)
// on the gateway's live /metrics output after traffic of every kind. With
// BIFROST_PROMTOOL=1 (set by .ci/run) a missing promtool fails the test; otherwise it skips.
func TestPromtoolCheckMetrics(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("BIFROST_PROMTOOL") == "1" {
			t.Fatal("promtool is not installed: apt-get install prometheus")
		}
		t.Skip("promtool is not installed (apt-get install prometheus)")
	}
	_, mockURL := startMock(t, mocks.Config{RequireKey: mockKey, StreamChunks: 3})
	gw := startGateway(t, `{"providers":{`+providerJSON("openai", mockURL)+`,"groq":{"keys":[{"name":"k","value":"sk-wrong-0000000000","weight":1}],"network_config":{"base_url":"`+mockURL+`"}}}}`, nil)
	client := &http.Client{Timeout: 10 * time.Second}
	for _, body := range []string{
		`{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"openai/gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"groq/llama","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"nope/x","messages":[{"role":"user","content":"hi"}]}`,
	} {
		resp, _ := post(t, client, gw+"/v1/chat/completions", body)
		_ = resp
	}
	post(t, client, gw+"/v1/embeddings", `{"model":"openai/text-embedding-3-small","input":"hi"}`)
	resp, metrics := get(t, client, gw+"/metrics")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	for _, want := range []string{"bifrost_requests_total", "bifrost_gateway_overhead_seconds_bucket", "bifrost_stage_seconds_total"} {
		if !bytes.Contains(metrics, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(metrics)
	if out, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
	if bytes.Contains(metrics, []byte("sk-wrong")) || bytes.Contains(metrics, []byte(mockKey)) {
		t.Error("/metrics shows a key")
	}
}
