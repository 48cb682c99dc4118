package grpcapi

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	pb "github.com/bifrost-gw/bifrost/proto/bifrost/v1"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
	"google.golang.org/protobuf/types/known/structpb"
)

var update = flag.Bool("update", false, "rewrite the golden files of TestEncode")

func mustStruct(m map[string]any) *structpb.Struct {
	s, err := structpb.NewStruct(m)
	if err != nil {
		panic(err)
	}
	return s
}

// TestEncode pins the JSON body each protobuf request becomes (testdata/*.json; -update
// rewrites them), and checks that it is valid JSON that the unified schema decodes.
func TestEncode(t *testing.T) {
	f, seed, strict := 0.7, int64(42), true
	n, maxT := int32(2), int32(64)
	parts, _ := structpb.NewList([]any{map[string]any{"type": "text", "text": "What is this?"},
		map[string]any{"type": "image_url", "image_url": map[string]any{"url": "https://example.com/a.png"}}})
	full := &pb.ChatCompletionRequest{Model: "openai/gpt-4o", Temperature: &f, N: &n, MaxCompletionTokens: &maxT, Seed: &seed,
		Stop: []string{"\n\n", "END"}, User: "u-1", ReasoningEffort: "low", Provider: "", Fallbacks: []string{"anthropic/claude-3-5-haiku-20241022"},
		Messages: []*pb.ChatMessage{
			{Role: "system", Content: "Quote \"this\" \u2014 and a tab\t."},
			{Role: "user", ContentParts: parts},
			{Role: "assistant", ToolCalls: []*pb.ToolCall{{Id: "call_1", Function: &pb.FunctionCall{Name: "weather", Arguments: `{"city":"Oslo"}`}}}},
			{Role: "tool", ToolCallId: "call_1", Content: `{"temp":3}`},
		},
		Tools: []*pb.Tool{{Function: &pb.FunctionDefinition{Name: "weather", Description: "Weather now", Strict: &strict,
			Parameters: mustStruct(map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}})}}},
		ToolChoice:     structpb.NewStringValue("auto"),
		ResponseFormat: mustStruct(map[string]any{"type": "json_object"}),
		Extra:          mustStruct(map[string]any{"top_k": 5, "temperature": 1.9, "metadata": map[string]any{"a": "b"}}),
	}
	tests := []struct {
		name   string
		encode func(w *jwriter.Writer)
		decode func(l *jlexer.Lexer)
	}{
		{"chat_full", func(w *jwriter.Writer) { encodeChat(w, full, false, false) }, func(l *jlexer.Lexer) { new(schemas.ChatRequest).UnmarshalEasyJSON(l) }},
		{"chat_stream_usage", func(w *jwriter.Writer) { encodeChat(w, chatReq("groq/llama"), true, true) }, func(l *jlexer.Lexer) { new(schemas.ChatRequest).UnmarshalEasyJSON(l) }},
		{"text_prompts", func(w *jwriter.Writer) {
			encodeText(w, &pb.TextCompletionRequest{Model: "openai/gpt-3.5-turbo-instruct", Prompt: []string{"a", "b"}, MaxTokens: &maxT, Echo: &strict}, true, false)
		}, func(l *jlexer.Lexer) { new(schemas.TextRequest).UnmarshalEasyJSON(l) }},
		{"embedding_one", func(w *jwriter.Writer) {
			encodeEmbedding(w, &pb.EmbeddingRequest{Model: "openai/text-embedding-3-small", Input: []string{"hello"}, Dimensions: &maxT})
		}, func(l *jlexer.Lexer) { new(schemas.EmbeddingRequest).UnmarshalEasyJSON(l) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w jwriter.Writer
			tt.encode(&w)
			got, err := w.BuildBytes()
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(got) {
				t.Fatalf("not valid JSON: %s", got)
			}
			l := jlexer.Lexer{Data: got}
			tt.decode(&l)
			if err := l.Error(); err != nil {
				t.Fatalf("the unified schema refuses %s: %v", got, err)
			}
			path := filepath.Join("testdata", tt.name+".json")
			if *update {
				if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(want) != string(got)+"\n" {
				t.Errorf("body differs from %s (go test -update rewrites it):\n got %s\nwant %s", path, got, want)
			}
		})
	}
}
