package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
)

// googleChat is the part of a chat completion the Google tests read.
type googleChat struct {
	Object  string `json:"object"`
	Choices []struct {
		Message struct {
			Role      string `json:"role"`
			Content   string `json:"content"`
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

// checkGoogleStream reads a streamed answer and checks its role, content or tool call, finish
// reason and usage.
func checkGoogleStream(t *testing.T, name string, body []byte, model, finish, tool string) {
	t.Helper()
	st := readChatStream(t, name, body, model, 1)
	role, content, gotFinish, gotTool, id, usage := st.role, st.content, st.finish, st.toolName, st.toolID, st.usage
	if !role || gotFinish != finish || usage == 0 || (tool == "" && content == "") || gotTool != tool || (tool != "" && !strings.HasPrefix(id, "call_")) {
		t.Errorf("%s stream: role %v, content %q, tool %q (id %q), finish %q, usage %d\n%s", name, role, content, gotTool, id, gotFinish, usage, body)
	}
}

// TestGeminiThroughGateway runs the OpenAI-shaped API through a freshly built gateway against
// the mock speaking the Gemini API's format: plain, streamed and tool-calling chats, a tool
// result turn, embeddings, the model list and a provider error.
func TestGeminiThroughGateway(t *testing.T) {
	mock, mockURL := startMock(t, mocks.Config{Format: mocks.FormatGemini, RequireKey: mockKey,
		Latency: 3 * time.Millisecond, StreamChunks: 6, EmbeddingDimensions: 8, Record: true})
	gw, client := startBuiltGateway(t, oneKeyConfig("gemini", mockKey, mockURL))
	lastUpstream := func() mocks.RecordedRequest { return lastRequest(t, mock) }

	// Plain chat: Gemini's body with the key in x-goog-api-key, an OpenAI answer back.
	resp, body := post(t, client, gw+"/v1/chat/completions",
		`{"model":"gemini/gemini-2.0-flash","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say hello."}],"top_p":0.5,"stop":"END"}`)
	var chat googleChat
	if err := json.Unmarshal(body, &chat); resp.StatusCode != http.StatusOK || err != nil || chat.Object != "chat.completion" || len(chat.Choices) != 1 ||
		chat.Choices[0].Message.Role != "assistant" || chat.Choices[0].Message.Content == "" || chat.Choices[0].FinishReason != "stop" ||
		chat.Usage.TotalTokens != chat.Usage.PromptTokens+chat.Usage.CompletionTokens || chat.Usage.CompletionTokens == 0 {
		t.Fatalf("chat: %s (%v)\n%s", resp.Status, err, body)
	}
	up := lastUpstream()
	if up.Path != "/v1beta/models/gemini-2.0-flash:generateContent" || up.Header["X-Goog-Api-Key"] != mockKey || up.Header["Authorization"] != "" ||
		!bytes.Contains(up.Body, []byte(`"systemInstruction":{"parts":[{"text":"Be brief."}]}`)) ||
		!bytes.Contains(up.Body, []byte(`"generationConfig":{"stopSequences":["END"],"topP":0.5}`)) {
		t.Errorf("upstream request %s, key %q, body %s", up.Path, up.Header["X-Goog-Api-Key"], up.Body)
	}

	// Tool call, then the tool result turn.
	tools := `"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]`
	resp, body = post(t, client, gw+"/v1/chat/completions",
		`{"model":"gemini/gemini-2.0-flash","messages":[{"role":"user","content":"Weather in Paris?"}],`+tools+`}`)
	chat = googleChat{}
	if err := json.Unmarshal(body, &chat); resp.StatusCode != http.StatusOK || err != nil || len(chat.Choices) != 1 ||
		chat.Choices[0].FinishReason != "tool_calls" || len(chat.Choices[0].Message.ToolCalls) != 1 ||
		chat.Choices[0].Message.ToolCalls[0].Function.Name != "get_weather" || !strings.HasPrefix(chat.Choices[0].Message.ToolCalls[0].ID, "call_") ||
		chat.Choices[0].Message.ToolCalls[0].Function.Arguments != "{}" {
		t.Fatalf("tool chat: %s (%v)\n%s", resp.Status, err, body)
	}
	call := chat.Choices[0].Message.ToolCalls[0]
	turn := fmt.Sprintf(`{"model":"gemini/gemini-2.0-flash","messages":[{"role":"user","content":"Weather in Paris?"},`+
		`{"role":"assistant","content":null,"tool_calls":[{"id":%q,"type":"function","function":{"name":"get_weather","arguments":%q}}]},`+
		`{"role":"tool","tool_call_id":%q,"content":"sunny"}],%s}`, call.ID, call.Function.Arguments, call.ID, tools)
	resp, body = post(t, client, gw+"/v1/chat/completions", turn)
	chat = googleChat{}
	if err := json.Unmarshal(body, &chat); resp.StatusCode != http.StatusOK || err != nil || chat.Choices[0].FinishReason != "stop" ||
		chat.Choices[0].Message.Content == "" {
		t.Errorf("tool result turn: %s (%v)\n%s", resp.Status, err, body)
	}
	if up := lastUpstream(); !bytes.Contains(up.Body, []byte(`{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{}}}]},{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"output":"sunny"}}}]}`)) {
		t.Errorf("tool result turn reached Gemini as %s", up.Body)
	}

	// Streams: text, then a tool call.
	for _, tc := range []struct{ name, body, finish, tool string }{
		{"text", `{"model":"gemini/gemini-2.0-flash","stream":true,"messages":[{"role":"user","content":"Count to three."}]}`, "stop", ""},
		{"tools", `{"model":"gemini/gemini-2.0-flash","stream":true,"messages":[{"role":"user","content":"Weather?"}],` + tools + `}`, "tool_calls", "get_weather"},
	} {
		resp, body = post(t, client, gw+"/v1/chat/completions", tc.body)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("%s stream: %s %s\n%s", tc.name, resp.Status, resp.Header.Get("Content-Type"), body)
		}
		checkGoogleStream(t, tc.name, body, "gemini-2.0-flash", tc.finish, tc.tool)
		if up := lastUpstream(); up.Path != "/v1beta/models/gemini-2.0-flash:streamGenerateContent" || up.Query != "alt=sse" {
			t.Errorf("%s stream reached Gemini at %s?%s", tc.name, up.Path, up.Query)
		}
	}

	// Embeddings.
	resp, body = post(t, client, gw+"/v1/embeddings", `{"model":"gemini/gemini-embedding-001","input":["a","b","c"],"dimensions":8}`)
	var emb struct {
		Object string `json:"object"`
		Data   []struct {
			Index     int       `json:"index"`
			Embedding []float64 `json:"embedding"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &emb); resp.StatusCode != http.StatusOK || err != nil || emb.Object != "list" || len(emb.Data) != 3 ||
		emb.Data[2].Index != 2 || len(emb.Data[2].Embedding) != 8 {
		t.Errorf("embeddings: %s (%v)\n%s", resp.Status, err, body)
	}
	if up := lastUpstream(); up.Path != "/v1beta/models/gemini-embedding-001:batchEmbedContents" || !bytes.Contains(up.Body, []byte(`"outputDimensionality":8`)) {
		t.Errorf("embeddings reached Gemini as %s %s", up.Path, up.Body)
	}

	// Models.
	resp, body = get(t, client, gw+"/v1/models")
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"gemini/gemini-2.0-flash"`)) {
		t.Errorf("GET /v1/models: %s\n%s", resp.Status, body)
	}
}

// TestGeminiErrorThroughGateway checks that Gemini's error body reaches the client as the
// unified error with Gemini's status and message, and without the key: an injected 429, and
// the 400 Gemini answers a wrong key with.
func TestGeminiErrorThroughGateway(t *testing.T) {
	_, mockURL := startMock(t, mocks.Config{Format: mocks.FormatGemini, RequireKey: mockKey, FailFirst: []int{429}})
	cfg := fmt.Sprintf(`{"providers":{"gemini":{"keys":[{"value":%q,"models":["gemini-2.0-flash"],"weight":1},{"value":"AIza-wrong-key-0123456789","models":["gemini-bad"],"weight":1}],
  "network_config":{"base_url":%q,"max_retries":0}}}}`, mockKey, mockURL)
	gw, client := startBuiltGateway(t, cfg)
	for _, tc := range []struct {
		model, typ, code, message string
		status                    int
	}{
		{"gemini-2.0-flash", "rate_limit_error", "RESOURCE_EXHAUSTED", "Resource has been exhausted", http.StatusTooManyRequests},
		{"gemini-bad", "invalid_request_error", "INVALID_ARGUMENT", "API key not valid", http.StatusBadRequest},
	} {
		resp, body := post(t, client, gw+"/v1/chat/completions", `{"model":"gemini/`+tc.model+`","messages":[{"role":"user","content":"Hi"}]}`)
		var e struct {
			Error struct {
				Message string `json:"message"`
				Type    string `json:"type"`
				Code    string `json:"code"`
			} `json:"error"`
		}
		if err := json.Unmarshal(body, &e); resp.StatusCode != tc.status || err != nil || e.Error.Type != tc.typ || e.Error.Code != tc.code ||
			!strings.Contains(e.Error.Message, tc.message) || strings.Contains(string(body), mockKey) || strings.Contains(string(body), "wrong-key") {
			t.Errorf("%s: %s (%v)\n%s", tc.model, resp.Status, err, body)
		}
	}
}
