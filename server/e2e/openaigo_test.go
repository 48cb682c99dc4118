package e2e

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/bifrost-gw/bifrost/server"
	"github.com/openai/openai-go"
	"github.com/openai/openai-go/option"
	"github.com/openai/openai-go/shared"
	"github.com/valyala/fasthttp"
)

// goSDKGatewayKey is the gateway API key the openai-go test sends (client.api_keys).
const goSDKGatewayKey = "bf-gateway-key-for-openai-go"

// Tool-call answers of the test upstream, in OpenAI's shapes.
const (
	toolCallJSON = `{"id":"chatcmpl-tool1","object":"chat.completion","created":1730000000,"model":"gpt-4o-mini",` +
		`"choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_abc123","type":"function",` +
		`"function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}],` +
		`"usage":{"prompt_tokens":20,"completion_tokens":10,"total_tokens":30}}`
	toolCallSSE = `data: {"id":"chatcmpl-tool2","object":"chat.completion.chunk","created":1730000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_def456","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}` + "\n\n" +
		`data: {"id":"chatcmpl-tool2","object":"chat.completion.chunk","created":1730000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]},"finish_reason":null}]}` + "\n\n" +
		`data: {"id":"chatcmpl-tool2","object":"chat.completion.chunk","created":1730000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Rome\"}"}}]},"finish_reason":null}]}` + "\n\n" +
		`data: {"id":"chatcmpl-tool2","object":"chat.completion.chunk","created":1730000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}` + "\n\n" +
		"data: [DONE]\n\n"
)

// startToolMock starts the mock provider on 127.0.0.1 behind a handler that answers requests
// offering tools with a tool call (plain or streamed), as the mock itself has no tools.
func startToolMock(t *testing.T, cfg mocks.Config) (*mocks.Server, string) {
	t.Helper()
	m, err := mocks.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mh := m.Handler()
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		body := ctx.PostBody()
		if string(ctx.Path()) != "/v1/chat/completions" || !bytes.Contains(body, []byte(`"tools"`)) {
			mh(ctx)
			return
		}
		if string(ctx.Request.Header.Peek("Authorization")) != "Bearer "+mockKey {
			ctx.SetStatusCode(401)
			return
		}
		if bytes.Contains(body, []byte(`"stream":true`)) {
			ctx.SetContentType("text/event-stream")
			ctx.SetBodyString(toolCallSSE)
			return
		}
		ctx.SetContentType("application/json")
		ctx.SetBodyString(toolCallJSON)
	}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		if err := srv.Shutdown(); err != nil {
			t.Errorf("stopping the tool mock: %v", err)
		}
		if err := <-done; err != nil && !errors.Is(err, net.ErrClosed) {
			t.Errorf("tool mock: %v", err)
		}
		m.Close() //nolint:errcheck // never served: its handler was borrowed
	})
	return m, "http://" + ln.Addr().String()
}

var weatherTool = openai.ChatCompletionToolParam{Function: shared.FunctionDefinitionParam{
	Name:        "get_weather",
	Description: openai.String("Current weather in a city"),
	Parameters: shared.FunctionParameters{
		"type":       "object",
		"properties": map[string]any{"city": map[string]any{"type": "string"}},
		"required":   []string{"city"},
	},
}}

