package jsonscan

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters/anthropic"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson"
)

func TestScanOpenAI(t *testing.T) {
	for _, c := range []struct {
		name, body  string
		kind        Kind
		ok          bool
		usage       Usage
		finish      string
		choices     int
		substantial bool
	}{
		{"chat", `{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],` +
			`"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21,"prompt_tokens_details":{"cached_tokens":4},` +
			`"completion_tokens_details":{"reasoning_tokens":3}}}`, Chat, true, Usage{9, 12, 21, 4, 0, 3, true}, `"stop"`, 1, true},
		{"empty content counts", `{"choices":[{"message":{"content":""},"finish_reason":null}]}`, Chat, true, Usage{}, "", 1, true},
		{"tool calls", `{"choices":[{"message":{"content":null,"tool_calls":[{"id":"c"}]}}]}`, Chat, true, Usage{}, "", 1, true},
		{"nothing", `{"choices":[{"message":{"content":null,"tool_calls":[]}}]}`, Chat, true, Usage{}, "", 1, false},
		{"no choices", `{"choices":[]}`, Chat, true, Usage{}, "", 0, false},
		{"usage chunk", `{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}`, Chat, true, Usage{5, 7, 12, 0, 0, 0, true}, "", 0, false},
		{"chunk finish", `{"choices":[{"delta":{},"finish_reason":"length"}],"usage":null}`, Chat, true, Usage{}, `"length"`, 1, true},
		{"text", `{"choices":[{"text":"","finish_reason":null}],"usage":{"prompt_tokens":1}}`, Text, true, Usage{Input: 1, Defined: true}, "", 1, true},
		{"embedding", `{"data":[{"embedding":[0.1,0.2]},{"embedding":"AAAA"}],"usage":{"prompt_tokens":3,"total_tokens":3}}`, Embedding, true, Usage{Input: 3, Total: 3, Defined: true}, "", 0, true},
		{"embedding empty", `{"data":[{"embedding":[0.1]},{"embedding":[]}]}`, Embedding, true, Usage{}, "", 0, false},
		{"bad usage", `{"usage":{"prompt_tokens":"9"}}`, Chat, false, Usage{}, "", 0, false},
		{"fraction", `{"usage":{"prompt_tokens":1.5}}`, Chat, false, Usage{}, "", 0, false},
		{"invalid", `{"choices":[}`, Chat, false, Usage{}, "", 0, false},
		{"not object", `[1]`, Chat, false, Usage{}, "", 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var a Answer
			ok := ScanOpenAI([]byte(c.body), c.kind, &a)
			if ok != c.ok {
				t.Fatalf("ok = %v", ok)
			}
			if !ok {
				return
			}
			if a.Usage != c.usage || string(a.FinishReason.Of([]byte(c.body))) != c.finish || a.Choices != c.choices || a.Substantial != c.substantial {
				t.Errorf("got %+v finish %s", a, a.FinishReason.Of([]byte(c.body)))
			}
		})
	}
}

// TestScanOpenAIMatchesDecoder: on every OpenAI-shaped answer in the provider corpus and
// testdata, the scanner's usage, finish reason and answer check equal the decoding path's.
func TestScanOpenAIMatchesDecoder(t *testing.T) {
	files, _ := filepath.Glob("../../adapters/corpus/testdata/*/*/upstream_response.json")
	files = append(files, "../../adapters/testdata/chat_response_1kb.json")
	n := 0
	for _, f := range files {
		dir := filepath.Base(filepath.Dir(filepath.Dir(f)))
		if dir != "openai" && dir != "azure" && dir != "adapters" {
			continue
		}
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var resp schemas.ChatResponse
		if easyjson.Unmarshal(body, &resp) != nil || len(resp.Choices) == 0 {
			continue // an error, a model list, an embedding or a text answer
		}
		n++
		var a Answer
		if !ScanOpenAI(body, Chat, &a) {
			t.Errorf("%s: declined", f)
			continue
		}
		u := resp.Usage
		want := Usage{u.PromptTokens, u.CompletionTokens, u.TotalTokens, u.PromptTokensDetails.CachedTokens, u.CacheCreationInputTokens,
			u.CompletionTokensDetails.ReasoningTokens, u.IsDefined()}
		if a.Usage != want {
			t.Errorf("%s: usage %+v, decoder %+v", f, a.Usage, want)
		}
		if fr := string(a.FinishReason.Of(body)); fr != `"`+string(resp.Choices[0].FinishReason)+`"` && !(fr == "" && resp.Choices[0].FinishReason == "") {
			t.Errorf("%s: finish %s, decoder %q", f, fr, resp.Choices[0].FinishReason)
		}
		if !a.Substantial {
			t.Errorf("%s: not substantial", f)
		}
	}
	if n < 3 {
		t.Fatalf("only %d answers compared", n)
	}
}

// TestScanAnthropicMatchesDecoder: on every Anthropic message in the corpus, the scanner's
// usage and stop reason equal what the Anthropic adapter decodes.
func TestScanAnthropicMatchesDecoder(t *testing.T) {
	files, _ := filepath.Glob("../../adapters/corpus/testdata/anthropic/*/upstream_response.json")
	n := 0
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var resp schemas.ChatResponse
		if !bytes.Contains(body, []byte(`"usage"`)) || (anthropic.Adapter{}).DecodeChat(body, &resp) != nil || len(resp.Choices) == 0 {
			continue
		}
		n++
		var a Answer
		if !ScanAnthropic(body, &a) {
			t.Errorf("%s: declined", f)
			continue
		}
		if a.Usage.Input != resp.Usage.PromptTokens || a.Usage.Output != resp.Usage.CompletionTokens ||
			a.Usage.CachedInput != resp.Usage.PromptTokensDetails.CachedTokens {
			t.Errorf("%s: usage %+v, decoder %+v", f, a.Usage, resp.Usage)
		}
		if !a.Substantial || !a.FinishReason.Set() {
			t.Errorf("%s: %+v", f, a)
		}
	}
	if n < 5 {
		t.Fatalf("only %d answers compared", n)
	}
}

func TestScanAnthropicEvents(t *testing.T) {
	var a Answer
	for _, ev := range []string{
		`{"type":"message_start","message":{"id":"m","content":[],"stop_reason":null,"usage":{"input_tokens":10,"cache_read_input_tokens":5,"output_tokens":1}}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}`,
		`{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}`,
	} {
		if !ScanAnthropicEvent([]byte(ev), &a) {
			t.Fatalf("declined %s", ev)
		}
	}
	if a.Usage != (Usage{Input: 15, Output: 15, Total: 30, CachedInput: 5, Defined: true}) || !a.FinishReason.Set() {
		t.Errorf("after the stream: %+v", a)
	}
}
