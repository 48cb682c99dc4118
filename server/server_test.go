package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestHTTPErrors checks the status and OpenAI-shaped body of every kind of bad request.
func TestHTTPErrors(t *testing.T) {
	p := newInProcess(t, mocks.Config{}, `{"providers":{
		"openai":{"keys":[{"name":"k","value":"`+inProcessKey+`","weight":1}],"network_config":{"base_url":"http://mock.inmemory"}},
		"groq":{"keys":[{"name":"k","value":"sk-wrong-key-for-the-mock-000","weight":1}],"network_config":{"base_url":"http://mock.inmemory"}}}}`)
	cases := []struct {
		name, method, path, body string
		status                   int
		typ, code, msg           string
	}{
		{"malformed JSON with its offset", "POST", "/v1/chat/completions", `{"model":"openai/x","messages":[}`, 400,
			"invalid_request_error", "invalid_json", "at byte offset 33"},
		{"truncated JSON", "POST", "/v1/chat/completions", `{"model":"openai/x"`, 400,
			"invalid_request_error", "invalid_json", "unexpected end of input at byte offset 19"},
		{"wrong type", "POST", "/v1/chat/completions", `{"model":"openai/x","messages":[{"role":"user","content":42}]}`, 400,
			"invalid_request_error", "invalid_json", "expected a string"},
		{"empty body", "POST", "/v1/chat/completions", ``, 400, "invalid_request_error", "invalid_json", "byte offset 0"},
		{"unknown provider", "POST", "/v1/chat/completions", `{"model":"nope/x","messages":[{"role":"user","content":"hi"}]}`, 400,
			"invalid_request_error", "unknown_provider", `provider "nope" is not configured`},
		{"bare model", "POST", "/v1/chat/completions", `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`, 400,
			"invalid_request_error", "unknown_model", "names no provider"},
		{"unsupported operation", "POST", "/v1/embeddings", `{"model":"groq/x","input":"hi"}`, 400,
			"invalid_request_error", "unsupported_operation", "provider groq does not support embeddings"},
		{"upstream 401 passed on without the key", "POST", "/v1/chat/completions", `{"model":"groq/x","messages":[{"role":"user","content":"hi"}]}`, 401,
			"invalid_request_error", "invalid_api_key", "provider groq: "},
		{"bad embeddings input", "POST", "/v1/embeddings", `{"model":"openai/x","input":[]}`, 400,
			"invalid_request_error", "invalid_json", "must not be empty"},
		{"GET on a POST route", "GET", "/v1/chat/completions", ``, 405, "invalid_request_error", "method_not_allowed", "use POST"},
		{"POST on a GET route", "POST", "/v1/models", `{}`, 405, "invalid_request_error", "method_not_allowed", "use GET"},
		{"unknown route", "POST", "/v2/chat", `{}`, 404, "not_found_error", "unknown_route", "no route for POST /v2/chat"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := newCtx(c.method, c.path, []byte(c.body))
			p.do(ctx)
			if got := ctx.Response.StatusCode(); got != c.status {
				t.Fatalf("status %d, want %d: %s", got, c.status, ctx.Response.Body())
			}
			var body struct {
				Error struct {
					Message string  `json:"message"`
					Type    string  `json:"type"`
					Code    *string `json:"code"`
				} `json:"error"`
			}
			if err := json.Unmarshal(ctx.Response.Body(), &body); err != nil {
				t.Fatalf("body is not JSON: %s", ctx.Response.Body())
			}
			if body.Error.Type != c.typ || body.Error.Code == nil || *body.Error.Code != c.code || !strings.Contains(body.Error.Message, c.msg) {
				t.Errorf("error %s, want type %s, code %s, message containing %q", ctx.Response.Body(), c.typ, c.code, c.msg)
			}
			if bytes.Contains(ctx.Response.Body(), []byte("sk-wrong-key")) || bytes.Contains(ctx.Response.Body(), []byte(inProcessKey)) {
				t.Errorf("error body shows a key: %s", ctx.Response.Body())
			}
			if c.status != 405 && c.status != 404 && len(ctx.Response.Header.Peek(OverheadHeader)) == 0 {
				t.Errorf("no %s header", OverheadHeader)
			}
		})
	}
}

func TestChatAndOverheadHeader(t *testing.T) {
	p := newInProcess(t, mocks.Config{}, "")
	for _, path := range []string{"/v1/chat/completions", "/openai/v1/chat/completions", "/chat/completions"} {
		ctx := newCtx("POST", path, chatBody)
		p.do(ctx)
		if ctx.Response.StatusCode() != 200 {
			t.Fatalf("%s: %d %s", path, ctx.Response.StatusCode(), ctx.Response.Body())
		}
		var resp struct {
			Object  string `json:"object"`
			Model   string `json:"model"`
			Choices []struct {
				Message struct{ Role, Content string } `json:"message"`
			} `json:"choices"`
			Usage struct {
				Total int `json:"total_tokens"`
			} `json:"usage"`
		}
		if err := json.Unmarshal(ctx.Response.Body(), &resp); err != nil {
			t.Fatal(err)
		}
		if resp.Object != "chat.completion" || resp.Model != "gpt-4o-mini" || len(resp.Choices) != 1 || resp.Choices[0].Message.Content == "" || resp.Usage.Total == 0 {
			t.Errorf("%s: %s", path, ctx.Response.Body())
		}
		us, err := strconv.Atoi(string(ctx.Response.Header.Peek(OverheadHeader)))
		if err != nil || us < 0 {
			t.Errorf("%s = %q", OverheadHeader, ctx.Response.Header.Peek(OverheadHeader))
		}
	}
}

