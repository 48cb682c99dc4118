package mocks

import (
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

type chatCompletion struct {
	ID                string `json:"id"`
	Object            string `json:"object"`
	Created           int64  `json:"created"`
	Model             string `json:"model"`
	SystemFingerprint string `json:"system_fingerprint"`
	Choices           []struct {
		Index   int `json:"index"`
		Message struct {
			Role    string  `json:"role"`
			Content string  `json:"content"`
			Refusal *string `json:"refusal"`
		} `json:"message"`
		Logprobs     any    `json:"logprobs"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage usage `json:"usage"`
}

type textCompletion struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Text         string `json:"text"`
		Index        int    `json:"index"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage usage `json:"usage"`
}

type modelObject struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

func checkUsage(t *testing.T, u usage) {
	t.Helper()
	if u.PromptTokens <= 0 || u.CompletionTokens <= 0 || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage %+v is not plausible and consistent", u)
	}
}

func TestChatCompletion(t *testing.T) {
	s := newServer(t, Config{})
	tests := []struct {
		name, path, model string
	}{
		{"v1", "/v1/chat/completions", "gpt-4o-mini"},
		{"no prefix", "/chat/completions", "gpt-4o-mini"},
		{"trailing slash", "/v1/chat/completions/", "gpt-4o-mini"},
		{"odd model", "/v1/chat/completions", "my \"model\"\n\u00e9\u4e16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"messages":[{"role":"user","content":"hi"}],"model":` + jsonString(tt.model) + `}`
			r := call(t, s, "POST", tt.path, body, "")
			if r.status != fasthttp.StatusOK || r.contentType != contentTypeJSON {
				t.Fatalf("status %d, content type %q, body %s", r.status, r.contentType, r.body)
			}
			const want = "choices,created,id,model,object,service_tier,system_fingerprint,usage"
			if got := keysOf(t, r.body); got != want {
				t.Errorf("members %q, want %q", got, want)
			}
			var c chatCompletion
			decode(t, r.body, &c)
			if !strings.HasPrefix(c.ID, "chatcmpl-") || c.Object != "chat.completion" || c.Created == 0 {
				t.Errorf("id %q, object %q, created %d", c.ID, c.Object, c.Created)
			}
			if c.Model != tt.model {
				t.Errorf("model %q, want %q", c.Model, tt.model)
			}
			if len(c.Choices) != 1 {
				t.Fatalf("%d choices, want 1", len(c.Choices))
			}
			ch := c.Choices[0]
			if ch.Index != 0 || ch.Message.Role != "assistant" || ch.Message.Content == "" || ch.FinishReason != "stop" || ch.Message.Refusal != nil {
				t.Errorf("choice %+v", ch)
			}
			checkUsage(t, c.Usage)
		})
	}
}

func TestChatIDsDiffer(t *testing.T) {
	s := newServer(t, Config{})
	var a, b chatCompletion
	decode(t, call(t, s, "POST", "/v1/chat/completions", chatBody, "").body, &a)
	decode(t, call(t, s, "POST", "/v1/chat/completions", chatBody, "").body, &b)
	if a.ID == b.ID {
		t.Errorf("two responses share id %q", a.ID)
	}
}

func TestPromptTokensGrowWithPrompt(t *testing.T) {
	s := newServer(t, Config{})
	var short, long chatCompletion
	decode(t, call(t, s, "POST", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"hi"}]}`, "").body, &short)
	decode(t, call(t, s, "POST", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"`+strings.Repeat("word ", 400)+`"}]}`, "").body, &long)
	if long.Usage.PromptTokens < short.Usage.PromptTokens+400 {
		t.Errorf("prompt tokens %d for a long prompt, %d for a short one", long.Usage.PromptTokens, short.Usage.PromptTokens)
	}
}

func TestResponseSize(t *testing.T) {
	tests := []struct {
		size string
		want int
	}{
		{"", 1024},
		{"1kb", 1024},
		{"10kb", 10240},
		{"10KB", 10240},
	}
	for _, tt := range tests {
		t.Run(tt.size, func(t *testing.T) {
			s := newServer(t, Config{ResponseSize: tt.size})
			r := call(t, s, "POST", "/v1/chat/completions", chatBody, "")
			if got := len(r.body); got < tt.want*98/100 || got > tt.want*102/100 {
				t.Errorf("body is %d bytes, want about %d", got, tt.want)
			}
		})
	}
}

