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
//
// Config.Format serves another wire format instead, on that provider's own routes and in its
// shapes (format_<name>.go): FormatAnthropic (Messages API), FormatAzure (deployment paths),
// FormatBedrock (Converse, ConverseStream in AWS's event stream, InvokeModel embeddings,
// ListFoundationModels), FormatCohere (v2 chat and embed), FormatGemini (generateContent,
// streamGenerateContent, batchEmbedContents) and FormatVertex (Gemini models, Claude models
// through rawPredict, and an OAuth2 token endpoint). FormatOpenAI is the default.
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