func TestTextAndEmbeddings(t *testing.T) {
	p := newInProcess(t, mocks.Config{}, "")
	ctx := newCtx("POST", "/v1/completions", []byte(`{"model":"openai/gpt-3.5-turbo-instruct","prompt":"Say hi","max_tokens":5}`))
	p.do(ctx)
	if ctx.Response.StatusCode() != 200 || !bytes.Contains(ctx.Response.Body(), []byte(`"object":"text_completion"`)) {
		t.Errorf("completions: %d %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	ctx = newCtx("POST", "/v1/text/completions", []byte(`{"model":"openai/gpt-3.5-turbo-instruct","prompt":["a","b"]}`))
	p.do(ctx)
	if ctx.Response.StatusCode() != 200 {
		t.Errorf("text alias: %d %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	ctx = newCtx("POST", "/v1/embeddings", []byte(`{"model":"openai/text-embedding-3-small","input":["a","b","c"],"dimensions":8}`))
	p.do(ctx)
	var emb struct {
		Data []struct {
			Index     int       `json:"index"`
			Embedding []float64 `json:"embedding"`
		} `json:"data"`
		Usage map[string]int `json:"usage"`
	}
	if err := json.Unmarshal(ctx.Response.Body(), &emb); err != nil || len(emb.Data) != 3 || len(emb.Data[2].Embedding) != 8 || emb.Data[2].Index != 2 {
		t.Errorf("embeddings: %v %s", err, ctx.Response.Body())
	}
	if _, ok := emb.Usage["completion_tokens"]; ok || emb.Usage["prompt_tokens"] == 0 {
		t.Errorf("embeddings usage %v", emb.Usage)
	}
}

func TestModelsAndHealth(t *testing.T) {
	p := newInProcess(t, mocks.Config{}, "")
	ctx := newCtx("GET", "/v1/models", nil)
	p.do(ctx)
	var list struct {
		Object string                `json:"object"`
		Data   []struct{ ID string } `json:"data"`
	}
	if err := json.Unmarshal(ctx.Response.Body(), &list); err != nil || list.Object != "list" || len(list.Data) == 0 {
		t.Fatalf("models: %v %s", err, ctx.Response.Body())
	}
	for _, m := range list.Data {
		if !strings.HasPrefix(m.ID, "openai/") {
			t.Errorf("model id %q is not provider/model", m.ID)
		}
	}
	ctx = newCtx("GET", "/health", nil)
	p.do(ctx)
	if ctx.Response.StatusCode() != 200 || string(ctx.Response.Body()) != `{"status":"ok"}` {
		t.Errorf("health: %d %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
}

// TestStreamRelay checks the server-sent events a client gets: OpenAI chunks, one per event,
// a role chunk first, a usage chunk with no choices, and [DONE] last.
func TestStreamRelay(t *testing.T) {
	p := newInProcess(t, mocks.Config{StreamChunks: 4}, "")
	ctx := newCtx("POST", "/v1/chat/completions", []byte(`{"model":"openai/gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`))
	p.do(ctx)
	if ctx.Response.StatusCode() != 200 || string(ctx.Response.Header.ContentType()) != "text/event-stream" {
		t.Fatalf("%d %s", ctx.Response.StatusCode(), ctx.Response.Header.ContentType())
	}
	var events []string
	sc := bufio.NewScanner(bytes.NewReader(ctx.Response.Body()))
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			if !strings.HasPrefix(line, "data: ") {
				t.Fatalf("line %q is not a data line", line)
			}
			events = append(events, strings.TrimPrefix(line, "data: "))
		}
	}
	if len(events) < 4 || events[len(events)-1] != "[DONE]" {
		t.Fatalf("events %q", events)
	}
	type chunk struct {
		Object  string `json:"object"`
		Choices []struct {
			Delta struct {
				Role    string  `json:"role"`
				Content *string `json:"content"`
			} `json:"delta"`
			FinishReason *string `json:"finish_reason"`
		} `json:"choices"`
		Usage *struct {
			TotalTokens int `json:"total_tokens"`
		} `json:"usage"`
	}
	var first, usage chunk
	json.Unmarshal([]byte(events[0]), &first)             //nolint:errcheck // checked below
	json.Unmarshal([]byte(events[len(events)-2]), &usage) //nolint:errcheck
	if first.Object != "chat.completion.chunk" || first.Choices[0].Delta.Role != "assistant" || first.Choices[0].FinishReason != nil {
		t.Errorf("first chunk %s", events[0])
	}
	if len(usage.Choices) != 0 || usage.Usage == nil || usage.Usage.TotalTokens == 0 {
		t.Errorf("usage chunk %s", events[len(events)-2])
	}
}

// TestMetricsLint runs Prometheus' linter on the gateway's metrics after some traffic.
func TestMetricsLint(t *testing.T) {
	p := newInProcess(t, mocks.Config{}, "")
	for _, body := range []string{string(chatBody), `{"model":"nope/x","messages":[{"role":"user","content":"hi"}]}`} {
		p.do(newCtx("POST", "/v1/chat/completions", []byte(body)))
	}
	problems, err := testutil.GatherAndLint(p.srv.Metrics().Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range problems {
		t.Errorf("metric %s: %s", pr.Metric, pr.Text)
	}
	ctx := newCtx("GET", "/metrics", nil)
	p.do(ctx)
	for _, want := range []string{
		`bifrost_requests_total{endpoint="chat",model="gpt-4o-mini",provider="openai",status="2xx",transport="http"} 1`,
		`bifrost_requests_total{endpoint="chat",model="none",provider="none",status="4xx",transport="http"} 1`,
		`bifrost_gateway_overhead_seconds_count{endpoint="chat",transport="http"} 2`,
		`bifrost_in_flight_requests{provider="openai"} 0`,
	} {
		if !bytes.Contains(ctx.Response.Body(), []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
