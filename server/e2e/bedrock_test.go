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

// TestBedrockThroughGateway runs the OpenAI-shaped API through a freshly built gateway against
// the mock speaking Bedrock's Converse API: SigV4-signed plain, streamed (AWS event stream)
// and tool-calling chats, a tool result turn, Titan and Cohere embeddings.
func TestBedrockThroughGateway(t *testing.T) {
	const accessKey = "AKIDBIFROSTE2E"
	mock, mockURL := startMock(t, mocks.Config{Format: mocks.FormatBedrock, RequireKey: accessKey,
		Latency: 3 * time.Millisecond, StreamChunks: 6, Record: true})
	cfg := fmt.Sprintf(`{"providers":{"bedrock":{"keys":[{"bedrock_key_config":{"access_key":%q,"secret_key":%q,"session_token":"e2e-token","region":"eu-west-1"},"models":["*"],"weight":1}],
  "network_config":{"base_url":%q,"max_retries":0}}}}`, accessKey, mockKey, mockURL)
	gw, client := startBuiltGateway(t, cfg)
	const model = "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0"
	lastUpstream := func() mocks.RecordedRequest { return lastRequest(t, mock) }

	type message struct {
		Role      string `json:"role"`
		Content   string `json:"content"`
		ToolCalls []struct {
			ID       string `json:"id"`
			Function struct{ Name, Arguments string }
		} `json:"tool_calls"`
	}
	var chat struct {
		Object  string `json:"object"`
		Choices []struct {
			Message      message `json:"message"`
			FinishReason string  `json:"finish_reason"`
		} `json:"choices"`
		Usage struct {
			Total int `json:"total_tokens"`
		} `json:"usage"`
	}

	// Plain chat, SigV4-signed: the model id escaped in the path, the session token sent.
	resp, body := post(t, client, gw+"/v1/chat/completions",
		`{"model":"`+model+`","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say hello."}],"max_tokens":100,"stop":"END"}`)
	if err := json.Unmarshal(body, &chat); resp.StatusCode != http.StatusOK || err != nil || chat.Object != "chat.completion" || len(chat.Choices) != 1 ||
		chat.Choices[0].Message.Role != "assistant" || chat.Choices[0].Message.Content == "" || chat.Choices[0].FinishReason != "stop" || chat.Usage.Total == 0 {
		t.Fatalf("chat: %s (%v)\n%s", resp.Status, err, body)
	}
	up := lastUpstream()
	authz := up.Header["Authorization"]
	if up.Path != "/model/anthropic.claude-3-5-sonnet-20240620-v1:0/converse" && up.Path != "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse" {
		t.Errorf("upstream path %s", up.Path)
	}
	if !strings.HasPrefix(authz, "AWS4-HMAC-SHA256 Credential="+accessKey+"/") || !strings.Contains(authz, "/eu-west-1/bedrock/aws4_request, SignedHeaders=") ||
		!strings.Contains(authz, "x-amz-security-token") || up.Header["X-Amz-Security-Token"] != "e2e-token" || len(up.Header["X-Amz-Date"]) != 16 {
		t.Errorf("upstream auth: %q, headers %v", authz, up.Header)
	}
	if !bytes.Contains(up.Body, []byte(`"system":[{"text":"Be brief."}]`)) || !bytes.Contains(up.Body, []byte(`"inferenceConfig":{"maxTokens":100,"stopSequences":["END"]}`)) {
		t.Errorf("upstream body %s", up.Body)
	}

	// Tool call, then the tool result turn.
	tools := `"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]`
	resp, body = post(t, client, gw+"/v1/chat/completions", `{"model":"`+model+`","messages":[{"role":"user","content":"Weather in Paris?"}],`+tools+`}`)
	if err := json.Unmarshal(body, &chat); resp.StatusCode != http.StatusOK || err != nil || len(chat.Choices) != 1 ||
		chat.Choices[0].FinishReason != "tool_calls" || len(chat.Choices[0].Message.ToolCalls) != 1 ||
		chat.Choices[0].Message.ToolCalls[0].Function.Name != "get_weather" || !strings.HasPrefix(chat.Choices[0].Message.ToolCalls[0].ID, "tooluse_") ||
		chat.Choices[0].Message.ToolCalls[0].Function.Arguments != `{"query":"bifrost"}` {
		t.Fatalf("tool chat: %s (%v)\n%s", resp.Status, err, body)
	}
	call := chat.Choices[0].Message.ToolCalls[0]
	turn := fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":"Weather in Paris?"},`+
		`{"role":"assistant","content":null,"tool_calls":[{"id":%q,"type":"function","function":{"name":"get_weather","arguments":%q}}]},`+
		`{"role":"tool","tool_call_id":%q,"content":"sunny"}],%s}`, model, call.ID, call.Function.Arguments, call.ID, tools)
	resp, body = post(t, client, gw+"/v1/chat/completions", turn)
	if err := json.Unmarshal(body, &chat); resp.StatusCode != http.StatusOK || err != nil || chat.Choices[0].FinishReason != "stop" {
		t.Errorf("tool result turn: %s (%v)\n%s", resp.Status, err, body)
	}
	if up := lastUpstream(); !bytes.Contains(up.Body, []byte(`{"toolUse":{"toolUseId":"`+call.ID+`","name":"get_weather","input":{"query":"bifrost"}}}`)) ||
		!bytes.Contains(up.Body, []byte(`{"toolResult":{"toolUseId":"`+call.ID+`","content":[{"text":"sunny"}]}}`)) {
		t.Errorf("tool result turn reached Bedrock as %s", up.Body)
	}

	// Streams, as AWS event streams: text, then a tool call.
	for _, tc := range []struct{ name, body, finish string }{
		{"text", `{"model":"` + model + `","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Count to three."}]}`, "stop"},
		{"tools", `{"model":"` + model + `","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Weather?"}],` + tools + `}`, "tool_calls"},
	} {
		resp, body = post(t, client, gw+"/v1/chat/completions", tc.body)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("%s stream: %s %s\n%s", tc.name, resp.Status, resp.Header.Get("Content-Type"), body)
		}
		st := readChatStream(t, tc.name, body, "anthropic.claude-3-5-sonnet-20240620-v1:0", 2)
		if !st.sameID {
			t.Fatalf("%s stream: chunks with different ids\n%s", tc.name, body)
		}
		role, content, finish, name, args, usage := st.role, st.content, st.finish, st.toolName, st.toolArgs, st.usage
		if !role || finish != tc.finish || usage == 0 || (tc.finish == "stop" && content == "") ||
			(tc.finish == "tool_calls" && (name != "get_weather" || args != `{"query": "bifrost"}`)) {
			t.Errorf("%s stream: role %v, content %q, tool %q(%s), finish %q, usage %d\n%s", tc.name, role, content, name, args, finish, usage, body)
		}
		if up := lastUpstream(); !strings.HasSuffix(up.Path, "/converse-stream") || up.Header["Accept"] != "application/vnd.amazon.eventstream" {
			t.Errorf("%s stream reached Bedrock at %s with Accept %q", tc.name, up.Path, up.Header["Accept"])
		}
	}

	// Embeddings: Titan (one input) and Cohere (a list).
	var emb struct {
		Object string `json:"object"`
		Data   []struct {
			Index     int       `json:"index"`
			Embedding []float64 `json:"embedding"`
		} `json:"data"`
	}
	for _, tc := range []struct {
		body     string
		n        int
		upstream string
	}{
		{`{"model":"bedrock/amazon.titan-embed-text-v2:0","input":"hello","dimensions":16}`, 1, `{"inputText":"hello","dimensions":16}`},
		{`{"model":"bedrock/cohere.embed-english-v3","input":["a","b","c"]}`, 3, `{"texts":["a","b","c"],"input_type":"search_document"}`},
	} {
		resp, body = post(t, client, gw+"/v1/embeddings", tc.body)
		if err := json.Unmarshal(body, &emb); resp.StatusCode != http.StatusOK || err != nil || emb.Object != "list" || len(emb.Data) != tc.n ||
			emb.Data[tc.n-1].Index != tc.n-1 || len(emb.Data[0].Embedding) == 0 {
			t.Errorf("embeddings %s: %s (%v)\n%s", tc.body, resp.Status, err, body)
		}
		if up := lastUpstream(); !strings.HasSuffix(up.Path, "/invoke") || string(up.Body) != tc.upstream {
			t.Errorf("embeddings reached Bedrock as %s %s", up.Path, up.Body)
		}
	}

	// The model list: ListFoundationModels for on-demand models, signed like the rest; the
	// image model is left out (the gateway cannot call it).
	resp, body = get(t, client, gw+"/v1/models")
	var models struct {
		Data []struct{ ID, OwnedBy string } `json:"data"`
	}
	if err := json.Unmarshal(body, &models); resp.StatusCode != http.StatusOK || err != nil || len(models.Data) != 2 ||
		models.Data[0].ID != "bedrock/amazon.titan-embed-text-v2:0" || models.Data[1].ID != model ||
		strings.Contains(string(body), "stability.") || strings.Contains(string(body), ":200k") {
		t.Errorf("models: %s (%v)\n%s", resp.Status, err, body)
	}
	if up := lastUpstream(); up.Method != "GET" || up.Path != "/foundation-models" || up.Query != "byInferenceType=ON_DEMAND" ||
		!strings.Contains(up.Header["Authorization"], "/eu-west-1/bedrock/aws4_request") {
		t.Errorf("model list reached Bedrock as %s %s?%s, auth %q", up.Method, up.Path, up.Query, up.Header["Authorization"])
	}

	// Titan takes one input: a list is refused before anything is sent.
	n := len(mock.Requests())
	resp, body = post(t, client, gw+"/v1/embeddings", `{"model":"bedrock/amazon.titan-embed-text-v1","input":["a","b"]}`)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "one input per request") || len(mock.Requests()) != n {
		t.Errorf("titan list: %s\n%s", resp.Status, body)
	}
}

