package tracing_test

import (
	"context"
	"testing"

	"github.com/bifrost-gw/bifrost/mocks"
	pb "github.com/bifrost-gw/bifrost/proto/bifrost/v1"
	"github.com/bifrost-gw/bifrost/tracing"
	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/collector/consumer/consumertest"
)

// BenchmarkInProcessChat is one chat completion through the whole gateway in process
// (handler, engine, OpenAI adapter, mock provider in memory) with tracing off, and on
// with every trace sampled and exported over OTLP/HTTP to the Collector's receiver on
// this machine. The difference is tracing's cost per request (the export goroutine's
// included, as it shares the CPUs).
//
//	go test ./tracing -run '^$' -bench InProcessChat -benchmem -count 5
func BenchmarkInProcessChat(b *testing.B) {
	b.Run("off", func(b *testing.B) {
		tr := tracing.New(tracing.Options{Getenv: func(string) string { return "" }})
		bench(b, inProcess(b, tr, true, ""))
	})
	b.Run("on", func(b *testing.B) {
		httpAddr, _ := startReceiverTo(b, consumertest.NewNop())
		tr := tracing.New(tracing.Options{Getenv: func(string) string { return "" }})
		bench(b, inProcess(b, tr, true, `,"tracing":{"endpoint":"http://`+httpAddr+`","queue_size":65536}`))
		b.StopTimer()
		if d := tr.Dropped(); d > 0 {
			b.ReportMetric(float64(d)/float64(b.N), "dropped/op")
		}
	})
}

func bench(b *testing.B, h fasthttp.RequestHandler) {
	ctx := newCtx(chatBody)
	for i := 0; i < 50; i++ {
		chat(b, h, ctx)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		chat(b, h, ctx)
	}
}

// BenchmarkGRPCChat is BenchmarkInProcessChat over the gRPC API: a generated client on a
// local TCP connection -> the gRPC service -> engine -> a mock provider on local TCP, with
// tracing off and on (every trace sampled, exported to the Collector's receiver).
//
//	go test ./tracing -run '^$' -bench GRPCChat -benchmem -count 5
func BenchmarkGRPCChat(b *testing.B) {
	for _, on := range []bool{false, true} {
		name, block := "off", `{"enabled":false}`
		if on {
			httpAddr, _ := startReceiverTo(b, consumertest.NewNop())
			name, block = "on", `{"endpoint":"http://`+httpAddr+`","queue_size":65536}`
		}
		b.Run(name, func(b *testing.B) {
			_, url := startMock(b, mocks.Config{})
			tr := tracing.New(tracing.Options{Getenv: func(string) string { return "" }})
			g := startGateway(b, `{"providers":{"openai":{"keys":[{"value":"sk-bench","models":["*"],"weight":1}],`+
				`"network_config":{"base_url":"`+url+`"}}},"tracing":`+block+`}`, tr)
			req := &pb.ChatCompletionRequest{Model: "openai/gpt-4o-mini",
				Messages: []*pb.ChatMessage{{Role: "user", Content: "What should we measure to know what the gateway adds?"}}}
			ctx := context.Background()
			for i := 0; i < 50; i++ {
				if _, err := g.grpc.ChatCompletion(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := g.grpc.ChatCompletion(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
