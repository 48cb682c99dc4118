// Package mocks serves a mock LLM provider that speaks the OpenAI wire
// format, for Bifrost's tests and benchmarks.
//
// A Server answers the OpenAI routes Bifrost calls, with and without the
// /v1 prefix:
//
//	POST /v1/chat/completions   chat.completion, or chat.completion.chunk events when "stream": true
//	POST /v1/completions        text_completion, plain or streamed
//	POST /v1/embeddings         a list of embedding objects, one per input
//	GET  /v1/models             a list of model objects
//	GET  /v1/models/{model}     one model object
//	POST /v1/responses          OpenAI's Responses API: a Response object, or its stream events
//	                            when "stream": true; stored unless "store": false, for
//	                            GET and DELETE /v1/responses/{id}, GET .../input_items and
//	                            previous_response_id (format_responses.go)
//
// Config.Format serves another wire format instead, on that provider's own routes and in its
// shapes. Each format is one file, format_<name>.go, registered by name in formats.go. The
// formats served:
//
//	Format           Routes                                                    Auth, errors
//	FormatOpenAI     the routes above (the default)                            Bearer key; {"error":{...}}
//	FormatAzure      /openai/deployments/{deployment}/{operation}?api-version= api-key header; OpenAI's
//	                 and /openai/models, answered as the OpenAI routes; the
//	                 v1 surface /openai/v1/responses (the Responses API)
//	FormatAnthropic  POST /v1/messages (plain and SSE), GET /v1/models         x-api-key, anthropic-version;
//	                                                                           {"type":"error","error":{...}}
//	FormatBedrock    POST /model/{id}/converse, /converse-stream (AWS event    Bearer API key or SigV4
//	                 stream), /invoke (Titan, Cohere embeddings);              (access key checked);
//	                 GET /foundation-models                                    {"message"}, x-amzn-ErrorType
//	FormatCohere     POST /v2/chat (plain and SSE), POST /v2/embed,            Bearer key; {"id","message"}
//	                 GET /v1/models
//	FormatGemini     POST /v1beta/models/{model}:generateContent,              x-goog-api-key;
//	                 :streamGenerateContent?alt=sse, :batchEmbedContents,      {"error":{"code","message",
//	                 :embedContent; GET /v1beta/models                         "status"}}
//	FormatVertex     POST .../publishers/google/models/{model}:generateContent, OAuth2 token from the mock's
//	                 :streamGenerateContent?alt=sse, :predict; Claude models at own POST /token (JWT
//	                 .../publishers/anthropic/models/{model}:rawPredict and    bearer grant); Google's
//	                 :streamRawPredict (Anthropic's format); POST /token       errors, Anthropic's for Claude
//
// Each format's file cites the provider documentation it follows.
//
// Responses echo the request's model and carry consistent usage figures.
// A Config sets the latency model (fixed latency plus uniform jitter), the
// response size, the number of stream chunks, failure injection (random
// 429, 500 and 503 answers and a fixed sequence for the first requests),
// an optional API key and a record mode that keeps recent requests for
// tests.
//
// The plain chat completion path allocates nothing per request once warm:
// the response is assembled from pieces computed by New, with the model,
// id, timestamp and usage appended in place, and the request is read with
// easyjson's jlexer rather than encoding/json.
package mocks
