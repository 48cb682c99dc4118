package runtime_test

import (
	"context"
	"fmt"
	"net"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
)

// myAccount serves one OpenAI-compatible provider. A real account would read keys from a
// secret store; here the provider is the repository's mock, on a local port.
type myAccount struct{ baseURL, key string }

func (a myAccount) GetConfiguredProviders() ([]string, error) { return []string{"openai"}, nil }

func (a myAccount) GetKeysForProvider(ctx context.Context, provider string) ([]config.Key, error) {
	return []config.Key{{Name: "main", Value: a.key, Weight: 1}}, nil
}

func (a myAccount) GetConfigForProvider(provider string) (*config.Provider, error) {
	return &config.Provider{Network: config.Network{BaseURL: a.baseURL, MaxRetries: 2}}, nil
}

// startMock runs the mock provider on 127.0.0.1 and returns its URL and a stop function.
func startMock(key string) (string, func()) {
	m, err := mocks.New(mocks.Config{RequireKey: key, StreamChunks: 3})
	if err != nil {
		panic(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go m.Serve(ln) //nolint:errcheck // ends with Close
	return "http://" + ln.Addr().String(), func() { m.Close() }
}

// The engine embedded in a Go program: an Account, Init, a chat completion, Shutdown.
func ExampleInit() {
	url, stop := startMock("sk-example")
	defer stop()

	ctx := context.Background()
	engine, err := runtime.Init(ctx, runtime.BifrostConfig{Adapters: adapters.All(), Account: myAccount{baseURL: url, key: "sk-example"}})
	if err != nil {
		panic(err)
	}
	defer engine.Shutdown()

	resp, err := engine.ChatCompletionRequest(ctx, &schemas.ChatRequest{
		Model: "openai/gpt-4o-mini",
		Messages: []schemas.ChatMessage{
			{Role: "user", Content: schemas.MessageContent{Text: schemas.TextOf("Hello!")}},
		},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Object, resp.Model, resp.Choices[0].Message.Role, resp.Choices[0].FinishReason)
	// Output: chat.completion gpt-4o-mini assistant stop
}

// A streamed chat completion: events arrive on a channel until the stream ends.
func ExampleEngine_ChatCompletionStreamRequest() {
	url, stop := startMock("sk-example")
	defer stop()

	ctx := context.Background()
	engine, err := runtime.Init(ctx, runtime.BifrostConfig{Adapters: adapters.All(), Account: myAccount{baseURL: url, key: "sk-example"}})
	if err != nil {
		panic(err)
	}
	defer engine.Shutdown()

	events, err := engine.ChatCompletionStreamRequest(ctx, &schemas.ChatRequest{
		Model:    "openai/gpt-4o-mini",
		Messages: []schemas.ChatMessage{{Role: "user", Content: schemas.MessageContent{Text: schemas.TextOf("Count to three.")}}},
	})
	if err != nil {
		panic(err)
	}
	chunks, finish := 0, ""
	for ev := range events {
		if ev.Err != nil {
			panic(ev.Err)
		}
		chunks++
		for _, ch := range ev.Chunk.Choices {
			if ch.FinishReason != "" {
				finish = string(ch.FinishReason)
			}
		}
	}
	fmt.Println(chunks > 3, finish)
	// Output: true stop
}

// An error from the engine is a *runtime.Error with the HTTP status and OpenAI's error body.
func ExampleError() {
	url, stop := startMock("sk-example")
	defer stop()
	ctx := context.Background()
	engine, _ := runtime.Init(ctx, runtime.BifrostConfig{Adapters: adapters.All(), Account: myAccount{baseURL: url, key: "sk-example"}})
	defer engine.Shutdown()

	_, err := engine.EmbeddingRequest(ctx, &schemas.EmbeddingRequest{Model: "groq/nomic-embed"})
	if e, ok := err.(*runtime.Error); ok {
		fmt.Println(e.Status, e.Body.Code)
	}
	// Output: 400 unknown_provider
}
