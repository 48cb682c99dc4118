package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
)

// pythonE2EEnv, set to 1 (as `make test` does), turns the skip of TestPythonSDKs (no venv
// made by `make python-deps`) into a failure.
const pythonE2EEnv = "BIFROST_PYTHON_E2E"

// pythonTimeout bounds the whole Python run.
const pythonTimeout = 2 * time.Minute

// TestPythonSDKs runs python/test_sdks.py (the official openai and anthropic Python packages,
// pointed at the gateway by their base URL only) against a freshly built bifrost-http binary
// and mock providers, all on 127.0.0.1 ports chosen when the test starts. The venv with the
// pinned packages is python/.venv, made by `make python-deps`.
func TestPythonSDKs(t *testing.T) {
	dir, err := filepath.Abs("python")
	if err != nil {
		t.Fatal(err)
	}
	py := filepath.Join(dir, ".venv", "bin", "python")
	if _, err := os.Stat(py); err != nil {
		why := "server/e2e/python/.venv is missing: run make python-deps"
		if os.Getenv(pythonE2EEnv) == "1" {
			t.Fatalf("%s (%s=1 makes this a failure)", why, pythonE2EEnv)
		}
		t.Skipf("%s (set %s=1 to make this a failure)", why, pythonE2EEnv)
	}

	// An OpenAI-format provider (answers in text), an Anthropic-format one (answers a request
	// with tools by calling the first tool), and an OpenAI-compatible one that answers every
	// request with 429.
	oai, oaiURL := startMock(t, mocks.Config{RequireKey: mockKey, Latency: 2 * time.Millisecond, StreamChunks: 8, Record: true})
	anth, anthURL := startMock(t, mocks.Config{Format: mocks.FormatAnthropic, RequireKey: mockKey, Latency: 2 * time.Millisecond, StreamChunks: 5, Record: true})
	_, busyURL := startMock(t, mocks.Config{RequireKey: mockKey, Rate429: 1, RetryAfter: 1})
	key := `"value":"` + mockKey + `","weight":1`
	gw, _ := startBuiltGateway(t, `{"providers":{
		"openai":{"keys":[{"name":"k",`+key+`,"models":["*"]}],"network_config":{"base_url":"`+oaiURL+`","max_retries":0}},
		"anthropic":{"keys":[{"name":"k",`+key+`,"models":["claude-3-5-haiku-20241022"]}],"network_config":{"base_url":"`+anthURL+`","max_retries":0}},
		"groq":{"keys":[{"name":"k",`+key+`,"models":["*"]}],"network_config":{"base_url":"`+busyURL+`","max_retries":0}}}}`)

	ctx, cancel := context.WithTimeout(context.Background(), pythonTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "test_sdks.py")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"BIFROST_BASE_URL="+gw,
		"BIFROST_CHAT_MODEL=openai/gpt-4o-mini",
		"BIFROST_TOOL_MODEL=anthropic/claude-3-5-haiku-20241022",
		"BIFROST_LIMITED_MODEL=anthropic/claude-no-key-allows-this",
		"BIFROST_429_MODEL=groq/llama-3.1-8b-instant",
		"BIFROST_MOCK_COUNT="+strconv.Itoa(mocks.CountTokens(1, 0, true)),
		"PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1")
	ownProcessGroup(cmd)
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = cmd.Run()
	killProcessGroup(cmd)
	if err != nil {
		if ctx.Err() != nil {
			t.Fatalf("python test_sdks.py did not finish within %v:\n%s", pythonTimeout, out.String())
		}
		t.Fatalf("python test_sdks.py failed (%v) after %v:\n%s", err, time.Since(start).Round(time.Millisecond), out.String())
	}
	t.Logf("python test_sdks.py passed in %v:\n%s", time.Since(start).Round(time.Millisecond), out.String())

	// What reached the OpenAI-format provider: every request with the configured key, never
	// the client's, and the tool round in OpenAI's own shape.
	var toolRound bool
	for _, r := range oai.Requests() {
		if got := r.Header["Authorization"]; got != "Bearer "+mockKey {
			t.Errorf("%s %s reached the provider with Authorization %q, want the configured key", r.Method, r.Path, got)
		}
		if r.Path == "/v1/chat/completions" && hasToolRound(r.Body) {
			toolRound = true
		}
	}
	if !toolRound {
		t.Error("the OpenAI-format provider never received the assistant's tool_calls and the tool's result")
	}
	checkAnthropicFidelity(t, anth.Requests())
}

// checkAnthropicFidelity checks what the Python tests sent through /anthropic reached the
// Anthropic-format mock as Anthropic's SDK sent it: count_tokens at its own endpoint, and the
// beta header and the server tool unchanged.
func checkAnthropicFidelity(t *testing.T, reqs []mocks.RecordedRequest) {
	t.Helper()
	var counted, beta bool
	for _, r := range reqs {
		switch r.Path {
		case "/v1/messages/count_tokens":
			counted = true
		case "/v1/messages":
			if r.Header["Anthropic-Beta"] == "files-api-2025-04-14,interleaved-thinking-2025-05-14" &&
				strings.Contains(string(r.Body), `"tools":[{"type":"web_search_20250305","name":"web_search","max_uses":2}]`) {
				beta = true
			}
		}
	}
	if !counted {
		t.Error("count_tokens never reached the Anthropic mock's /v1/messages/count_tokens")
	}
	if !beta {
		t.Error("the Anthropic mock never got the beta header and the web_search server tool as the SDK sent them")
	}
}

// hasToolRound reports whether an OpenAI chat request body carries an assistant turn with a
// tool call and the tool's result for it, in OpenAI's own shape. It decodes the body: the
// passthrough path forwards the client's bytes, with the client's spacing and member order.
func hasToolRound(body []byte) bool {
	var req struct {
		Messages []struct {
			Role       string `json:"role"`
			Content    any    `json:"content"`
			ToolCallID string `json:"tool_call_id"`
			ToolCalls  []struct {
				ID string `json:"id"`
			} `json:"tool_calls"`
		} `json:"messages"`
	}
	if json.Unmarshal(body, &req) != nil {
		return false
	}
	var call, result bool
	for _, m := range req.Messages {
		switch {
		case m.Role == "assistant" && len(m.ToolCalls) > 0 && m.ToolCalls[0].ID != "":
			call = true
		case m.Role == "tool" && m.Content == "Retries use backoff with jitter." && m.ToolCallID != "":
			result = true
		}
	}
	return call && result
}
