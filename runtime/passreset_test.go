package runtime_test

import (
	"reflect"
	"testing"

	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/jsonscan"
	prov "github.com/bifrost-gw/bifrost/runtime/provider"
)

// TestPassedCallResetsClean: a call served on the passthrough path is reset, when released,
// to the state a full reset leaves, whatever happened on the way (a retry after an error, an
// answer that jsonscan declined and the decoder read, each kind): reset clears only the
// request of a call's kind after a passed answer, and must not leave anything behind in the
// pooled Call for the next request.
func TestPassedCallResetsClean(t *testing.T) {
	const chat = `{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"max_tokens":9,"fallbacks":["openai/gpt-4o"]}`
	// Not an answer to the decoder (no choices), and declined by jsonscan: the engine decodes
	// it into ChatResp, refuses it and tries again.
	const notAnswer = `{"id":"chatcmpl-left-behind","object":"chat.completion","model":"m","choices":[]}`
	cases := []struct {
		name   string
		mock   mocks.Config
		kind   jsonscan.Kind
		body   string
		passed bool // the final answer is the provider's own body
	}{
		{"chat", mocks.Config{}, jsonscan.Chat, chat, true},
		{"chat after a 500", mocks.Config{FailFirst: []int{500}}, jsonscan.Chat, chat, true},
		{"chat after a declined answer", mocks.Config{Fault: mocks.FaultBody, FaultBody: notAnswer, FaultCount: 1}, jsonscan.Chat, chat, true},
		{"chat whose answer is declined", mocks.Config{Fault: mocks.FaultBody, FaultBody: notAnswer}, jsonscan.Chat, chat, false},
		{"text", mocks.Config{}, jsonscan.Text, `{"model":"openai/gpt-3.5-turbo-instruct","prompt":"hi","max_tokens":5}`, true},
		{"embedding", mocks.Config{}, jsonscan.Embedding, `{"model":"openai/text-embedding-3-small","input":"hi"}`, true},
		{"anthropic messages", mocks.Config{Format: mocks.FormatAnthropic}, jsonscan.Messages,
			`{"model":"anthropic/claude-3-5-haiku-20241022","max_tokens":9,"messages":[{"role":"user","content":"hi"}]}`, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := serveMock(t, tc.mock)
			name := "openai"
			if tc.kind == jsonscan.Messages {
				name = "anthropic"
			}
			e := newEngine(t, `{"providers":{"`+name+`":`+rigProvider(u.addr, 2, "")+`}}`, timeouts{}, runtime.Options{})
			c := e.AcquireCall()
			body := []byte(tc.body)
			scan := c.PassScan()
			if !jsonscan.ScanRequest(body, tc.kind, scan) {
				t.Fatalf("jsonscan declined %s", body)
			}
			model, pf := scan.Model.Text(body), scan.Provider.Text(body)
			var fallbacks []string
			for i := range scan.NFallbacks {
				fallbacks = append(fallbacks, scan.Fallbacks[i].Text(body))
			}
			op := map[jsonscan.Kind]prov.Op{jsonscan.Chat: prov.OpChat, jsonscan.Messages: prov.OpChat, jsonscan.Text: prov.OpText, jsonscan.Embedding: prov.OpEmbedding}[tc.kind]
			passable := e.Passable(c, op, model, pf, fallbacks)
			if tc.kind == jsonscan.Messages {
				passable = e.PassableMessages(c, model, pf, fallbacks)
			}
			if !passable {
				t.Fatal("not passable")
			}
			var err *runtime.Error
			switch tc.kind {
			case jsonscan.Chat, jsonscan.Messages:
				c.Chat.Model, c.Chat.Provider, c.Chat.Fallbacks = model, pf, fallbacks
				c.Chat.MaxTokens.V, c.Chat.MaxTokens.Defined = 9, true
				c.Passthrough(tc.kind, body, false)
				err = e.ChatCompletion(c)
			case jsonscan.Text:
				c.Text.Model, c.Text.Provider, c.Text.Fallbacks = model, pf, fallbacks
				c.Passthrough(tc.kind, body, false)
				err = e.TextCompletion(c)
			case jsonscan.Embedding:
				c.Embedding.Model, c.Embedding.Provider, c.Embedding.Fallbacks = model, pf, fallbacks
				c.Passthrough(tc.kind, body, false)
				err = e.Embedding(c)
			}
			if tc.passed && (err != nil || !c.Passed()) {
				t.Fatalf("err %v, passed %v", err, c.Passed())
			}
			if !tc.passed && err == nil {
				t.Fatal("a body that is not an answer was served")
			}
			e.ReleaseCall(c)
			// c is back in the pool; nothing else uses it while the test looks at it.
			assertReset(t, "Chat", &c.Chat)
			assertReset(t, "ChatResp", &c.ChatResp)
			assertReset(t, "Chunk", &c.Chunk)
			assertReset(t, "Text", &c.Text)
			assertReset(t, "TextResp", &c.TextResp)
			assertReset(t, "Embedding", &c.Embedding)
			assertReset(t, "EmbeddingResp", &c.EmbeddingResp)
			if c.Err != (runtime.Error{}) || c.Provider != "" || c.Model != "" || c.Attempts != 0 {
				t.Errorf("call state left behind: err %+v, provider %q, model %q, attempts %d", c.Err, c.Provider, c.Model, c.Attempts)
			}
		})
	}
}

// resetter is a unified struct with its Reset.
type resetter[T any] interface {
	*T
	Reset()
}

// assertReset fails unless *v is what its Reset leaves.
func assertReset[T any, P resetter[T]](t *testing.T, name string, v P) {
	t.Helper()
	want := *v
	P(&want).Reset()
	if !reflect.DeepEqual(*v, want) {
		t.Errorf("%s is not reset: %+v", name, *v)
	}
}
