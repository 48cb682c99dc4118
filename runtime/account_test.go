package runtime_test

import (
	"context"
	"errors"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
)

// TestLibraryLeavesRequestAlone checks that the caller's request is not changed by the engine
// (the pooled call it is copied into is reset after use) and that the answer owns its memory.
func TestLibraryLeavesRequestAlone(t *testing.T) {
	url, stop := startMock("sk-lib")
	defer stop()
	ctx := context.Background()
	e, err := runtime.Init(ctx, runtime.BifrostConfig{Adapters: adapters.All(), Account: myAccount{baseURL: url, key: "sk-lib"}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Shutdown()
	req := &schemas.ChatRequest{
		Model:     "openai/gpt-4o-mini",
		Fallbacks: schemas.Strings{"openai/gpt-4o"},
		Messages:  []schemas.ChatMessage{{Role: "user", Content: schemas.MessageContent{Text: schemas.TextOf("Hello")}}},
	}
	var answers []*schemas.ChatResponse
	for i := 0; i < 3; i++ {
		resp, err := e.ChatCompletionRequest(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		answers = append(answers, resp)
	}
	if req.Model != "openai/gpt-4o-mini" || len(req.Fallbacks) != 1 || len(req.Messages) != 1 || req.Messages[0].Content.Text.String() != "Hello" {
		t.Errorf("request changed: %+v", req)
	}
	for _, a := range answers {
		if a.Choices[0].Message.Content.Text.String() == "" || a.Model != "gpt-4o-mini" {
			t.Errorf("answer lost its content after later calls: %+v", a)
		}
	}
}

func TestLibraryCancelledContext(t *testing.T) {
	url, stop := startMock("sk-lib")
	defer stop()
	e, err := runtime.Init(context.Background(), runtime.BifrostConfig{Adapters: adapters.All(), Account: myAccount{baseURL: url, key: "sk-lib"}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Shutdown()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = e.ChatCompletionRequest(ctx, &schemas.ChatRequest{Model: "openai/x"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if _, err := runtime.Init(context.Background(), runtime.BifrostConfig{}); err == nil {
		t.Error("Init without an Account succeeded")
	}
}
