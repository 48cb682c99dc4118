package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
)

// TestAnthropicEndToEnd sends OpenAI-shaped requests through the gateway to the mock
// provider speaking Anthropic's Messages API: plain, streamed and tool calls, a 529 that is
// retried, and the model list. The mock checks x-api-key and anthropic-version.
func TestAnthropicEndToEnd(t *testing.T) {
	checkNoGoroutineLeak(t)
	mock, mockURL := startMock(t, mocks.Config{Format: mocks.FormatAnthropic, RequireKey: mockKey, Latency: 2 * time.Millisecond,
		StreamChunks: 5, Record: true, FailFirst: []int{529}})
	gw := startGateway(t, `{"providers":{"anthropic":{"keys":[{"name":"k","value":"`+mockKey+`","models":["*"],"weight":1}],`+
		`"network_config":{"base_url":"`+mockURL+`","max_retries":1,"retry_backoff_initial":"1ms","retry_backoff_max":"5ms"}}}}`, nil)
	client := &http.Client{Timeout: 30 * time.Second}
	t.Cleanup(client.CloseIdleConnections)

	type chatResponse struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Model   string `json:"model"`
		Choices []struct {
			Message struct {
				Role      string  `json:"role"`
				Content   *string `json:"content"`
				ToolCalls []struct {
					ID       string `json:"id"`
					Type     string `json:"type"`
					Function struct {
						Name      string `json:"name"`
						Arguments string `json:"arguments"`
					} `json:"function"`
				} `json:"tool_calls"`
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
		Usage struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
			TotalTokens      int `json:"total_tokens"`
		} `json:"usage"`
	}

	t.Run("plain, after a retried 529", func(t *testing.T) {
		resp, body := post(t, client, gw+"/v1/chat/completions",
			`{"model":"anthropic/claude-3-5-haiku-20241022","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say hello."}]}`)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s\n%s", resp.Status, body)
		}
		var r chatResponse
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatal(err)
		}
		if r.Object != "chat.completion" || r.Model != "claude-3-5-haiku-20241022" || !strings.HasPrefix(r.ID, "msg_") || len(r.Choices) != 1 ||
			r.Choices[0].Message.Role != "assistant" || r.Choices[0].Message.Content == nil || *r.Choices[0].Message.Content == "" ||
			r.Choices[0].FinishReason != "stop" || r.Usage.TotalTokens != r.Usage.PromptTokens+r.Usage.CompletionTokens || r.Usage.CompletionTokens == 0 {
			t.Errorf("unexpected answer:\n%s", body)
		}
		reqs := mock.Requests()
		if len(reqs) != 2 {
			t.Fatalf("the mock got %d requests, want 2 (a 529, then the retry)", len(reqs))
		}
		last := reqs[1]
		if last.Method != "POST" || last.Path != "/v1/messages" || last.Header["X-Api-Key"] != mockKey ||
			last.Header["Anthropic-Version"] != "2023-06-01" || last.Header["Authorization"] != "" {
			t.Errorf("request to the provider: %s %s headers %v", last.Method, last.Path, last.Header)
		}
		var sent struct {
			Model     string          `json:"model"`
			MaxTokens int             `json:"max_tokens"`
			System    string          `json:"system"`
			Messages  json.RawMessage `json:"messages"`
		}
		if err := json.Unmarshal(last.Body, &sent); err != nil || sent.Model != "claude-3-5-haiku-20241022" || sent.MaxTokens != 4096 ||
			sent.System != "Be brief." || string(sent.Messages) != `[{"role":"user","content":"Say hello."}]` {
			t.Errorf("body sent to the provider (%v): %s", err, last.Body)
		}
	})

	t.Run("stream", func(t *testing.T) {
		resp, body := post(t, client, gw+"/v1/chat/completions",
			`{"model":"anthropic/claude-3-5-sonnet-20241022","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Count to three."}]}`)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("%s %s\n%s", resp.Status, resp.Header.Get("Content-Type"), body)
		}
		events := sseData(body)
		if len(events) < 4 || events[len(events)-1] != "[DONE]" {
			t.Fatalf("want chunks ending in [DONE]:\n%s", body)
		}
		var content, finish, role string
		usage := 0
		for i, ev := range events[:len(events)-1] {
			var c struct {
				ID      string `json:"id"`
				Object  string `json:"object"`
				Model   string `json:"model"`
				Choices []struct {
					Delta struct {
						Role    string `json:"role"`
						Content string `json:"content"`
					} `json:"delta"`
					FinishReason *string `json:"finish_reason"`
				} `json:"choices"`
				Usage *struct {
					TotalTokens int `json:"total_tokens"`
				} `json:"usage"`
			}
			if err := json.Unmarshal([]byte(ev), &c); err != nil {
				t.Fatalf("%v: %s", err, ev)
			}
			if c.Object != "chat.completion.chunk" || c.Model != "claude-3-5-sonnet-20241022" || !strings.HasPrefix(c.ID, "msg_") {
				t.Errorf("chunk %s", ev)
			}
			for _, ch := range c.Choices {
				if i == 0 {
					role = ch.Delta.Role
				}
				content += ch.Delta.Content
				if ch.FinishReason != nil {
					finish = *ch.FinishReason
				}
			}
			if c.Usage != nil {
				usage = c.Usage.TotalTokens
			}
		}
		if role != "assistant" || !strings.HasPrefix(content, "Bifrost mock provider reply") || finish != "stop" || usage == 0 {
			t.Errorf("role %q, content %q, finish %q, total tokens %d", role, content, finish, usage)
		}
		reqs := mock.Requests()
		if last := reqs[len(reqs)-1]; !strings.Contains(string(last.Body), `"stream":true`) || last.Header["Accept"] != "text/event-stream" {
			t.Errorf("stream request: %v %s", last.Header, last.Body)
		}
	})

	tools := `"tools":[{"type":"function","function":{"name":"search","description":"Search the web","parameters":{"type":"object","properties":{"query":{"type":"string"}},"required":["query"]}}}]`
	t.Run("tool call, then its result", func(t *testing.T) {
		resp, body := post(t, client, gw+"/v1/chat/completions",
			`{"model":"anthropic/claude-3-5-sonnet-20241022","messages":[{"role":"user","content":"Search for bifrost."}],`+tools+`,"tool_choice":"required"}`)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s\n%s", resp.Status, body)
		}
		var r chatResponse
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatal(err)
		}
		if len(r.Choices) != 1 || r.Choices[0].FinishReason != "tool_calls" || len(r.Choices[0].Message.ToolCalls) != 1 {
			t.Fatalf("want one tool call:\n%s", body)
		}
		tc := r.Choices[0].Message.ToolCalls[0]
		if !strings.HasPrefix(tc.ID, "toolu_") || tc.Type != "function" || tc.Function.Name != "search" || tc.Function.Arguments != `{"query":"bifrost"}` {
			t.Errorf("tool call %+v", tc)
		}
		reqs := mock.Requests()
		if last := reqs[len(reqs)-1]; !strings.Contains(string(last.Body), `"tool_choice":{"type":"any"}`) ||
			!strings.Contains(string(last.Body), `"input_schema":{"type":"object"`) {
			t.Errorf("tool request sent: %s", last.Body)
		}

		// The next turn: the call and its result go back as tool_use and tool_result blocks.
		next := `{"model":"anthropic/claude-3-5-sonnet-20241022","messages":[{"role":"user","content":"Search for bifrost."},` +
			`{"role":"assistant","content":null,"tool_calls":[{"id":"` + tc.ID + `","type":"function","function":{"name":"search","arguments":` + jsonQuote(tc.Function.Arguments) + `}}]},` +
			`{"role":"tool","tool_call_id":"` + tc.ID + `","content":"Bifrost is an LLM gateway."}],` + tools + `}`
		resp, body = post(t, client, gw+"/v1/chat/completions", next)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s\n%s", resp.Status, body)
		}
		if err := json.Unmarshal(body, &r); err != nil || r.Choices[0].FinishReason != "stop" || r.Choices[0].Message.Content == nil {
			t.Errorf("after the tool result (%v):\n%s", err, body)
		}
		reqs = mock.Requests()
		want := `{"role":"assistant","content":[{"type":"tool_use","id":"` + tc.ID + `","name":"search","input":{"query":"bifrost"}}]},` +
			`{"role":"user","content":[{"type":"tool_result","tool_use_id":"` + tc.ID + `","content":"Bifrost is an LLM gateway."}]}`
		if last := reqs[len(reqs)-1]; !strings.Contains(string(last.Body), want) {
			t.Errorf("second turn sent:\n%s\nwant it to hold:\n%s", last.Body, want)
		}
	})

	t.Run("streamed tool call", func(t *testing.T) {
		resp, body := post(t, client, gw+"/v1/chat/completions",
			`{"model":"anthropic/claude-3-5-sonnet-20241022","stream":true,"messages":[{"role":"user","content":"Search."}],`+tools+`}`)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s\n%s", resp.Status, body)
		}
		var args, name, id, finish string
		for _, ev := range sseData(body) {
			if ev == "[DONE]" {
				continue
			}
			var c struct {
				Choices []struct {
					Delta struct {
						ToolCalls []struct {
							Index    int    `json:"index"`
							ID       string `json:"id"`
							Function struct {
								Name      string `json:"name"`
								Arguments string `json:"arguments"`
							} `json:"function"`
						} `json:"tool_calls"`
					} `json:"delta"`
					FinishReason *string `json:"finish_reason"`
				} `json:"choices"`
			}
			if err := json.Unmarshal([]byte(ev), &c); err != nil {
				t.Fatalf("%v: %s", err, ev)
			}
			for _, ch := range c.Choices {
				for _, tc := range ch.Delta.ToolCalls {
					if tc.Index != 0 {
						t.Errorf("tool call index %d", tc.Index)
					}
					id += tc.ID
					name += tc.Function.Name
					args += tc.Function.Arguments
				}
				if ch.FinishReason != nil {
					finish = *ch.FinishReason
				}
			}
		}
		if !strings.HasPrefix(id, "toolu_") || name != "search" || args != `{"query": "bifrost"}` || finish != "tool_calls" {
			t.Errorf("id %q name %q arguments %q finish %q:\n%s", id, name, args, finish, body)
		}
	})

	t.Run("models", func(t *testing.T) {
		resp, body := get(t, client, gw+"/v1/models")
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"id":"anthropic/claude-3-7-sonnet-20250219"`) {
			t.Errorf("GET /v1/models: %s\n%s", resp.Status, body)
		}
		reqs := mock.Requests()
		if last := reqs[len(reqs)-1]; last.Method != "GET" || last.Path != "/v1/models" || last.Query != "limit=1000" {
			t.Errorf("models request: %s %s?%s", last.Method, last.Path, last.Query)
		}
	})
}

func jsonQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
