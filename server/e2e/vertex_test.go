package e2e

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
)

// TestVertexThroughGateway runs the OpenAI-shaped API through a freshly built gateway against
// the mock speaking Vertex AI's format: the gateway signs a JWT with a service account's key,
// gets an access token from the mock's token endpoint (once, then cached), and sends plain,
// streamed and tool-calling chats to the project's regional publisher-model URLs: Gemini
// models to publishers/google, Claude models to publishers/anthropic (rawPredict and
// streamRawPredict, in Anthropic's format).
func TestVertexThroughGateway(t *testing.T) {
	mock, mockURL := startMock(t, mocks.Config{Format: mocks.FormatVertex, RequireKey: mockKey,
		Latency: 3 * time.Millisecond, StreamChunks: 5, Record: true})

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	sa, _ := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "bifrost-e2e", "private_key_id": "e2e-key-1",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "gateway@bifrost-e2e.iam.gserviceaccount.com", "token_uri": mockURL + mocks.VertexTokenPath,
	})
	cfg := fmt.Sprintf(`{"providers":{"vertex":{"keys":[{"value":"","models":["*"],"weight":1,
  "vertex_key_config":{"project_id":"bifrost-e2e","region":"europe-west4","auth_credentials":%q}}],
  "network_config":{"base_url":%q,"max_retries":0}}}}`, sa, mockURL)
	gw, client := startBuiltGateway(t, cfg)
	const base = "/v1/projects/bifrost-e2e/locations/europe-west4/publishers/google/models/gemini-2.0-flash"

	resp, body := post(t, client, gw+"/v1/chat/completions",
		`{"model":"vertex/gemini-2.0-flash","messages":[{"role":"user","content":"Say hello."}],"max_tokens":20}`)
	var chat googleChat
	if err := json.Unmarshal(body, &chat); resp.StatusCode != http.StatusOK || err != nil || len(chat.Choices) != 1 ||
		chat.Choices[0].Message.Content == "" || chat.Choices[0].FinishReason != "stop" || chat.Usage.TotalTokens == 0 {
		t.Fatalf("chat: %s (%v)\n%s", resp.Status, err, body)
	}
	tools := `"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]`
	resp, body = post(t, client, gw+"/v1/chat/completions",
		`{"model":"vertex/gemini-2.0-flash","messages":[{"role":"user","content":"Weather in Paris?"}],`+tools+`}`)
	chat = googleChat{}
	if err := json.Unmarshal(body, &chat); resp.StatusCode != http.StatusOK || err != nil || len(chat.Choices) != 1 ||
		chat.Choices[0].FinishReason != "tool_calls" || len(chat.Choices[0].Message.ToolCalls) != 1 ||
		chat.Choices[0].Message.ToolCalls[0].Function.Name != "get_weather" {
		t.Fatalf("tool chat: %s (%v)\n%s", resp.Status, err, body)
	}
	resp, body = post(t, client, gw+"/v1/chat/completions",
		`{"model":"vertex/gemini-2.0-flash","stream":true,"messages":[{"role":"user","content":"Count to three."}]}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stream: %s\n%s", resp.Status, body)
	}
	checkGoogleStream(t, "text", body, "gemini-2.0-flash", "stop", "")

	// Claude on Vertex: the same key and token, Anthropic's format on the anthropic publisher.
	const claude = "claude-3-5-haiku@20241022"
	const claudeBase = "/v1/projects/bifrost-e2e/locations/europe-west4/publishers/anthropic/models/" + claude
	resp, body = post(t, client, gw+"/v1/chat/completions",
		`{"model":"vertex/`+claude+`","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say hello."}],"max_tokens":20}`)
	chat = googleChat{}
	if err := json.Unmarshal(body, &chat); resp.StatusCode != http.StatusOK || err != nil || len(chat.Choices) != 1 ||
		chat.Choices[0].Message.Content == "" || chat.Choices[0].FinishReason != "stop" || chat.Usage.TotalTokens == 0 {
		t.Fatalf("claude chat: %s (%v)\n%s", resp.Status, err, body)
	}
	resp, body = post(t, client, gw+"/v1/chat/completions",
		`{"model":"vertex/`+claude+`","messages":[{"role":"user","content":"Weather in Paris?"}],`+tools+`}`)
	chat = googleChat{}
	if err := json.Unmarshal(body, &chat); resp.StatusCode != http.StatusOK || err != nil || len(chat.Choices) != 1 ||
		chat.Choices[0].FinishReason != "tool_calls" || len(chat.Choices[0].Message.ToolCalls) != 1 ||
		chat.Choices[0].Message.ToolCalls[0].Function.Name != "get_weather" ||
		!strings.HasPrefix(chat.Choices[0].Message.ToolCalls[0].ID, "toolu_") {
		t.Fatalf("claude tool chat: %s (%v)\n%s", resp.Status, err, body)
	}
	resp, body = post(t, client, gw+"/v1/chat/completions",
		`{"model":"vertex/`+claude+`","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Count to three."}]}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("claude stream: %s\n%s", resp.Status, body)
	}
	checkGoogleStream(t, "claude text", body, claude, "stop", "")

	var tokens, chats, claudeChats int
	auth := ""
	for _, r := range mock.Requests() {
		switch {
		case r.Path == mocks.VertexTokenPath:
			tokens++
			// A form: its parameters in any order (golang.org/x/oauth2 sorts them).
			if !bytes.Contains(r.Body, []byte("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer")) || !bytes.Contains(r.Body, []byte("assertion=ey")) {
				t.Errorf("token request body %s", r.Body)
			}
		case strings.HasPrefix(r.Path, claudeBase+":"):
			claudeChats++
			if bytes.Contains(r.Body, []byte(`"model"`)) || !bytes.HasPrefix(r.Body, []byte(`{"anthropic_version":"vertex-2023-10-16",`)) {
				t.Errorf("%s: body %s, want anthropic_version first and no model", r.Path, r.Body)
			}
			if r.Header["Anthropic-Version"] != "" || r.Header["Authorization"] != auth {
				t.Errorf("%s: headers %v, want no anthropic-version and the one cached token", r.Path, r.Header)
			}
		case strings.HasPrefix(r.Path, base+":"):
			chats++
			if auth == "" {
				auth = r.Header["Authorization"]
			}
			if !strings.HasPrefix(r.Header["Authorization"], "Bearer ya29.mock-") || r.Header["Authorization"] != auth {
				t.Errorf("%s: Authorization %q, want the one cached token", r.Path, r.Header["Authorization"])
			}
		default:
			t.Errorf("unexpected request %s %s", r.Method, r.Path)
		}
	}
	if tokens != 1 || chats != 3 || claudeChats != 3 {
		t.Errorf("%d token requests, %d Gemini chats and %d Claude chats reached the mock; want 1, 3 and 3", tokens, chats, claudeChats)
	}
}
