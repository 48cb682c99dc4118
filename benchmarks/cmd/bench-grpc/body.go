package main

import pb "github.com/bifrost-gw/bifrost/proto/bifrost/v1"

// The benchmarks' ~1 KB chat completion (server.chatBody), as JSON for HTTP and as the
// same request in protobuf for gRPC.
var messages = [][2]string{
	{"system", "You are a concise assistant for an engineering team. Answer in plain English, cite the relevant section when you can, and say so when you do not know.\nKeep answers under five sentences."},
	{"user", "We run an LLM gateway in front of several providers. What should we measure to know what the gateway itself adds to latency?"},
	{"assistant", "Measure the gateway's own time per request: total time minus the time spent waiting on the provider. Report p50, p90 and p99 of that overhead, and compare against calling the provider directly under the same load."},
	{"user", "And how do we keep the comparison \"fair\" on a small machine where the load generator, the mock provider and the gateway share two cores?"},
}

const chatJSON = `{"model":"openai/gpt-4o-mini","messages":[` +
	`{"role":"system","content":"You are a concise assistant for an engineering team. Answer in plain English, cite the relevant section when you can, and say so when you do not know.\nKeep answers under five sentences."},` +
	`{"role":"user","content":"We run an LLM gateway in front of several providers. What should we measure to know what the gateway itself adds to latency?"},` +
	`{"role":"assistant","content":"Measure the gateway's own time per request: total time minus the time spent waiting on the provider. Report p50, p90 and p99 of that overhead, and compare against calling the provider directly under the same load."},` +
	`{"role":"user","content":"And how do we keep the comparison \"fair\" on a small machine where the load generator, the mock provider and the gateway share two cores?"}],` +
	`"temperature":0.2,"max_tokens":256,"user":"bench"}`

func chatProto() *pb.ChatCompletionRequest {
	temp, maxTokens := 0.2, int32(256)
	r := &pb.ChatCompletionRequest{Model: "openai/gpt-4o-mini", Temperature: &temp, MaxTokens: &maxTokens, User: "bench"}
	for _, m := range messages {
		r.Messages = append(r.Messages, &pb.ChatMessage{Role: m[0], Content: m[1]})
	}
	return r
}
