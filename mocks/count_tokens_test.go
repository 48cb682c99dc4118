package mocks

import (
	"strconv"
	"strings"
	"testing"
)

// TestAnthropicCountTokens checks the Anthropic format's count_tokens: the mock's own count,
// and the refusals of what that endpoint does not take.
func TestAnthropicCountTokens(t *testing.T) {
	const key, version = "sk-ant-test", "2023-06-01"
	s := newServer(t, Config{Format: FormatAnthropic, RequireKey: key})
	for _, c := range []struct {
		name, body, key string
		status          int
		want            string
	}{
		{"counted", `{"model":"m","system":"S","messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}],"tools":[{"type":"web_search_20250305","name":"web_search"}]}`, key, 200,
			`{"input_tokens":` + strconv.Itoa(CountTokens(2, 1, true)) + `}`},
		{"max_tokens refused", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"a"}]}`, key, 400,
			`{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Extra inputs are not permitted"}}`},
		{"no messages", `{"model":"m"}`, key, 400, `{"type":"error","error":{"type":"invalid_request_error","message":"messages: Field required"}}`},
		{"wrong key", `{"model":"m","messages":[{"role":"user","content":"a"}]}`, "nope", 401,
			`{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := callAnthropic(t, s, "POST", "/v1/messages/count_tokens", c.body, c.key, version)
			if r.status != c.status || string(r.body) != c.want {
				t.Errorf("%d %s, want %d %s", r.status, r.body, c.status, c.want)
			}
		})
	}
}

// TestCountTokensOtherFormats checks Gemini's, Vertex AI's and Bedrock's token counting.
func TestCountTokensOtherFormats(t *testing.T) {
	for _, c := range []struct {
		name   string
		cfg    Config
		path   string
		body   string
		status int
		want   string
	}{
		{"gemini generateContentRequest", Config{Format: FormatGemini}, "/v1beta/models/gemini-2.0-flash:countTokens",
			`{"generateContentRequest":{"model":"models/gemini-2.0-flash","contents":[{"role":"user","parts":[{"text":"a"}]}],"systemInstruction":{"parts":[{"text":"S"}]},"tools":[{"functionDeclarations":[{"name":"f"},{"name":"g"}]}]}}`,
			200, `{"totalTokens":` + strconv.Itoa(CountTokens(1, 2, true)) + `}`},
		{"gemini wrong model", Config{Format: FormatGemini}, "/v1beta/models/gemini-2.0-flash:countTokens",
			`{"generateContentRequest":{"model":"models/other","contents":[{"role":"user","parts":[{"text":"a"}]}]}}`, 400, `generateContentRequest.model`},
		{"vertex gemini without toolConfig", Config{Format: FormatVertex}, "/v1/projects/p/locations/us-east5/publishers/google/models/gemini-2.0-flash:countTokens",
			`{"contents":[{"role":"user","parts":[{"text":"a"}]}],"toolConfig":{}}`, 400, `Unknown name \"toolConfig\"`},
		{"vertex claude", Config{Format: FormatVertex}, "/v1/projects/p/locations/us-east5/publishers/anthropic/models/count-tokens:rawPredict",
			`{"anthropic_version":"vertex-2023-10-16","model":"claude-sonnet-4@20250514","messages":[{"role":"user","content":"a"}]}`,
			200, `{"input_tokens":` + strconv.Itoa(CountTokens(1, 0, false)) + `}`},
		{"vertex claude without version", Config{Format: FormatVertex}, "/v1/projects/p/locations/us-east5/publishers/anthropic/models/count-tokens:rawPredict",
			`{"model":"claude-sonnet-4@20250514","messages":[{"role":"user","content":"a"}]}`, 400, `anthropic_version`},
		{"bedrock converse", Config{Format: FormatBedrock}, "/model/anthropic.claude-sonnet-4-20250514-v1:0/count-tokens",
			`{"input":{"converse":{"messages":[{"role":"user","content":[{"text":"a"}]}],"system":[{"text":"S"}],"toolConfig":{"tools":[{"toolSpec":{"name":"f"}}]}}}}`,
			200, `{"inputTokens":` + strconv.Itoa(CountTokens(1, 1, true)) + `}`},
		{"bedrock inferenceConfig refused", Config{Format: FormatBedrock}, "/model/m/count-tokens",
			`{"input":{"converse":{"messages":[{"role":"user","content":[{"text":"a"}]}],"inferenceConfig":{"maxTokens":5}}}}`, 400, `extraneous key [inferenceConfig]`},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newServer(t, c.cfg)
			r := call(t, s, "POST", c.path, c.body, "")
			if r.status != c.status || !strings.Contains(string(r.body), c.want) {
				t.Errorf("%d %s, want %d with %s", r.status, r.body, c.status, c.want)
			}
		})
	}
}
