package mocks

import (
	"testing"
)

// benchmarkHandler runs one request through the handler on a reused
// request context, as fasthttp's server does.
func benchmarkHandler(b *testing.B, cfg Config, method, path, body string) {
	s, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	h := s.Handler()
	ctx := newCtx(method, path, body, cfg.RequireKey)
	ctx.Response.KeepBodyBuffer = true // as fasthttp's server does by default
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ctx.Response.Reset()
		h(ctx)
		if ctx.Response.StatusCode() != 200 {
			b.Fatalf("status %d", ctx.Response.StatusCode())
		}
	}
}

func BenchmarkChat1KB(b *testing.B) {
	benchmarkHandler(b, Config{ResponseSize: "1kb"}, "POST", "/v1/chat/completions", chatBody)
}

func BenchmarkChat10KB(b *testing.B) {
	benchmarkHandler(b, Config{ResponseSize: "10kb"}, "POST", "/v1/chat/completions", chatBody)
}

func BenchmarkChatWithKey(b *testing.B) {
	benchmarkHandler(b, Config{RequireKey: "sk-bench"}, "POST", "/v1/chat/completions", chatBody)
}

func BenchmarkCompletion(b *testing.B) {
	benchmarkHandler(b, Config{}, "POST", "/v1/completions", `{"model":"gpt-3.5-turbo-instruct","prompt":"Say this is a test","max_tokens":7}`)
}

func BenchmarkChatStream(b *testing.B) {
	s, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	h := s.Handler()
	ctx := newChatCtx(`{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`, "")
	b.ReportAllocs()
	for b.Loop() {
		ctx.Response.Reset()
		h(ctx)
		if len(ctx.Response.Body()) == 0 { // reads the whole stream
			b.Fatal("empty stream")
		}
	}
}

func BenchmarkEmbeddings(b *testing.B) {
	benchmarkHandler(b, Config{}, "POST", "/v1/embeddings", `{"model":"text-embedding-3-small","input":"The food was delicious and the waiter was friendly."}`)
}

func BenchmarkEmbeddingsBase64(b *testing.B) {
	benchmarkHandler(b, Config{}, "POST", "/v1/embeddings", `{"model":"text-embedding-3-small","input":"The food was delicious.","encoding_format":"base64"}`)
}