// TestBedrockErrorThroughGateway checks that a Bedrock error (an injected 429
// ThrottlingException, answered by a key given as a Bedrock API key) reaches the client as the
// unified error with Bedrock's status and message, and without the key.
func TestBedrockErrorThroughGateway(t *testing.T) {
	mock, mockURL := startMock(t, mocks.Config{Format: mocks.FormatBedrock, RequireKey: mockKey, FailFirst: []int{429}, Record: true})
	cfg := fmt.Sprintf(`{"providers":{"bedrock":{"keys":[{"value":%q,"bedrock_key_config":{"region":"us-east-1"},"models":["*"],"weight":1}],
  "network_config":{"base_url":%q,"max_retries":0}}}}`, mockKey, mockURL)
	gw, client := startBuiltGateway(t, cfg)
	const model = "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0"
	// The first request gets an injected 429 ThrottlingException: the unified error, no secret.
	resp, body := post(t, client, gw+"/v1/chat/completions", `{"model":"`+model+`","messages":[{"role":"user","content":"Hi"}]}`)
	var e struct {
		Error struct{ Message, Type string } `json:"error"`
	}
	if err := json.Unmarshal(body, &e); resp.StatusCode != http.StatusTooManyRequests || err != nil || e.Error.Type != "rate_limit_error" ||
		!strings.Contains(e.Error.Message, "Too many requests") || strings.Contains(string(body), mockKey) {
		t.Errorf("injected 429: %s (%v)\n%s", resp.Status, err, body)
	}

	if reqs := mock.Requests(); len(reqs) != 1 || reqs[0].Header["Authorization"] != "Bearer "+mockKey {
		t.Errorf("the API key was not sent as a bearer token: %+v", reqs)
	}
}
