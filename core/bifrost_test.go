package bifrost

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/core/schemas"
	"github.com/bifrost-gw/bifrost/mocks"
)

const mockKey = "sk-core-test-5e1d"

// testAccount serves one openai provider at a mock, with keys as given.
type testAccount struct {
	url  string
	keys []schemas.Key
}

func (a *testAccount) GetConfiguredProviders() ([]schemas.ModelProvider, error) {
	return []schemas.ModelProvider{schemas.OpenAI}, nil
}

func (a *testAccount) GetKeysForProvider(schemas.ModelProvider) ([]schemas.Key, error) {
	return a.keys, nil
}

func (a *testAccount) GetConfigForProvider(schemas.ModelProvider) (*schemas.ProviderConfig, error) {
	n := schemas.DefaultNetworkConfig
	n.BaseURL = a.url
	return &schemas.ProviderConfig{NetworkConfig: n, ConcurrencyAndBufferSize: schemas.DefaultConcurrencyAndBufferSize}, nil
}

func startMock(t *testing.T) string {
	t.Helper()
	m, err := mocks.New(mocks.Config{RequireKey: mockKey, StreamChunks: 4, EmbeddingDimensions: 8})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Serve(ln) }()
	t.Cleanup(func() {
		m.Close()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, mocks.ErrServerClosed) {
				t.Errorf("mock: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("the mock did not stop")
		}
	})
	return "http://" + ln.Addr().String()
}

func newClient(t *testing.T, plugins ...schemas.Plugin) *Bifrost {
	t.Helper()
	url := startMock(t)
	b, err := Init(schemas.BifrostConfig{Account: &testAccount{url: url, keys: []schemas.Key{{Value: mockKey}}}, Plugins: plugins})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Cleanup)
	return b
}

func chatRequest() *schemas.BifrostRequest {
	return &schemas.BifrostRequest{Provider: schemas.OpenAI, Model: "gpt-4o-mini",
		Input:  schemas.RequestInput{ChatCompletionInput: Ptr([]schemas.Message{{Role: schemas.RoleUser, Content: Ptr("hi")}})},
		Params: &schemas.ModelParameters{Temperature: Ptr(0.5), MaxTokens: Ptr(20), ExtraParams: map[string]interface{}{"seed": 7}}}
}

// TestCalls runs each call of the API against the mock.
func TestCalls(t *testing.T) {
	b := newClient(t)
	ctx := context.Background()
	tests := []struct {
		name  string
		call  func() (*schemas.BifrostResponse, *schemas.BifrostError)
		check func(*schemas.BifrostResponse) bool
	}{
		{"chat", func() (*schemas.BifrostResponse, *schemas.BifrostError) {
			return b.ChatCompletionRequest(ctx, chatRequest())
		},
			func(r *schemas.BifrostResponse) bool {
				return len(r.Choices) == 1 && r.Choices[0].Message.Content != nil && *r.Choices[0].Message.Content != "" &&
					r.Choices[0].Message.Role == schemas.RoleAssistant && r.Usage.TotalTokens > 0
			}},
		{"text", func() (*schemas.BifrostResponse, *schemas.BifrostError) {
			return b.TextCompletionRequest(ctx, &schemas.BifrostRequest{Provider: schemas.OpenAI, Model: "gpt-3.5-turbo-instruct",
				Input: schemas.RequestInput{TextCompletionInput: Ptr("Once upon a time")}})
		}, func(r *schemas.BifrostResponse) bool {
			return len(r.Choices) == 1 && r.Choices[0].Message.Content != nil && *r.Choices[0].Message.Content != ""
		}},
		{"embedding", func() (*schemas.BifrostResponse, *schemas.BifrostError) {
			return b.EmbeddingRequest(ctx, &schemas.BifrostRequest{Provider: schemas.OpenAI, Model: "text-embedding-3-small",
				Input: schemas.RequestInput{EmbeddingInput: &schemas.EmbeddingInput{Texts: []string{"a", "b"}}}})
		}, func(r *schemas.BifrostResponse) bool {
			return len(r.Data) == 2 && len(r.Data[0].Embedding) == 8 && r.Data[1].Index == 1
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, berr := tt.call()
			if berr != nil {
				t.Fatalf("error: %+v", berr.Error)
			}
			if !tt.check(res) {
				t.Errorf("unexpected answer: %+v", res)
			}
		})
	}
}

