package runtime_test

import (
	"testing"

	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/mailru/easyjson/jlexer"
)

// answerFormat is a provider wire format served by the mock, with what the engine needs to
// reach it.
type answerFormat struct {
	format, provider, model, keyConfig string
}

var answerFormats = []answerFormat{
	{mocks.FormatOpenAI, "openai", "gpt-4o-mini", ""},
	{mocks.FormatAnthropic, "anthropic", "claude-3-5-haiku-20241022", ""},
	{mocks.FormatGemini, "gemini", "gemini-1.5-flash", ""},
	{mocks.FormatCohere, "cohere", "command-r", ""},
	{mocks.FormatBedrock, "bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0", `,"bedrock_key_config":{"region":"us-east-1"}`},
}

// answerEngine starts a mock of f's format that answers with cfg's fault, and an engine
// with f's provider on it (one retry) and a healthy OpenAI-format fallback, "groq".
func answerEngine(t *testing.T, f answerFormat, cfg mocks.Config) (*runtime.Engine, *upstream, *upstream) {
	t.Helper()
	cfg.Format, cfg.RequireKey = f.format, "-"
	primary := serveMock(t, cfg)
	fallback := serveMock(t, mocks.Config{})
	prov := `{"keys":[{"name":"k","value":"` + rigKey + `","models":["*"],"weight":1` + f.keyConfig + `}],
		"circuit_breaker":{"enabled":false},
		"network_config":{"base_url":"http://` + primary.addr + `","max_retries":1,"retry_backoff_initial":1,"retry_backoff_max":2}}`
	e := newEngine(t, `{"providers":{"`+f.provider+`":`+prov+`,"groq":`+rigProvider(fallback.addr, 0, "")+`}}`, timeouts{}, runtime.Options{})
	return e, primary, fallback
}

// TestNoAnswerIsNoSuccess checks issue 10's defect 9 for every provider format: a 200 whose
// body is valid JSON but no completion ({}, null, {"choices":null}, or the format's own empty
// answer) is a retryable 502 invalid_upstream_response, retried (max_retries 1: two
// requests), and with a fallback configured the fallback serves.
func TestNoAnswerIsNoSuccess(t *testing.T) {
	common := []mocks.Config{{Fault: mocks.FaultEmptyObject}, {Fault: mocks.FaultNullBody}, {Fault: mocks.FaultNullChoices}}
	own := map[string][]string{
		mocks.FormatOpenAI:    {`{"choices":[]}`, `{"choices":[{}]}`, `{"id":"x","choices":[{"index":0,"message":{"role":"assistant"}}]}`},
		mocks.FormatAnthropic: {`{"type":"message","role":"assistant","content":[]}`, `{"content":null,"stop_reason":null}`},
		mocks.FormatGemini:    {`{"candidates":[]}`, `{"candidates":[{}]}`, `{"candidates":[{"content":{"parts":[]}}]}`},
		mocks.FormatCohere:    {`{"message":{}}`, `{"message":{"content":[]}}`},
		mocks.FormatBedrock:   {`{"output":{}}`, `{"output":{"message":{"content":[]}}}`},
	}
	for _, f := range answerFormats {
		cases := append([]mocks.Config(nil), common...)
		for _, b := range own[f.format] {
			cases = append(cases, mocks.Config{Fault: mocks.FaultBody, FaultBody: b})
		}
		for _, cfg := range cases {
			name := f.provider + " " + string(cfg.Fault) + " " + cfg.FaultBody
			t.Run(name, func(t *testing.T) {
				e, primary, _ := answerEngine(t, f, cfg)
				c, err := rigChat(t, e, chatBody(f.provider+"/"+f.model, false), nil)
				if err == nil || err.Status != 502 || string(err.Body.Code) != "invalid_upstream_response" || !err.Retryable {
					t.Fatalf("%+v (choices %+v), want a retryable 502 invalid_upstream_response", err, c.ChatResp.Choices)
				}
				if c.Attempts != 2 || primary.requests() != 2 {
					t.Errorf("%d attempts, %d requests at the provider; want 2 (one retry)", c.Attempts, primary.requests())
				}
				e.ReleaseCall(c)
				c, err = rigChat(t, e, chatBody(f.provider+"/"+f.model, false, "groq/llama-3.1-8b-instant"), nil)
				defer e.ReleaseCall(c)
				if err != nil || c.Provider != "groq" || len(c.ChatResp.Choices) != 1 || c.ChatResp.Choices[0].Message.Content.Text.String() == "" {
					t.Fatalf("with a fallback: %v from %s, want the fallback's answer", err, c.Provider)
				}
			})
		}
	}
}

