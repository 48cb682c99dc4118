package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
)

const adminKey = "admin-key-7c2e9b41d0"

// configVersions is the answer of GET /admin/config/versions.
type configVersions struct {
	Serving  int `json:"serving"`
	Versions []struct {
		Version int      `json:"version"`
		Hash    string   `json:"hash"`
		Source  string   `json:"source"`
		Changes []string `json:"changes"`
	} `json:"versions"`
}

// admin sends an admin request with key ("" for none) and returns the status and body.
func admin(t *testing.T, method, url, key string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, readAll(t, resp)
}

var configInfo = regexp.MustCompile(`bifrost_config_info\{hash="([0-9a-f]+)",version="([0-9]+)"\} 1`)

// servingMetric returns the version and hash that /metrics shows.
func servingMetric(t *testing.T, url string) (version, hash string) {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	m := configInfo.FindAllStringSubmatch(string(body), -1)
	if len(m) != 1 {
		t.Fatalf("/metrics has %d bifrost_config_info series, want 1", len(m))
	}
	return m[0][2], m[0][1]
}

// TestConfigVersions walks the versions of a running gateway: start, reload (new version),
// bad reload (version kept), rollback under load (no request lost), a later file change
// (wins over the rollback), and the admin endpoints' key.
func TestConfigVersions(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the gateway")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_, mockURL := startMock(t, mocks.Config{RequireKey: mockKey, Latency: 5 * time.Millisecond})
	cfgPath := filepath.Join(t.TempDir(), "config.json")
	write := func(s string) {
		if err := os.WriteFile(cfgPath, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	client := `"client":{"admin_keys":["` + adminKey + `"]}`
	v1 := `{` + client + `,"providers":{` + providerJSON("openai", mockURL) + `}}`
	v2 := `{` + client + `,"providers":{` + providerJSON("openai", mockURL) + `,` + providerJSON("groq", mockURL) + `}}`
	write(v1)
	g := launchBinary(t, ctx, buildGateway(t, ctx), "-config", cfgPath, "-host", "127.0.0.1", "-port", "0", "-watch", "0")
	waitLog(t, g, "config_version=1", 1)
	if v, _ := servingMetric(t, g.url); v != "1" {
		t.Errorf("metric version %s at start, want 1", v)
	}

	// The admin endpoints need the admin key.
	for _, key := range []string{"", "wrong-key-0000000000"} {
		if status, _ := admin(t, "GET", g.url+"/admin/config/versions", key); status != http.StatusUnauthorized {
			t.Errorf("versions with key %q: status %d, want 401", key, status)
		}
	}

	// A reload is a new version, with its changes.
	write(v2)
	g.cmd.Process.Signal(syscall.SIGHUP) //nolint:errcheck
	waitLog(t, g, "config_version=2", 1)
	v, hash2 := servingMetric(t, g.url)
	if v != "2" {
		t.Errorf("metric version %s after a reload, want 2", v)
	}

	// A bad reload keeps the version.
	write(`{"providers":{"openai":{"keys":[`)
	g.cmd.Process.Signal(syscall.SIGHUP) //nolint:errcheck
	waitLog(t, g, "config reload refused", 1)
	if v, h := servingMetric(t, g.url); v != "2" || h != hash2 {
		t.Errorf("metric %s/%s after a bad reload, want 2/%s", v, h, hash2)
	}

	status, body := admin(t, "GET", g.url+"/admin/config/versions", adminKey)
	var list configVersions
	if err := json.Unmarshal(body, &list); err != nil || status != http.StatusOK {
		t.Fatalf("versions: %d %s", status, body)
	}
	if list.Serving != 2 || len(list.Versions) != 2 || list.Versions[1].Source != "reload" ||
		!strings.Contains(strings.Join(list.Versions[1].Changes, "\n"), "provider groq added: 1 keys ([k])") {
		t.Errorf("versions: %s", body)
	}
	if bytes.Contains(body, []byte(mockKey)) {
		t.Error("the history shows a provider key")
	}

	// Rollbacks under load lose no request.
	l := startLoad(g.url, "openai/gpt-4o-mini", 4, 100000)
	time.Sleep(200 * time.Millisecond)
	for i := 0; i < 6; i++ { // versions 3 to 8; the default history keeps 10
		to := []string{"1", "2"}[i%2]
		if status, body := admin(t, "POST", g.url+"/admin/config/rollback?version="+to, adminKey); status != http.StatusOK {
			t.Fatalf("rollback to %s: %d %s", to, status, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	l.finish(t)
	// The last rollback was to version 2 (groq); roll back to 1 once more: no groq.
	if status, body := admin(t, "POST", g.url+"/admin/config/rollback?version=1", adminKey); status != http.StatusOK {
		t.Fatalf("rollback: %d %s", status, body)
	}
	waitLog(t, g, "config rolled back", 7)
	if v, _ := servingMetric(t, g.url); v != "9" {
		t.Errorf("metric version %s after 7 rollbacks, want 9", v)
	}
	resp, body := post(t, http.DefaultClient, g.url+"/v1/chat/completions", `{"model":"groq/llama","messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode == http.StatusOK {
		t.Errorf("after the rollback to version 1, groq still answers: %s", body)
	}
	if status, _ := admin(t, "POST", g.url+"/admin/config/rollback?version=99", adminKey); status != http.StatusNotFound {
		t.Errorf("rollback to a version never kept: %d, want 404", status)
	}

	// A later change of the file wins over the rollback.
	write(v2)
	g.cmd.Process.Signal(syscall.SIGHUP) //nolint:errcheck
	waitLog(t, g, "config_version=10", 1)
	resp, body = post(t, http.DefaultClient, g.url+"/v1/chat/completions", `{"model":"groq/llama","messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("after the file changed again, groq/llama: %d %s", resp.StatusCode, body)
	}
	if err := g.stop(os.Interrupt, 15*time.Second); err != nil {
		t.Error(err)
	}
	if strings.Contains(g.logs.String(), mockKey) || strings.Contains(g.logs.String(), adminKey) {
		t.Error("the gateway logged a key")
	}
}

// TestCheckFlag checks that -check accepts a good config without serving, and refuses a bad
// one with exactly the errors a start prints.
func TestCheckFlag(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the gateway")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bin := buildGateway(t, ctx)
	dir := t.TempDir()
	tests := []struct {
		name, config string
		ok           bool
	}{
		{"good", launchPostConfig, true},
		{"bad field", `{
  "openai": {"keys": [{"value": "sk-1", "weight": -1}]},
  "config_store": {}
}`, false},
		{"mixed shapes", `{"providers": {"groq": {"keys": [{"value": "k"}]}},
"openai": {"keys": [{"value": "k"}]}}`, false},
		{"unknown plugin", `{"openai": {"keys": [{"value": "k"}]}, "plugins": [{"name": "nope", "enabled": true}]}`, false},
		{"syntax", `{"openai": {`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".json")
			if err := os.WriteFile(path, []byte(tt.config), 0o600); err != nil {
				t.Fatal(err)
			}
			runBin := func(args ...string) (string, error) {
				cmd := exec.CommandContext(ctx, bin, args...)
				cmd.Env = append(childEnv(), "OPENAI_API_KEY=sk-check")
				var out bytes.Buffer
				cmd.Stderr = &out
				err := cmd.Run()
				return out.String(), err
			}
			checkOut, checkErr := runBin("-check", "-config", path)
			if tt.ok {
				if checkErr != nil || !strings.Contains(checkOut, "config ok") {
					t.Fatalf("-check: %v\n%s", checkErr, checkOut)
				}
				return
			}
			if checkErr == nil {
				t.Fatalf("-check accepted a bad config:\n%s", checkOut)
			}
			// A start with the same file fails before listening, with the same errors.
			startOut, startErr := runBin("-config", path, "-port", "0")
			if startErr == nil {
				t.Fatal("the start accepted the config")
			}
			if got, want := errorLines(checkOut), errorLines(startOut); got != want || got == "" {
				t.Errorf("-check said\n%s\nthe start said\n%s", got, want)
			}
			if !strings.Contains(errorLines(checkOut), path+":") {
				t.Errorf("no file:line error: %s", checkOut)
			}
		})
	}
}

// errorLines returns the lines of a bifrost-http output that are not log lines.
func errorLines(out string) string {
	var keep []string
	for _, line := range strings.Split(out, "\n") {
		if line != "" && !strings.HasPrefix(line, "time=") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}