func TestTextCompletion(t *testing.T) {
	s := newServer(t, Config{})
	tests := []struct {
		name, path, prompt string
	}{
		{"string", "/v1/completions", `"Say this is a test"`},
		{"no prefix", "/completions", `"Say this is a test"`},
		{"strings", "/v1/completions", `["one","two"]`},
		{"tokens", "/v1/completions", `[1,2,3]`},
		{"token arrays", "/v1/completions", `[[1,2],[3]]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, s, "POST", tt.path, `{"model":"gpt-3.5-turbo-instruct","prompt":`+tt.prompt+`,"max_tokens":7}`, "")
			if r.status != fasthttp.StatusOK {
				t.Fatalf("status %d, body %s", r.status, r.body)
			}
			const want = "choices,created,id,model,object,system_fingerprint,usage"
			if got := keysOf(t, r.body); got != want {
				t.Errorf("members %q, want %q", got, want)
			}
			var c textCompletion
			decode(t, r.body, &c)
			if !strings.HasPrefix(c.ID, "cmpl-") || c.Object != "text_completion" || c.Model != "gpt-3.5-turbo-instruct" || c.Created == 0 {
				t.Errorf("completion %+v", c)
			}
			if len(c.Choices) != 1 || c.Choices[0].Text == "" || c.Choices[0].FinishReason != "stop" {
				t.Errorf("choices %+v", c.Choices)
			}
			checkUsage(t, c.Usage)
		})
	}
}

func TestModels(t *testing.T) {
	s := newServer(t, Config{})
	for _, path := range []string{"/v1/models", "/models"} {
		r := call(t, s, "GET", path, "", "")
		if r.status != fasthttp.StatusOK {
			t.Fatalf("%s: status %d", path, r.status)
		}
		var list struct {
			Object string        `json:"object"`
			Data   []modelObject `json:"data"`
		}
		decode(t, r.body, &list)
		if list.Object != "list" || len(list.Data) < 3 {
			t.Fatalf("%s: list %+v", path, list)
		}
		for _, m := range list.Data {
			if m.ID == "" || m.Object != "model" || m.Created == 0 || m.OwnedBy == "" {
				t.Errorf("%s: model %+v", path, m)
			}
		}
	}

	for _, id := range []string{"gpt-4o", "my-fine-tune"} {
		r := call(t, s, "GET", "/v1/models/"+id, "", "")
		var m modelObject
		decode(t, r.body, &m)
		if r.status != fasthttp.StatusOK || m.ID != id || m.Object != "model" {
			t.Errorf("model %s: status %d, %+v", id, r.status, m)
		}
	}
}

func TestBadRequests(t *testing.T) {
	s := newServer(t, Config{})
	deep := `{"model":"m","messages":[{"role":"user","content":"x","extra":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}]}`
	tests := []struct {
		name, path, body, param string
	}{
		{"empty body", "/v1/chat/completions", ``, ""},
		{"not json", "/v1/chat/completions", `hello`, ""},
		{"truncated", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user"`, ""},
		{"trailing garbage", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"x"}]}x`, ""},
		{"array body", "/v1/chat/completions", `[1,2]`, ""},
		{"bad escape", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"\q"}]}`, ""},
		{"trailing comma", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"x"},]}`, ""},
		{"too deep", "/v1/chat/completions", deep, ""},
		{"missing model", "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`, "model"},
		{"null model", "/v1/chat/completions", `{"model":null,"messages":[{"role":"user","content":"x"}]}`, "model"},
		{"model not a string", "/v1/chat/completions", `{"model":4,"messages":[{"role":"user","content":"x"}]}`, "model"},
		{"missing messages", "/v1/chat/completions", `{"model":"m"}`, "messages"},
		{"empty messages", "/v1/chat/completions", `{"model":"m","messages":[]}`, "messages"},
		{"message not an object", "/v1/chat/completions", `{"model":"m","messages":["hi"]}`, "messages"},
		{"stream not a bool", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"x"}],"stream":"yes"}`, "stream"},
		{"missing prompt", "/v1/completions", `{"model":"m"}`, "prompt"},
		{"prompt object", "/v1/completions", `{"model":"m","prompt":{}}`, "prompt"},
		{"missing input", "/v1/embeddings", `{"model":"m"}`, "input"},
		{"empty input", "/v1/embeddings", `{"model":"m","input":""}`, "input"},
		{"empty input array", "/v1/embeddings", `{"model":"m","input":[]}`, "input"},
		{"empty token array", "/v1/embeddings", `{"model":"m","input":[[]]}`, "input"},
		{"mixed input", "/v1/embeddings", `{"model":"m","input":["a",[1]],"x":1}`, ""},
		{"bool input", "/v1/embeddings", `{"model":"m","input":true}`, "input"},
		{"zero dimensions", "/v1/embeddings", `{"model":"m","input":"a","dimensions":0}`, "dimensions"},
		{"float dimensions", "/v1/embeddings", `{"model":"m","input":"a","dimensions":1.5}`, "dimensions"},
		{"bad encoding", "/v1/embeddings", `{"model":"m","input":"a","encoding_format":"hex"}`, "encoding_format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := checkError(t, call(t, s, "POST", tt.path, tt.body, ""), fasthttp.StatusBadRequest, "")
			if e.Error.Type != "invalid_request_error" {
				t.Errorf("type %q", e.Error.Type)
			}
			if tt.param != "" && (e.Error.Param == nil || *e.Error.Param != tt.param) {
				t.Errorf("param %v, want %q (message %q)", e.Error.Param, tt.param, e.Error.Message)
			}
		})
	}
	if got := s.Stats().BadRequests; got != uint64(len(tests)) {
		t.Errorf("Stats().BadRequests = %d, want %d", got, len(tests))
	}
}

func TestUnknownRoutes(t *testing.T) {
	s := newServer(t, Config{})
	tests := []struct {
		method, path string
		status       int
	}{
		{"POST", "/v1/chat", fasthttp.StatusNotFound},
		{"POST", "/v2/chat/completions", fasthttp.StatusNotFound},
		{"GET", "/", fasthttp.StatusNotFound},
		{"GET", "/v1/models/", fasthttp.StatusOK}, // the list, with a trailing slash
		{"GET", "/v1/chat/completions", fasthttp.StatusMethodNotAllowed},
		{"POST", "/v1/models", fasthttp.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		r := call(t, s, tt.method, tt.path, chatBody, "")
		if tt.status == fasthttp.StatusOK {
			if r.status != tt.status {
				t.Errorf("%s %s: status %d", tt.method, tt.path, r.status)
			}
			continue
		}
		checkError(t, r, tt.status, "")
	}
	if got := s.Stats().NotFound; got != 3 {
		t.Errorf("Stats().NotFound = %d, want 3", got)
	}
}

func TestStats(t *testing.T) {
	s := newServer(t, Config{FailFirst: []int{500}})
	call(t, s, "POST", "/v1/chat/completions", chatBody, "")
	call(t, s, "POST", "/chat/completions", chatBody, "")
	call(t, s, "POST", "/v1/embeddings", `{"model":"m","input":"x"}`, "")
	call(t, s, "GET", "/v1/models", "", "")
	call(t, s, "GET", "/v1/nope", "", "")
	st := s.Stats()
	if st.Total != 5 || st.NotFound != 1 {
		t.Errorf("Total %d, NotFound %d", st.Total, st.NotFound)
	}
	want := map[string]uint64{"/v1/chat/completions": 2, "/v1/embeddings": 1, "/v1/models": 1}
	if len(st.Requests) != len(want) {
		t.Errorf("Requests %v, want %v", st.Requests, want)
	}
	for k, v := range want {
		if st.Requests[k] != v {
			t.Errorf("Requests[%q] = %d, want %d", k, st.Requests[k], v)
		}
	}
	if len(st.Injected) != 1 || st.Injected[500] != 1 {
		t.Errorf("Injected %v, want map[500:1]", st.Injected)
	}
}