// TestOpenAIGoSDK drives the gateway with the official Go SDK (github.com/openai/openai-go),
// changing only its base URL: /v1, the /openai/v1 drop-in prefix, and Azure's deployment
// paths; plain, streaming and tool calls (plain and streamed), behind a gateway API key.
func TestOpenAIGoSDK(t *testing.T) {
	checkNoGoroutineLeak(t)
	mock, mockURL := startToolMock(t, mocks.Config{RequireKey: mockKey, StreamChunks: 5, Record: true})
	env := map[string]string{"E2E_KEY": mockKey, "E2E_URL": mockURL, "E2E_GW_KEY": goSDKGatewayKey}
	gw := startConfiguredGateway(t, `{
		"client": { "api_keys": ["env.E2E_GW_KEY"] },
		"aliases": { "my-deployment": "openai/gpt-4o-mini" },
		"providers": {
			"openai": {
				"keys": [{ "name": "e2e", "value": "env.E2E_KEY", "models": ["*"], "weight": 1 }],
				"network_config": { "base_url": "env.E2E_URL" }
			}
		}
	}`, func(k string) string { return env[k] })

	bases := []struct {
		name string
		opts []option.RequestOption
	}{
		{"v1", []option.RequestOption{option.WithBaseURL(gw + "/v1/")}},
		{"openai prefix", []option.RequestOption{option.WithBaseURL(gw + "/openai/v1/")}},
		// What openai-go's azure package does: the deployment in the path, api-version in
		// the query, the key in "api-key".
		{"azure deployment", []option.RequestOption{option.WithBaseURL(gw + "/openai/deployments/my-deployment/"),
			option.WithQuery("api-version", "2024-10-21"), option.WithHeader("api-key", goSDKGatewayKey)}},
	}
	for _, b := range bases {
		t.Run(b.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			client := openai.NewClient(append([]option.RequestOption{option.WithAPIKey(goSDKGatewayKey), option.WithMaxRetries(0)}, b.opts...)...)
			params := openai.ChatCompletionNewParams{
				Model:    "openai/gpt-4o-mini",
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Say hello.")},
			}

			t.Run("plain", func(t *testing.T) {
				resp, err := client.Chat.Completions.New(ctx, params)
				if err != nil {
					t.Fatal(err)
				}
				if len(resp.Choices) != 1 || resp.Choices[0].Message.Content == "" || resp.Usage.TotalTokens == 0 {
					t.Errorf("response %+v", resp)
				}
			})

			t.Run("streaming", func(t *testing.T) {
				p := params
				p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
				stream := client.Chat.Completions.NewStreaming(ctx, p)
				var acc openai.ChatCompletionAccumulator
				chunks := 0
				for stream.Next() {
					acc.AddChunk(stream.Current())
					chunks++
				}
				if err := stream.Err(); err != nil {
					t.Fatal(err)
				}
				if err := stream.Close(); err != nil {
					t.Fatal(err)
				}
				if chunks < 5 || len(acc.Choices) != 1 || acc.Choices[0].Message.Content == "" || acc.Usage.TotalTokens == 0 {
					t.Errorf("%d chunks, accumulated %+v", chunks, acc.ChatCompletion)
				}
			})

			t.Run("tools", func(t *testing.T) {
				p := params
				p.Messages = []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather in Paris?")}
				p.Tools = []openai.ChatCompletionToolParam{weatherTool}
				resp, err := client.Chat.Completions.New(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				calls := resp.Choices[0].Message.ToolCalls
				if resp.Choices[0].FinishReason != "tool_calls" || len(calls) != 1 || calls[0].ID != "call_abc123" ||
					calls[0].Function.Name != "get_weather" || calls[0].Function.Arguments != `{"city":"Paris"}` {
					t.Errorf("tool call response %+v", resp.Choices[0])
				}
			})

			t.Run("tools streaming", func(t *testing.T) {
				p := params
				p.Messages = []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather in Rome?")}
				p.Tools = []openai.ChatCompletionToolParam{weatherTool}
				stream := client.Chat.Completions.NewStreaming(ctx, p)
				var acc openai.ChatCompletionAccumulator
				var finished []openai.FinishedChatCompletionToolCall
				for stream.Next() {
					acc.AddChunk(stream.Current())
					if tc, ok := acc.JustFinishedToolCall(); ok {
						finished = append(finished, tc)
					}
				}
				if err := stream.Err(); err != nil {
					t.Fatal(err)
				}
				stream.Close() //nolint:errcheck // read to its end
				if len(finished) != 1 || finished[0].Name != "get_weather" || finished[0].Arguments != `{"city":"Rome"}` {
					t.Errorf("finished tool calls %+v (accumulated %+v)", finished, acc.ChatCompletion)
				}
			})

			t.Run("embeddings", func(t *testing.T) {
				if b.name == "azure deployment" {
					t.Skip("the deployment names a chat model")
				}
				resp, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{
					Model: "openai/text-embedding-3-small",
					Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}},
				})
				if err != nil {
					t.Fatal(err)
				}
				if len(resp.Data) != 2 || len(resp.Data[0].Embedding) == 0 {
					t.Errorf("embeddings: %d vectors", len(resp.Data))
				}
			})

			t.Run("gateway key refused", func(t *testing.T) {
				bad := openai.NewClient(append(append([]option.RequestOption{}, b.opts...), option.WithAPIKey("wrong-key"),
					option.WithHeader("api-key", "wrong-key"), option.WithMaxRetries(0))...)
				_, err := bad.Chat.Completions.New(ctx, params)
				var apiErr *openai.Error
				if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.Code != "invalid_api_key" {
					t.Fatalf("error %v, want the gateway's 401 invalid_api_key", err)
				}
			})
		})
	}

	// What the provider got: the configured key, the bare model, the tools.
	tools := 0
	for _, r := range mock.Requests() {
		if got := r.Header["Authorization"]; got != "Bearer "+mockKey {
			t.Errorf("%s reached the provider with Authorization %q", r.Path, got)
		}
		if r.Path == "/v1/chat/completions" && !bytes.Contains(r.Body, []byte(`"model":"gpt-4o-mini"`)) {
			t.Errorf("chat body does not name gpt-4o-mini: %s", r.Body)
		}
		if strings.Contains(string(r.Body), `"get_weather"`) {
			tools++
		}
	}
	if tools != 0 {
		// Tool requests were answered by the wrapper, not recorded by the mock.
		t.Errorf("%d tool requests reached the mock itself", tools)
	}
}

// startConfiguredGateway is startGateway with the config's client settings applied to the
// server (gateway API keys, direct keys), as bifrost-http does.
func startConfiguredGateway(t *testing.T, cfgJSON string, getenv func(string) string) string {
	t.Helper()
	cfg, err := config.Parse("e2e.json", []byte(cfgJSON), getenv)
	if err != nil {
		t.Fatal(err)
	}
	engine, err := runtime.New(cfg, adapters.All())
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(engine, nil)
	srv.Configure(cfg.Client)
	hs := srv.NewHTTPServer(cfg.Client.MaxRequestBodyMB << 20)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		engine.Close()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := hs.ShutdownWithContext(ctx); err != nil {
			t.Errorf("shutting the gateway down: %v", err)
		}
		if err := <-done; err != nil && !errors.Is(err, net.ErrClosed) {
			t.Errorf("gateway Serve: %v", err)
		}
		engine.Close()
	})
	return "http://" + ln.Addr().String()
}