// TestStream reads a chat stream and a text stream to their ends.
func TestStream(t *testing.T) {
	b := newClient(t)
	ctx := context.Background()
	tests := []struct {
		name string
		open func() (chan *schemas.BifrostStream, *schemas.BifrostError)
	}{
		{"chat", func() (chan *schemas.BifrostStream, *schemas.BifrostError) {
			return b.ChatCompletionStreamRequest(ctx, chatRequest())
		}},
		{"text", func() (chan *schemas.BifrostStream, *schemas.BifrostError) {
			return b.TextCompletionStreamRequest(ctx, &schemas.BifrostRequest{Provider: schemas.OpenAI, Model: "gpt-3.5-turbo-instruct",
				Input: schemas.RequestInput{TextCompletionInput: Ptr("Once upon a time")}})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, berr := tt.open()
			if berr != nil {
				t.Fatalf("error: %+v", berr.Error)
			}
			var text string
			var n int
			for ev := range ch {
				if ev.BifrostError != nil {
					t.Fatalf("stream error: %+v", ev.BifrostError.Error)
				}
				n++
				for _, c := range ev.Choices {
					if c.Delta != nil && c.Delta.Content != nil {
						text += *c.Delta.Content
					}
				}
			}
			if n < 2 || text == "" {
				t.Errorf("%d chunks, text %q", n, text)
			}
		})
	}
	if n := b.engine.OutstandingCalls(); n != 0 {
		t.Errorf("%d pooled calls not released", n)
	}
}

// TestBadRequests checks the errors of requests that cannot be sent.
func TestBadRequests(t *testing.T) {
	b := newClient(t)
	ctx := context.Background()
	tests := []struct {
		name   string
		req    *schemas.BifrostRequest
		status int
	}{
		{"nil", nil, 400},
		{"no messages", &schemas.BifrostRequest{Provider: schemas.OpenAI, Model: "gpt-4o-mini"}, 400},
		{"unknown provider", &schemas.BifrostRequest{Provider: "nope", Model: "m",
			Input: schemas.RequestInput{ChatCompletionInput: Ptr([]schemas.Message{{Role: schemas.RoleUser, Content: Ptr("hi")}})}}, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, berr := b.ChatCompletionRequest(ctx, tt.req)
			if berr == nil || berr.StatusCode == nil || *berr.StatusCode/100 != tt.status/100 {
				t.Fatalf("error %+v, want status %d", berr, tt.status)
			}
		})
	}
}

// shortCircuit answers every request from its pre hook and counts its post hooks.
type shortCircuit struct{ pre, post int }

func (s *shortCircuit) GetName() string { return "short" }
func (s *shortCircuit) PreHook(_ *context.Context, req *schemas.BifrostRequest) (*schemas.BifrostRequest, *schemas.PluginShortCircuit, error) {
	s.pre++
	return req, &schemas.PluginShortCircuit{Response: &schemas.BifrostResponse{ID: "cached"}}, nil
}
func (s *shortCircuit) PostHook(_ *context.Context, r *schemas.BifrostResponse, e *schemas.BifrostError) (*schemas.BifrostResponse, *schemas.BifrostError, error) {
	s.post++
	return r, e, nil
}
func (s *shortCircuit) Cleanup() error { return nil }

// TestPluginShortCircuit checks hook order: a pre hook's answer skips later plugins and
// the provider, and the post hooks of the plugins that ran see it.
func TestPluginShortCircuit(t *testing.T) {
	first, second := &shortCircuit{}, &shortCircuit{}
	b := newClient(t, first, second)
	res, berr := b.ChatCompletionRequest(context.Background(), chatRequest())
	if berr != nil || res.ID != "cached" {
		t.Fatalf("got %+v, %+v", res, berr)
	}
	if first.pre != 1 || first.post != 1 || second.pre != 0 || second.post != 0 {
		t.Errorf("hooks ran: first %+v, second %+v", first, second)
	}
}

// TestKeyWeight checks that a key without a weight serves, and a negative weight is refused.
func TestKeyWeight(t *testing.T) {
	url := startMock(t)
	_, err := Init(schemas.BifrostConfig{Account: &testAccount{url: url, keys: []schemas.Key{{Value: mockKey, Weight: -1}}}})
	if err == nil {
		t.Fatal("a negative weight was accepted")
	}
	if _, err := Init(schemas.BifrostConfig{}); err == nil {
		t.Fatal("Init without an Account succeeded")
	}
}

// TestParamsReachProvider checks that model parameters and extra parameters are sent, and
// that an extra parameter cannot replace the model.
func TestParamsReachProvider(t *testing.T) {
	m, err := mocks.New(mocks.Config{RequireKey: mockKey, Record: true})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go m.Serve(ln) //nolint:errcheck // closed below
	t.Cleanup(func() { m.Close() })
	b, err := Init(schemas.BifrostConfig{Account: &testAccount{url: "http://" + ln.Addr().String(), keys: []schemas.Key{{Value: mockKey}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Cleanup()
	req := chatRequest()
	req.Params.ExtraParams["model"] = "other-model"
	if _, berr := b.ChatCompletionRequest(context.Background(), req); berr != nil {
		t.Fatalf("error: %+v", berr.Error)
	}
	reqs := m.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	body := string(reqs[0].Body)
	for _, want := range []string{`"temperature":0.5`, `"max_tokens":20`, `"seed":7`, `"model":"gpt-4o-mini"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the provider got %s, without %s", body, want)
		}
	}
}
