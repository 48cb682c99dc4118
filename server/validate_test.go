package server

import (
	"encoding/json"
	"testing"

	"github.com/bifrost-gw/bifrost/mocks"
)

// TestRequiredMembers checks the weak spot of issue 10: a /v1 request without a member that
// every provider requires is answered 400 invalid_request_error naming the member in param,
// and never reaches the provider; complete requests are served as before.
func TestRequiredMembers(t *testing.T) {
	p := newInProcess(t, mocks.Config{}, `{"aliases":{"fast":"openai/gpt-4o-mini"},"providers":{"openai":{"keys":[{"name":"k","value":"`+inProcessKey+`","models":["*"],"weight":1}],
		"network_config":{"base_url":"http://mock.inmemory"}}}}`)
	const (
		chat  = "/v1/chat/completions"
		text  = "/v1/completions"
		embed = "/v1/embeddings"
		user  = `{"role":"user","content":"hi"}`
	)
	cases := []struct {
		name, path, body string
		param, code      string // "" for a request that must succeed
	}{
		{"chat without messages", chat, `{"model":"openai/gpt-4o-mini"}`, "messages", codeMissingParam},
		{"chat with null messages", chat, `{"model":"openai/gpt-4o-mini","messages":null}`, "messages", codeMissingParam},
		{"chat with no message", chat, `{"model":"openai/gpt-4o-mini","messages":[]}`, "messages", codeMissingParam},
		{"stream without messages", chat, `{"model":"openai/gpt-4o-mini","stream":true}`, "messages", codeMissingParam},
		{"openai prefix without messages", "/openai/v1/chat/completions", `{"model":"openai/gpt-4o-mini"}`, "messages", codeMissingParam},
		{"azure deployment without messages", "/openai/deployments/fast/chat/completions?api-version=2024-10-21", `{}`, "messages", codeMissingParam},
		{"message without role", chat, `{"model":"openai/gpt-4o-mini","messages":[{"content":"hi"}]}`, "messages[0].role", codeMissingParam},
		{"unknown role", chat, `{"model":"openai/gpt-4o-mini","messages":[` + user + `,{"role":"bot","content":"x"}]}`, "messages[1].role", codeInvalidValue},
		{"tool message without tool_call_id", chat, `{"model":"openai/gpt-4o-mini","messages":[` + user +
			`,{"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","content":"42"}]}`,
			"messages[2].tool_call_id", codeMissingParam},
		{"n zero", chat, `{"model":"openai/gpt-4o-mini","n":0,"messages":[` + user + `]}`, "n", codeBelowMin},
		{"n negative", chat, `{"model":"openai/gpt-4o-mini","n":-1,"messages":[` + user + `]}`, "n", codeBelowMin},
		{"negative max_tokens", chat, `{"model":"openai/gpt-4o-mini","max_tokens":-1,"messages":[` + user + `]}`, "max_tokens", codeBelowMin},
		{"negative max_completion_tokens", chat, `{"model":"openai/gpt-4o-mini","max_completion_tokens":-5,"messages":[` + user + `]}`, "max_completion_tokens", codeBelowMin},
		{"chat without model", chat, `{"messages":[` + user + `]}`, "model", "missing_model"},
		{"text without prompt", text, `{"model":"openai/gpt-3.5-turbo-instruct"}`, "prompt", codeMissingParam},
		{"text with null prompt", text, `{"model":"openai/gpt-3.5-turbo-instruct","prompt":null}`, "prompt", codeMissingParam},
		{"text with n zero", text, `{"model":"openai/gpt-3.5-turbo-instruct","prompt":"hi","n":0}`, "n", codeBelowMin},
		{"text with negative max_tokens", text, `{"model":"openai/gpt-3.5-turbo-instruct","prompt":"hi","max_tokens":-2}`, "max_tokens", codeBelowMin},
		{"embeddings without input", embed, `{"model":"openai/text-embedding-3-small"}`, "input", codeMissingParam},
		{"embeddings with null input", embed, `{"model":"openai/text-embedding-3-small","input":null}`, "input", codeMissingParam},
		{"embeddings with empty input", embed, `{"model":"openai/text-embedding-3-small","input":""}`, "input", codeInvalidValue},
		{"embeddings with zero dimensions", embed, `{"model":"openai/text-embedding-3-small","input":"hi","dimensions":0}`, "dimensions", codeBelowMin},

		{"chat", chat, `{"model":"openai/gpt-4o-mini","messages":[` + user + `]}`, "", ""},
		{"chat with every role and limits", chat, `{"model":"openai/gpt-4o-mini","n":1,"max_tokens":16,"max_completion_tokens":0,"messages":[` +
			`{"role":"system","content":"s"},{"role":"developer","content":"d"},` + user +
			`,{"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},` +
			`{"role":"tool","tool_call_id":"call_1","content":"42"},{"role":"function","name":"f","content":"1"}]}`, "", ""},
		{"chat on an azure deployment without model", "/openai/deployments/fast/chat/completions?api-version=2024-10-21", `{"messages":[` + user + `]}`, "", ""},
		{"text", text, `{"model":"openai/gpt-3.5-turbo-instruct","prompt":"hi","max_tokens":0}`, "", ""},
		{"text with an empty prompt", text, `{"model":"openai/gpt-3.5-turbo-instruct","prompt":""}`, "", ""},
		{"embeddings", embed, `{"model":"openai/text-embedding-3-small","input":["a","b"],"dimensions":8}`, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := p.mock.Stats().Total
			ctx := newCtx("POST", c.path, []byte(c.body))
			p.do(ctx)
			ctx.Response.Body() // runs a stream to its end
			status := ctx.Response.StatusCode()
			if c.param == "" {
				if status != 200 {
					t.Fatalf("status %d, want 200: %s", status, ctx.Response.Body())
				}
				return
			}
			if status != 400 {
				t.Fatalf("status %d, want 400: %s", status, ctx.Response.Body())
			}
			var body struct {
				Error struct {
					Type  string `json:"type"`
					Param string `json:"param"`
					Code  string `json:"code"`
				} `json:"error"`
			}
			if err := json.Unmarshal(ctx.Response.Body(), &body); err != nil {
				t.Fatalf("body is not JSON: %s", ctx.Response.Body())
			}
			if body.Error.Type != "invalid_request_error" || body.Error.Param != c.param || body.Error.Code != c.code {
				t.Errorf("error %s, want type invalid_request_error, param %q, code %q", ctx.Response.Body(), c.param, c.code)
			}
			if n := p.mock.Stats().Total - before; n != 0 {
				t.Errorf("the invalid request reached the provider (%d requests)", n)
			}
		})
	}
}
