package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
	"github.com/bifrost-gw/bifrost/mocks"
)

// anthropicTarget is one provider behind the gateway's /anthropic API, as the SDKs name it.
type anthropicTarget struct {
	Name  string `json:"name"`
	Model string `json:"model"`
	// CallsTools says the provider's mock answers a request with tools by calling one.
	CallsTools bool `json:"callsTools"`
	mock       *mocks.Server
}

// startAnthropicGateway starts three mock providers in three wire formats (Anthropic's,
// OpenAI's and Cohere's) and a gateway in front of them. The Anthropic target is named by a
// bare Claude model name, which the gateway sends to its anthropic provider.
func startAnthropicGateway(t *testing.T) (string, []anthropicTarget) {
	t.Helper()
	anth, anthURL := startMock(t, mocks.Config{Format: mocks.FormatAnthropic, RequireKey: mockKey, Latency: 2 * time.Millisecond, StreamChunks: 5, Record: true})
	oai, oaiURL := startMock(t, mocks.Config{RequireKey: mockKey, Latency: 2 * time.Millisecond, StreamChunks: 5, Record: true})
	coh, cohURL := startMock(t, mocks.Config{Format: mocks.FormatCohere, RequireKey: mockKey, Latency: 2 * time.Millisecond, StreamChunks: 5, Record: true})
	key := `"keys":[{"name":"k","value":"` + mockKey + `","models":["*"],"weight":1}]`
	gw := startGateway(t, `{"providers":{
		"anthropic":{`+key+`,"network_config":{"base_url":"`+anthURL+`","max_retries":0}},
		"openai":{`+key+`,"network_config":{"base_url":"`+oaiURL+`","max_retries":0}},
		"cohere":{`+key+`,"network_config":{"base_url":"`+cohURL+`","max_retries":0}}}}`, nil)
	return gw, []anthropicTarget{
		{Name: "anthropic", Model: "claude-3-5-haiku-20241022", CallsTools: true, mock: anth},
		{Name: "openai", Model: "openai/gpt-4o-mini", mock: oai},
		{Name: "cohere", Model: "cohere/command-r-plus", CallsTools: true, mock: coh},
	}
}

