package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
)

// TestAzureThroughGateway runs the OpenAI-shaped API through a freshly built gateway against
// the mock speaking Azure OpenAI: each key's endpoint, the model's deployment, the api-version
// and the api-key header, for plain and streamed chat, embeddings and a wrong key.
func TestAzureThroughGateway(t *testing.T) {
	mock, mockURL := startMock(t, mocks.Config{Format: mocks.FormatAzure, RequireKey: mockKey,
		Latency: 2 * time.Millisecond, StreamChunks: 5, Record: true})
	cfg := `{"providers":{"azure":{"keys":[{"value":"` + mockKey + `","models":["*"],"weight":1,
		"azure_key_config":{"endpoint":"` + mockURL + `","deployments":{"gpt-4o":"prod-4o"},"api_version":"2024-06-01"}}],
		"network_config":{"max_retries":0}},
	  "openai":{"keys":[{"value":"wrong-key-0123456789","models":["*"],"weight":1}],"network_config":{"base_url":"` + mockURL + `"}}}}`
	gw, client := startBuiltGateway(t, cfg)

	resp, body := post(t, client, gw+"/v1/chat/completions", `{"model":"azure/gpt-4o","messages":[{"role":"user","content":"Hi"}]}`)
	var chat struct {
		Object  string `json:"object"`
		Choices []struct {
			Message      struct{ Role, Content string } `json:"message"`
			FinishReason string                         `json:"finish_reason"`
		} `json:"choices"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &chat) != nil || chat.Object != "chat.completion" ||
		len(chat.Choices) != 1 || chat.Choices[0].Message.Content == "" || chat.Choices[0].FinishReason != "stop" {
		t.Fatalf("chat: %s\n%s", resp.Status, body)
	}
	up := lastRequest(t, mock)
	if up.Path != "/openai/deployments/prod-4o/chat/completions" || up.Query != "api-version=2024-06-01" ||
		up.Header["Api-Key"] != mockKey || up.Header["Authorization"] != "" {
		t.Errorf("chat went to %s?%s with headers %v; want the deployment, the key's api-version and the api-key header", up.Path, up.Query, up.Header)
	}

	// A stream to a model without a deployment mapping uses the model name as deployment.
	resp, body = post(t, client, gw+"/v1/chat/completions", `{"model":"azure/gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hi"}]}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stream: %s\n%s", resp.Status, body)
	}
	s := readChatStream(t, "azure", body, "gpt-4o-mini", 3)
	if !s.role || s.content == "" || s.finish != "stop" {
		t.Errorf("stream: %+v", s)
	}
	if up := lastRequest(t, mock); up.Path != "/openai/deployments/gpt-4o-mini/chat/completions" {
		t.Errorf("stream went to %s", up.Path)
	}

	resp, body = post(t, client, gw+"/v1/embeddings", `{"model":"azure/text-embedding-3-small","input":["a","b"]}`)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"embedding"`) {
		t.Fatalf("embeddings: %s\n%s", resp.Status, body)
	}
	if up := lastRequest(t, mock); up.Path != "/openai/deployments/text-embedding-3-small/embeddings" {
		t.Errorf("embeddings went to %s", up.Path)
	}

	// The same mock behind the openai provider (bearer auth, /v1 paths) with a wrong key:
	// Azure's addressing is refused, the answer is a clear 404 error from the provider.
	resp, body = post(t, client, gw+"/v1/chat/completions", `{"model":"openai/gpt-4o","messages":[{"role":"user","content":"Hi"}]}`)
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), `"error"`) || strings.Contains(string(body), "wrong-key-0123456789") {
		t.Errorf("openai paths on an Azure endpoint: %s\n%s", resp.Status, body)
	}
}
