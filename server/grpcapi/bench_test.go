package grpcapi

import (
	"context"
	"testing"

	"github.com/bifrost-gw/bifrost/mocks"
	pb "github.com/bifrost-gw/bifrost/proto/bifrost/v1"
)

// benchReq is server.chatBody (BenchmarkInProcessChat's ~1 KB conversation) as a
// protobuf request.
func benchReq() *pb.ChatCompletionRequest {
	temp, maxTokens := 0.2, int32(256)
	return &pb.ChatCompletionRequest{Model: "openai/gpt-4o-mini", Temperature: &temp, MaxTokens: &maxTokens, User: "bench",
		Messages: []*pb.ChatMessage{
			{Role: "system", Content: "You are a concise assistant for an engineering team. Answer in plain English, cite the relevant section when you can, and say so when you do not know.\nKeep answers under five sentences."},
			{Role: "user", Content: "We run an LLM gateway in front of several providers. What should we measure to know what the gateway itself adds to latency?"},
			{Role: "assistant", Content: "Measure the gateway's own time per request: total time minus the time spent waiting on the provider. Report p50, p90 and p99 of that overhead, and compare against calling the provider directly under the same load."},
			{Role: "user", Content: "And how do we keep the comparison \"fair\" on a small machine where the load generator, the mock provider and the gateway share two cores?"},
		}}
}

// BenchmarkGRPCChat measures a non-streaming chat completion through the gRPC service in
// one process: a generated client over an in-memory connection (bufconn) -> the service ->
// runtime -> OpenAI adapter -> in-memory mock -> back. Compare with the HTTP route's
// BenchmarkInProcessChat (server package), which has no client side: this one includes
// the gRPC client's encoding and decoding too.
func BenchmarkGRPCChat(b *testing.B) {
	for _, size := range []string{"1kb", "10kb"} {
		b.Run(size, func(b *testing.B) {
			r := newRig(b, mocks.Config{ResponseSize: size}, "")
			req, ctx := benchReq(), context.Background()
			for i := 0; i < 50; i++ {
				if _, err := r.client.ChatCompletion(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := r.client.ChatCompletion(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
