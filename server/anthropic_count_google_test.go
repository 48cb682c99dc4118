package server

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/mocks"
)

// countOn posts a count_tokens request and returns the answer's input_tokens, failing the
// test on anything but a 200 with that one member.
func countOn(t *testing.T, p *inProcess, body string) int {
	t.Helper()
	ctx := newCtx("POST", "/anthropic/v1/messages/count_tokens", []byte(body))
	ctx.Request.Header.Set("anthropic-beta", betaValue)
	p.do(ctx)
	var got map[string]int
	if err := json.Unmarshal(ctx.Response.Body(), &got); ctx.Response.StatusCode() != 200 || err != nil || len(got) != 1 {
		t.Fatalf("status %d (%v): %s", ctx.Response.StatusCode(), err, ctx.Response.Body())
	}
	return got["input_tokens"]
}

// countBody is a count_tokens request for model with a system prompt, three messages and
// one tool, as Claude Code sends them.
func countBody(model string) string {
	return `{"model":"` + model + `","system":[{"type":"text","text":"You are Claude Code."}],"messages":[` +
		`{"role":"user","content":"Read main.go"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"read","input":{"path":"main.go"}}]},` +
		`{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"package main"}]}],` +
		`"tools":[{"name":"read","description":"Read a file","input_schema":{"type":"object","properties":{"path":{"type":"string"}}}}],"tool_choice":{"type":"auto"}}`
}

// TestCountTokensGemini checks count_tokens for a Gemini target: Gemini's countTokens, with
// the whole request as generateContentRequest, and the mock's totalTokens as input_tokens.
func TestCountTokensGemini(t *testing.T) {
	p := newInProcess(t, mocks.Config{Format: mocks.FormatGemini, Record: true}, `{"providers":{"gemini":{"keys":[{"name":"k","value":"`+
		inProcessKey+`","models":["*"],"weight":1}],"network_config":{"base_url":"http://mock.inmemory","max_retries":0}}}}`)
	// Three turns: user, model (the function call), user (the function response).
	if got, want := countOn(t, p, countBody("gemini/gemini-2.0-flash")), mocks.CountTokens(3, 1, true); got != want {
		t.Errorf("input_tokens %d, want the mock's %d", got, want)
	}
	r := p.mock.Requests()[0]
	if r.Path != "/v1beta/models/gemini-2.0-flash:countTokens" || !strings.HasPrefix(string(r.Body), `{"generateContentRequest":{"model":"models/gemini-2.0-flash","contents":[`) {
		t.Errorf("the mock got %s %s", r.Path, r.Body)
	}
	if _, ok := r.Header["Anthropic-Beta"]; ok {
		t.Error("Gemini got the anthropic-beta header")
	}
}

// TestCountTokensVertex checks count_tokens for Vertex AI: a Claude model goes to
// count-tokens:rawPredict with the model in the body and the beta header, a Gemini model to
// countTokens without toolConfig; each answer is the mock's count.
func TestCountTokensVertex(t *testing.T) {
	pk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	sa, _ := json.Marshal(map[string]string{
		"type": "service_account", "client_email": "bifrost@example.iam.gserviceaccount.com", "private_key_id": "k1",
		"private_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: mustPKCS8(t, pk)})),
		"token_uri":   "http://mock.inmemory" + mocks.VertexTokenPath,
	})
	p := newInProcess(t, mocks.Config{Format: mocks.FormatVertex, Record: true}, `{"providers":{"vertex":{"keys":[{"name":"v","models":["*"],"weight":1,`+
		`"vertex_key_config":{"project_id":"p","region":"us-east5","auth_credentials":`+jsonString(string(sa))+`}}],"network_config":{"base_url":"http://mock.inmemory","max_retries":0}}}}`)
	const base = "/v1/projects/p/locations/us-east5/publishers/"
	for _, c := range []struct {
		model, path, body string
		beta              bool
		want              int
	}{
		{"claude-sonnet-4@20250514", base + "anthropic/models/count-tokens:rawPredict",
			`{"anthropic_version":"vertex-2023-10-16","model":"claude-sonnet-4@20250514","system":`, true, mocks.CountTokens(3, 1, true)},
		{"gemini-2.0-flash", base + "google/models/gemini-2.0-flash:countTokens", `{"contents":[`, false, mocks.CountTokens(3, 1, true)},
	} {
		t.Run(c.model, func(t *testing.T) {
			if got := countOn(t, p, countBody("vertex/"+c.model)); got != c.want {
				t.Errorf("input_tokens %d, want the mock's %d", got, c.want)
			}
			reqs := p.mock.Requests()
			r := reqs[len(reqs)-1]
			if r.Path != c.path || !strings.HasPrefix(string(r.Body), c.body) || strings.Contains(string(r.Body), "toolConfig") {
				t.Errorf("the mock got %s %s", r.Path, r.Body)
			}
			if got := r.Header["Anthropic-Beta"]; (got == betaValue) != c.beta {
				t.Errorf("anthropic-beta %q reached Vertex for %s", got, c.model)
			}
		})
	}
	// A message to Claude on Vertex (rawPredict) carries the beta header too.
	ctx := newCtx("POST", "/anthropic/v1/messages", []byte(`{"model":"vertex/claude-sonnet-4@20250514","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`))
	ctx.Request.Header.Set("anthropic-beta", betaValue)
	p.do(ctx)
	reqs := p.mock.Requests()
	if r := reqs[len(reqs)-1]; ctx.Response.StatusCode() != 200 || !strings.HasSuffix(r.Path, ":rawPredict") || r.Header["Anthropic-Beta"] != betaValue {
		t.Errorf("status %d; the mock got %s with anthropic-beta %q", ctx.Response.StatusCode(), r.Path, r.Header["Anthropic-Beta"])
	}
}

// TestCountTokensBedrock checks count_tokens for Bedrock: CountTokens with the Converse
// request as input.converse, and the mock's inputTokens as input_tokens.
func TestCountTokensBedrock(t *testing.T) {
	p := newInProcess(t, mocks.Config{Format: mocks.FormatBedrock, Record: true}, `{"providers":{"bedrock":{"keys":[{"name":"b","models":["*"],"weight":1,`+
		`"bedrock_key_config":{"access_key":"`+inProcessKey+`","secret_key":"s","region":"us-east-1"}}],"network_config":{"base_url":"http://mock.inmemory","max_retries":0}}}}`)
	// Converse merges the tool result into a user turn: three messages.
	body := strings.Replace(countBody("bedrock/anthropic.claude-sonnet-4-20250514-v1:0"), `"messages":[`, `"max_tokens":1024,"temperature":0.5,"messages":[`, 1)
	if got, want := countOn(t, p, body), mocks.CountTokens(3, 1, true); got != want {
		t.Errorf("input_tokens %d, want the mock's %d", got, want)
	}
	r := p.mock.Requests()[0]
	if r.Path != "/model/anthropic.claude-sonnet-4-20250514-v1:0/count-tokens" || !strings.HasPrefix(string(r.Body), `{"input":{"converse":{"messages":[`) ||
		strings.Contains(string(r.Body), "inferenceConfig") {
		t.Errorf("the mock got %s %s", r.Path, r.Body)
	}
}
