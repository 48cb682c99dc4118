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

// TestCohereThroughGateway runs the OpenAI-shaped API through a freshly built gateway against
// the mock speaking Cohere's v2 format: plain, streamed and tool-calling chats, a tool result
// turn, embeddings, the model list and a provider error.
func TestCohereThroughGateway(t *testing.T) {
	mock, mockURL := startMock(t, mocks.Config{Format: mocks.FormatCohere, RequireKey: mockKey,
		Latency: 3 * time.Millisecond, StreamChunks: 6, EmbeddingDimensions: 8, Record: true})
	gw, client := startBuiltGateway(t, oneKeyConfig("cohere", mockKey, mockURL))

	type message struct {
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
	}
	var chat struct {
		Object  string `json:"object"`
		Choices []struct {
			Message      message `json:"message"`
			FinishReason string  `json:"finish_reason"`
		} `json:"choices"`
		Usage struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
			TotalTokens      int `json:"total_tokens"`
		} `json:"usage"`
	}
	lastUpstream := func() mocks.RecordedRequest { return lastRequest(t, mock) }

	// Plain chat: Cohere's body on /v2/chat with the bearer key, an OpenAI answer back.
	resp, body := post(t, client, gw+"/v1/chat/completions",
		`{"model":"cohere/command-a-03-2025","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say hello."}],"top_p":0.5,"stop":"END"}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("chat: %s\n%s", resp.Status, body)
	}
	if err := json.Unmarshal(body, &chat); err != nil || chat.Object != "chat.completion" || len(chat.Choices) != 1 ||
		chat.Choices[0].Message.Role != "assistant" || chat.Choices[0].Message.Content == "" || chat.Choices[0].FinishReason != "stop" ||
		chat.Usage.TotalTokens != chat.Usage.PromptTokens+chat.Usage.CompletionTokens || chat.Usage.CompletionTokens == 0 {
		t.Errorf("chat: want an assistant answer with stop and usage; got (%v)\n%s", err, body)
	}
	up := lastUpstream()
	if up.Method != "POST" || up.Path != "/v2/chat" || up.Header["Authorization"] != "Bearer "+mockKey ||
		!bytes.Contains(up.Body, []byte(`"p":0.5`)) || !bytes.Contains(up.Body, []byte(`"stop_sequences":["END"]`)) ||
		!bytes.Contains(up.Body, []byte(`"model":"command-a-03-2025"`)) {
		t.Errorf("upstream request %s %s, Authorization %q, body %s", up.Method, up.Path, up.Header["Authorization"], up.Body)
	}

	// Tool call, then the tool result turn.
	tools := `"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]`
	resp, body = post(t, client, gw+"/v1/chat/completions",
		`{"model":"cohere/command-a-03-2025","messages":[{"role":"user","content":"Weather in Paris?"}],`+tools+`}`)
	if err := json.Unmarshal(body, &chat); resp.StatusCode != http.StatusOK || err != nil || len(chat.Choices) != 1 ||
		chat.Choices[0].FinishReason != "tool_calls" || len(chat.Choices[0].Message.ToolCalls) != 1 ||
		chat.Choices[0].Message.ToolCalls[0].Function.Name != "get_weather" || chat.Choices[0].Message.ToolCalls[0].ID == "" {
		t.Fatalf("tool chat: %s (%v)\n%s", resp.Status, err, body)
	}
	call := chat.Choices[0].Message.ToolCalls[0]
	turn := fmt.Sprintf(`{"model":"cohere/command-a-03-2025","messages":[{"role":"user","content":"Weather in Paris?"},`+
		`{"role":"assistant","content":%q,"tool_calls":[{"id":%q,"type":"function","function":{"name":"get_weather","arguments":%q}}]},`+
		`{"role":"tool","tool_call_id":%q,"content":"sunny"}],%s}`, chat.Choices[0].Message.Content, call.ID, call.Function.Arguments, call.ID, tools)
	resp, body = post(t, client, gw+"/v1/chat/completions", turn)
	if err := json.Unmarshal(body, &chat); resp.StatusCode != http.StatusOK || err != nil || chat.Choices[0].FinishReason != "stop" ||
		chat.Choices[0].Message.Content == "" {
		t.Errorf("tool result turn: %s (%v)\n%s", resp.Status, err, body)
	}
	if up := lastUpstream(); !bytes.Contains(up.Body, []byte(`"role":"tool","tool_call_id":"`+call.ID+`"`)) ||
		!bytes.Contains(up.Body, []byte(`"tool_plan":`)) {
		t.Errorf("tool result turn reached Cohere as %s", up.Body)
	}

	// Streams: text, then tool calls.
	for _, tc := range []struct{ name, body, finish string }{
		{"text", `{"model":"cohere/command-a-03-2025","stream":true,"messages":[{"role":"user","content":"Count to three."}]}`, "stop"},
		{"tools", `{"model":"cohere/command-a-03-2025","stream":true,"messages":[{"role":"user","content":"Weather?"}],` + tools + `}`, "tool_calls"},
	} {
		resp, body = post(t, client, gw+"/v1/chat/completions", tc.body)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("%s stream: %s %s\n%s", tc.name, resp.Status, resp.Header.Get("Content-Type"), body)
		}
		st := readChatStream(t, tc.name, body, "command-a-03-2025", 2)
		role, content, finish, name, args, usage := st.role, st.content, st.finish, st.toolName, st.toolArgs, st.usage
		if !role || finish != tc.finish || usage == 0 || content == "" ||
			(tc.finish == "tool_calls" && (name != "get_weather" || args != "{}")) {
			t.Errorf("%s stream: role %v, content %q, tool %q(%s), finish %q, usage %d\n%s", tc.name, role, content, name, args, finish, usage, body)
		}
		if up := lastUpstream(); !bytes.Contains(up.Body, []byte(`"stream":true`)) || up.Header["Accept"] != "text/event-stream" {
			t.Errorf("%s stream reached Cohere with Accept %q, body %s", tc.name, up.Header["Accept"], up.Body)
		}
	}

	// Embeddings.
	resp, body = post(t, client, gw+"/v1/embeddings", `{"model":"cohere/embed-v4.0","input":["a","b","c"],"dimensions":8}`)
	var emb struct {
		Object string `json:"object"`
		Data   []struct {
			Index     int       `json:"index"`
			Embedding []float64 `json:"embedding"`
		} `json:"data"`
		Usage struct {
			PromptTokens int `json:"prompt_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(body, &emb); resp.StatusCode != http.StatusOK || err != nil || emb.Object != "list" || len(emb.Data) != 3 ||
		emb.Data[2].Index != 2 || len(emb.Data[2].Embedding) != 8 || emb.Usage.PromptTokens != 3 {
		t.Errorf("embeddings: %s (%v)\n%s", resp.Status, err, body)
	}
	if up := lastUpstream(); up.Path != "/v2/embed" || !bytes.Contains(up.Body, []byte(`"input_type":"search_document"`)) ||
		!bytes.Contains(up.Body, []byte(`"output_dimension":8`)) {
		t.Errorf("embeddings reached Cohere as %s %s", up.Path, up.Body)
	}

	// Models.
	resp, body = get(t, client, gw+"/v1/models")
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"cohere/command-a-03-2025"`)) {
		t.Errorf("GET /v1/models: %s\n%s", resp.Status, body)
	}
}

// TestCohereErrorThroughGateway checks that a Cohere error body reaches the client as the
// unified error with Cohere's status and message, and without the key.
func TestCohereErrorThroughGateway(t *testing.T) {
	_, mockURL := startMock(t, mocks.Config{Format: mocks.FormatCohere, RequireKey: mockKey, FailFirst: []int{429}})
	gw, client := startBuiltGateway(t, oneKeyConfig("cohere", mockKey, mockURL))
	resp, body := post(t, client, gw+"/v1/chat/completions", `{"model":"cohere/command-a-03-2025","messages":[{"role":"user","content":"Hi"}]}`)
	var e struct {
		Error struct {
			Message string `json:"message"`
			Type    string `json:"type"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); resp.StatusCode != http.StatusTooManyRequests || err != nil ||
		e.Error.Type != "rate_limit_error" || !strings.Contains(e.Error.Message, "Trial key") || strings.Contains(string(body), mockKey) {
		t.Errorf("injected 429: %s (%v)\n%s", resp.Status, err, body)
	}
}