// TestEmptyButFinishedIsAnAnswer checks the other side of TestNoAnswerIsNoSuccess: an answer
// with no content that the model ended on purpose (a finish reason) is a success, as the
// provider meant it.
func TestEmptyButFinishedIsAnAnswer(t *testing.T) {
	bodies := map[string]string{
		mocks.FormatOpenAI:    `{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":""},"finish_reason":"stop"}]}`,
		mocks.FormatAnthropic: `{"id":"msg_1","type":"message","role":"assistant","content":[],"stop_reason":"end_turn"}`,
		mocks.FormatGemini:    `{"candidates":[{"content":{"role":"model","parts":[]},"finishReason":"STOP"}]}`,
		mocks.FormatCohere:    `{"id":"x","finish_reason":"COMPLETE","message":{"role":"assistant","content":[]}}`,
		mocks.FormatBedrock:   `{"output":{"message":{"role":"assistant","content":[]}},"stopReason":"end_turn"}`,
	}
	for _, f := range answerFormats {
		t.Run(f.provider, func(t *testing.T) {
			e, _, _ := answerEngine(t, f, mocks.Config{Fault: mocks.FaultBody, FaultBody: bodies[f.format]})
			c, err := rigChat(t, e, chatBody(f.provider+"/"+f.model, false), nil)
			defer e.ReleaseCall(c)
			if err != nil || len(c.ChatResp.Choices) != 1 || c.ChatResp.Choices[0].FinishReason != "stop" {
				t.Fatalf("%v, choices %+v; want the empty answer with finish reason stop", err, c.ChatResp.Choices)
			}
		})
	}
}

// TestNoEmbeddingIsNoSuccess checks the embeddings side: a 200 without embeddings, or with
// an empty one, is a retryable 502 invalid_upstream_response.
func TestNoEmbeddingIsNoSuccess(t *testing.T) {
	f := answerFormats[0]
	for _, cfg := range []mocks.Config{
		{Fault: mocks.FaultEmptyObject}, {Fault: mocks.FaultNullBody},
		{Fault: mocks.FaultBody, FaultBody: `{"object":"list","data":[]}`},
		{Fault: mocks.FaultBody, FaultBody: `{"object":"list","data":[{"object":"embedding","index":0}]}`},
		{Fault: mocks.FaultBody, FaultBody: `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[]}]}`},
	} {
		t.Run(string(cfg.Fault)+" "+cfg.FaultBody, func(t *testing.T) {
			e, _, _ := answerEngine(t, f, cfg)
			c := e.AcquireCall()
			defer e.ReleaseCall(c)
			if err := decodeEmbedding(c, `{"model":"openai/text-embedding-3-small","input":"hi"}`); err != nil {
				t.Fatal(err)
			}
			err := e.Embedding(c)
			if err == nil || err.Status != 502 || string(err.Body.Code) != "invalid_upstream_response" || !err.Retryable || c.Attempts != 2 {
				t.Fatalf("%+v after %d attempts, want a retryable 502 invalid_upstream_response after 2", err, c.Attempts)
			}
		})
	}
}

// TestNoTextIsNoSuccess checks the text completions side: a 200 without a choice that has
// text or a finish reason is a retryable 502 invalid_upstream_response.
func TestNoTextIsNoSuccess(t *testing.T) {
	f := answerFormats[0]
	for _, cfg := range []mocks.Config{
		{Fault: mocks.FaultEmptyObject}, {Fault: mocks.FaultNullChoices},
		{Fault: mocks.FaultBody, FaultBody: `{"object":"text_completion","choices":[{"index":0}]}`},
	} {
		t.Run(string(cfg.Fault)+" "+cfg.FaultBody, func(t *testing.T) {
			e, _, _ := answerEngine(t, f, cfg)
			c := e.AcquireCall()
			defer e.ReleaseCall(c)
			l := jlexer.Lexer{Data: []byte(`{"model":"openai/gpt-3.5-turbo-instruct","prompt":"hi"}`)}
			c.Text.UnmarshalEasyJSON(&l)
			if err := l.Error(); err != nil {
				t.Fatal(err)
			}
			err := e.TextCompletion(c)
			if err == nil || err.Status != 502 || string(err.Body.Code) != "invalid_upstream_response" || !err.Retryable || c.Attempts != 2 {
				t.Fatalf("%+v after %d attempts, want a retryable 502 invalid_upstream_response after 2", err, c.Attempts)
			}
		})
	}
}
