//go:build !race

package jsonscan

import (
	"os"
	"testing"
)

// TestScanAllocs: scanning and splicing a request and scanning answers and chunks allocate
// nothing.
func TestScanAllocs(t *testing.T) {
	req, err := os.ReadFile("../../adapters/testdata/chat_request_1kb.json")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := os.ReadFile("../../adapters/testdata/chat_response_1kb.json")
	if err != nil {
		t.Fatal(err)
	}
	stream := []byte(`{"model":"openai/gpt-4o","provider":"openai","fallbacks":["groq/l"],"stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	chunk := []byte(`{"id":"c","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}`)
	event := []byte(`{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":15}}`)
	messages := []byte(`{"model":"anthropic/claude-sonnet-4-5","max_tokens":256,"system":[{"type":"text","text":"Be brief.","cache_control":{"type":"ephemeral"}}],` +
		`"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"w","input":{"c":"P"}}]},` +
		`{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"18C"}]}],"tools":[{"name":"w","input_schema":{"type":"object"}}],` +
		`"thinking":{"type":"enabled","budget_tokens":2048},"provider":"anthropic","fallbacks":["anthropic/claude-haiku-4-5"]}`)
	message, err := os.ReadFile("../../adapters/anthropic/testdata/message_1kb.json")
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]byte, 0, 8192)
	var r Request
	var a Answer
	for name, f := range map[string]func(){
		"request": func() {
			if !ScanRequest(req, Chat, &r) {
				t.Fatal("declined")
			}
			dst = AppendRequest(dst[:0], req, &r, "gpt-4o-mini", true)
		},
		"stream request": func() {
			if !ScanRequest(stream, Chat, &r) {
				t.Fatal("declined")
			}
			dst = AppendRequest(dst[:0], stream, &r, "gpt-4o", true)
		},
		"answer": func() {
			if !ScanOpenAI(resp, Chat, &a) {
				t.Fatal("declined")
			}
		},
		"messages request": func() {
			if !ScanRequest(messages, Messages, &r) {
				t.Fatal("declined")
			}
			dst = AppendRequest(dst[:0], messages, &r, "claude-sonnet-4-5", false)
		},
		"anthropic answer": func() {
			if !ScanAnthropic(message, &a) {
				t.Fatal("declined")
			}
		},
		"chunk":     func() { ScanOpenAI(chunk, Chat, &a) },
		"anthropic": func() { ScanAnthropicEvent(event, &a) },
	} {
		if n := testing.AllocsPerRun(200, f); n != 0 {
			t.Errorf("%s: %v allocs per run, want 0", name, n)
		}
	}
}

func BenchmarkScanRequest1KB(b *testing.B) {
	req, err := os.ReadFile("../../adapters/testdata/chat_request_1kb.json")
	if err != nil {
		b.Fatal(err)
	}
	dst := make([]byte, 0, 8192)
	var r Request
	b.SetBytes(int64(len(req)))
	b.ReportAllocs()
	for b.Loop() {
		ScanRequest(req, Chat, &r)
		dst = AppendRequest(dst[:0], req, &r, "gpt-4o-mini", false)
	}
}

func BenchmarkScanAnswer1KB(b *testing.B) {
	resp, err := os.ReadFile("../../adapters/testdata/chat_response_1kb.json")
	if err != nil {
		b.Fatal(err)
	}
	var a Answer
	b.SetBytes(int64(len(resp)))
	b.ReportAllocs()
	for b.Loop() {
		ScanOpenAI(resp, Chat, &a)
	}
}