// TestAnthropicGoSDK drives /anthropic with the official Go SDK (anthropic-sdk-go): plain,
// streamed and tool-use messages against an Anthropic, an OpenAI and a Cohere provider.
func TestAnthropicGoSDK(t *testing.T) {
	checkNoGoroutineLeak(t)
	gw, targets := startAnthropicGateway(t)
	hc := &http.Client{Timeout: 30 * time.Second}
	t.Cleanup(hc.CloseIdleConnections)
	client := anthropic.NewClient(option.WithBaseURL(gw+"/anthropic/"), option.WithAPIKey("sk-client-key-the-gateway-ignores"),
		option.WithHTTPClient(hc), option.WithMaxRetries(0))
	ctx := context.Background()
	tools := []anthropic.ToolUnionParam{anthropic.ToolUnionParamOfTool(anthropic.ToolInputSchemaParam{
		Properties: map[string]any{"query": map[string]any{"type": "string"}}, Required: []string{"query"}}, "search")}
	ask := []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Find the docs about retries."))}

	for _, tg := range targets {
		t.Run(tg.Name+"/plain", func(t *testing.T) {
			msg, err := client.Messages.New(ctx, anthropic.MessageNewParams{
				Model: anthropic.Model(tg.Model), MaxTokens: 256,
				System:   []anthropic.TextBlockParam{{Text: "Be brief."}},
				Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Say hello."))},
			})
			if err != nil {
				t.Fatal(err)
			}
			if msg.ID == "" || msg.Role != "assistant" || string(msg.Type) != "message" || msg.StopReason != anthropic.StopReasonEndTurn ||
				len(msg.Content) != 1 || msg.Content[0].Type != "text" || msg.Content[0].Text == "" ||
				msg.Usage.InputTokens == 0 || msg.Usage.OutputTokens == 0 {
				t.Errorf("unexpected message: %s", msg.RawJSON())
			}
		})

		t.Run(tg.Name+"/stream", func(t *testing.T) {
			stream := client.Messages.NewStreaming(ctx, anthropic.MessageNewParams{
				Model: anthropic.Model(tg.Model), MaxTokens: 256,
				Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Count to three."))},
			})
			defer stream.Close()
			var acc anthropic.Message
			var types []string
			for stream.Next() {
				ev := stream.Current()
				types = append(types, ev.Type)
				if err := acc.Accumulate(ev); err != nil {
					t.Fatal(err)
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
			if len(types) < 5 || types[0] != "message_start" || types[1] != "content_block_start" ||
				types[len(types)-3] != "content_block_stop" || types[len(types)-2] != "message_delta" || types[len(types)-1] != "message_stop" {
				t.Errorf("events %v", types)
			}
			if acc.StopReason != anthropic.StopReasonEndTurn || len(acc.Content) != 1 || acc.Content[0].Text == "" || acc.Usage.OutputTokens == 0 {
				t.Errorf("accumulated message: %s", mustJSON(acc))
			}
		})

		t.Run(tg.Name+"/tools", func(t *testing.T) {
			var assistant anthropic.MessageParam
			id := "toolu_go"
			if tg.CallsTools {
				msg, err := client.Messages.New(ctx, anthropic.MessageNewParams{Model: anthropic.Model(tg.Model), MaxTokens: 256, Tools: tools, Messages: ask})
				if err != nil {
					t.Fatal(err)
				}
				call := toolUse(msg.Content)
				if msg.StopReason != anthropic.StopReasonToolUse || call == nil || call.ID == "" || call.Name != "search" || !json.Valid(call.Input) || call.Input[0] != '{' {
					t.Fatalf("want a call of search: %s", msg.RawJSON())
				}
				id, assistant = call.ID, msg.ToParam()
			} else {
				// The OpenAI mock answers in text: send the turn a client would have made.
				assistant = anthropic.NewAssistantMessage(anthropic.NewToolUseBlock(id, map[string]any{"query": "retries"}, "search"))
			}
			msgs := append(append([]anthropic.MessageParam{}, ask...), assistant,
				anthropic.NewUserMessage(anthropic.NewToolResultBlock(id, "Retries use backoff with jitter.", false)))
			msg, err := client.Messages.New(ctx, anthropic.MessageNewParams{Model: anthropic.Model(tg.Model), MaxTokens: 256, Tools: tools, Messages: msgs})
			if err != nil {
				t.Fatal(err)
			}
			if msg.StopReason != anthropic.StopReasonEndTurn || len(msg.Content) == 0 || msg.Content[0].Type != "text" {
				t.Errorf("want a text answer to the tool result: %s", msg.RawJSON())
			}
			// What the provider received: the tool call and its result in its own format.
			reqs := tg.mock.Requests()
			last := reqs[len(reqs)-1].Body
			want := map[string][]string{
				"anthropic": {`"tool_use"`, `"tool_result"`, `"tool_use_id":"` + id + `"`, `"input_schema"`},
				"openai":    {`"tool_calls":[{"id":"toolu_go","type":"function","function":{"name":"search","arguments":"{\"query\":\"retries\"}"}}]`, `{"role":"tool","content":"Retries use backoff with jitter.","tool_call_id":"toolu_go"}`},
				"cohere":    {`"tool_calls"`, `"role":"tool"`, `"tool_call_id":"` + id + `"`},
			}[tg.Name]
			for _, w := range want {
				if !bytes.Contains(last, []byte(w)) {
					t.Errorf("the provider's request lacks %s:\n%s", w, last)
				}
			}
		})

		if tg.CallsTools {
			t.Run(tg.Name+"/stream tools", func(t *testing.T) {
				stream := client.Messages.NewStreaming(ctx, anthropic.MessageNewParams{Model: anthropic.Model(tg.Model), MaxTokens: 256, Tools: tools, Messages: ask})
				defer stream.Close()
				var acc anthropic.Message
				for stream.Next() {
					if err := acc.Accumulate(stream.Current()); err != nil {
						t.Fatal(err)
					}
				}
				if err := stream.Err(); err != nil {
					t.Fatal(err)
				}
				call := toolUse(acc.Content)
				if acc.StopReason != anthropic.StopReasonToolUse || call == nil || call.ID == "" || call.Name != "search" || !json.Valid(call.Input) {
					t.Errorf("want a streamed call of search: %s", mustJSON(acc))
				}
			})
		}
	}

	t.Run("count_tokens", func(t *testing.T) {
		// Counted by the Anthropic mock's own endpoint, with the beta header forwarded.
		res, err := client.Messages.CountTokens(ctx, anthropic.MessageCountTokensParams{
			Model: anthropic.Model(targets[0].Model), Tools: []anthropic.MessageCountTokensToolUnionParam{{OfTool: tools[0].OfTool}},
			System:   anthropic.MessageCountTokensParamsSystemUnion{OfString: anthropic.String("Be brief.")},
			Messages: ask,
		}, option.WithHeader("anthropic-beta", "token-efficient-tools-2025-02-19"))
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(mocks.CountTokens(1, 1, true)); res.InputTokens != want {
			t.Errorf("input_tokens %d, want the mock's %d", res.InputTokens, want)
		}
		reqs := targets[0].mock.Requests()
		if r := reqs[len(reqs)-1]; r.Path != "/v1/messages/count_tokens" || r.Header["Anthropic-Beta"] != "token-efficient-tools-2025-02-19" {
			t.Errorf("the mock got %s with anthropic-beta %q", r.Path, r.Header["Anthropic-Beta"])
		}
		// An OpenAI-format provider has no token counting: Anthropic's 400, not a guess.
		_, err = client.Messages.CountTokens(ctx, anthropic.MessageCountTokensParams{Model: anthropic.Model(targets[1].Model), Messages: ask})
		var apiErr *anthropic.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(apiErr.RawJSON(), "does not support token counting") {
			t.Errorf("want a 400 naming token counting, got %v", err)
		}
	})

	t.Run("errors", func(t *testing.T) {
		_, err := client.Messages.New(ctx, anthropic.MessageNewParams{Model: "nosuchprovider/x", MaxTokens: 16, Messages: ask})
		var apiErr *anthropic.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(apiErr.RawJSON(), `"type":"invalid_request_error"`) {
			t.Errorf("want a 400 invalid_request_error, got %v", err)
		}
	})

	t.Run("models", func(t *testing.T) {
		page, err := client.Models.List(ctx, anthropic.ModelListParams{})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, m := range page.Data {
			seen[strings.SplitN(m.ID, "/", 2)[0]] = true
		}
		if !seen["anthropic"] || !seen["openai"] || !seen["cohere"] {
			t.Errorf("models %s", page.RawJSON())
		}
	})
}

func toolUse(blocks []anthropic.ContentBlockUnion) *anthropic.ContentBlockUnion {
	for i := range blocks {
		if blocks[i].Type == "tool_use" {
			return &blocks[i]
		}
	}
	return nil
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestAnthropicNodeSDK runs node/anthropic.e2e.mjs (the official Anthropic Node SDK,
// pointed at the gateway's /anthropic by its baseURL only) against the same providers.
func TestAnthropicNodeSDK(t *testing.T) {
	required := os.Getenv(nodeE2EEnv) == "1"
	unavailable := func(why string) {
		t.Helper()
		if required {
			t.Fatalf("%s (%s=1 makes this a failure)", why, nodeE2EEnv)
		}
		t.Skipf("%s (set %s=1 to make this a failure)", why, nodeE2EEnv)
	}
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		unavailable("node is not installed: install Node.js 18 or later, then run make node-deps")
	}
	dir, err := filepath.Abs("node")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@anthropic-ai", "sdk", "package.json")); err != nil {
		unavailable("server/e2e/node/node_modules/@anthropic-ai/sdk is missing: run make node-deps")
	}

	checkNoGoroutineLeak(t)
	gw, targets := startAnthropicGateway(t)
	list, err := json.Marshal(targets)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), nodeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeBin, "--test", "--test-reporter=spec", "anthropic.e2e.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "BIFROST_ANTHROPIC_BASE_URL="+gw+"/anthropic", "BIFROST_ANTHROPIC_TARGETS="+string(list),
		"NO_COLOR=1", "FORCE_COLOR=0")
	ownProcessGroup(cmd)
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	start := time.Now()
	err = cmd.Run()
	killProcessGroup(cmd)
	if err != nil {
		if ctx.Err() != nil {
			t.Fatalf("node --test did not finish within %v:\n%s", nodeTimeout, out.String())
		}
		t.Fatalf("node --test anthropic.e2e.mjs failed (%v) after %v:\n%s", err, time.Since(start).Round(time.Millisecond), out.String())
	}
	if !strings.Contains(out.String(), "skipped 0") && strings.Contains(out.String(), "# skip") {
		t.Errorf("tests were skipped:\n%s", out.String())
	}
	t.Logf("node --test anthropic.e2e.mjs passed in %v:\n%s", time.Since(start).Round(time.Millisecond), out.String())
	for _, tg := range targets {
		if len(tg.mock.Requests()) == 0 {
			t.Errorf("the %s provider received no request", tg.Name)
		}
	}
}
