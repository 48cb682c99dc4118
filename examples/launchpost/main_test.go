package main

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
)

// mockKey is the key the mock provider requires.
const mockKey = "sk-launchpost-3f9a1c"

// startMock starts a mock OpenAI provider and returns its base URL.
func startMock(t *testing.T) (*mocks.Server, string) {
	t.Helper()
	m, err := mocks.New(mocks.Config{RequireKey: mockKey, Record: true})
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
	return m, "http://" + ln.Addr().String()
}

// TestLaunchPostSnippet runs the post's Go snippet against the mock provider, which the
// environment names as OpenAI's base URL (BIFROST_BASE_URL_OPENAI): the snippet's key has
// no weight (it must count as 1) and its account no base URL.
func TestLaunchPostSnippet(t *testing.T) {
	m, url := startMock(t)
	t.Setenv("OPENAI_API_KEY", mockKey)
	t.Setenv("BIFROST_BASE_URL_OPENAI", url)

	res, berr, err := firstCall()
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	if berr != nil {
		t.Fatalf("ChatCompletionRequest: %+v", berr.Error)
	}
	if len(res.Choices) == 0 || res.Choices[0].Message.Content == nil || *res.Choices[0].Message.Content == "" {
		t.Fatalf("no answer: %+v", res)
	}
	reqs := m.Requests()
	if len(reqs) != 1 || !strings.Contains(string(reqs[0].Body), `"What is a LLM gateway?"`) ||
		!strings.Contains(string(reqs[0].Body), `"gpt-4o-mini"`) {
		t.Errorf("the mock got %d requests: %+v", len(reqs), reqs)
	}
}

// TestLaunchPostPlugin runs the post's plugin lines: the plugin sees the request and the
// answer.
func TestLaunchPostPlugin(t *testing.T) {
	_, url := startMock(t)
	t.Setenv("OPENAI_API_KEY", mockKey)
	t.Setenv("BIFROST_BASE_URL_OPENAI", url)
	t.Setenv("MAXIM_API_KEY", "maxim-key")
	t.Setenv("MAXIM_LOG_REPO_ID", "repo")

	plugin, res, berr, err := withPlugin()
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	if berr != nil {
		t.Fatalf("ChatCompletionRequest: %+v", berr.Error)
	}
	reqs := plugin.Requests()
	if len(reqs) != 1 || reqs[0].Model != "gpt-4o-mini" || reqs[0].Provider != "openai" ||
		*(*reqs[0].Input.ChatCompletionInput)[0].Content != "What is a LLM gateway?" {
		t.Errorf("the plugin saw %+v", reqs)
	}
	if got := plugin.Responses(); len(got) != 1 || got[0] != res {
		t.Errorf("the plugin's post hook saw %v, want the answer %p", got, res)
	}
}

// TestLaunchPostWrongKey checks that a provider's refusal comes back as a BifrostError.
func TestLaunchPostWrongKey(t *testing.T) {
	_, url := startMock(t)
	t.Setenv("OPENAI_API_KEY", "sk-wrong")
	t.Setenv("BIFROST_BASE_URL_OPENAI", url)
	_, berr, err := firstCall()
	if err != nil {
		t.Fatal(err)
	}
	if berr == nil || berr.StatusCode == nil || *berr.StatusCode != 401 || berr.Provider != "openai" || berr.Error.Message == "" {
		t.Fatalf("error = %+v, want a 401 from openai", berr)
	}
	if strings.Contains(berr.Error.Message, "sk-wrong") {
		t.Errorf("the error shows the key: %s", berr.Error.Message)
	}
}
