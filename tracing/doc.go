// Package tracing exports OpenTelemetry traces of the gateway's requests over OTLP, with
// the GenAI semantic conventions
// (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/).
//
// Each HTTP request gets a server span (Tracer.Handler), as does each call of the gRPC API
// (Tracer.UnaryInterceptor and StreamInterceptor; named "bifrost.v1.Bifrost/{method}" with
// the RPC conventions' rpc.system, rpc.service, rpc.method and rpc.grpc.status_code), and
// each upstream attempt of it,
// retries and fallbacks included, a client span under it, named "{gen_ai.operation.name}
// {gen_ai.request.model}" and carrying gen_ai.operation.name, gen_ai.provider.name (and
// the older gen_ai.system), gen_ai.request.model, gen_ai.response.model,
// gen_ai.response.finish_reasons, gen_ai.usage.input_tokens and output_tokens, error.type
// on failure, and ours: bifrost.key.name (the key's name, never its value),
// bifrost.retry and bifrost.fallback_index; the server span adds bifrost.overhead_ms and,
// when governance priced the answer, bifrost.cost_usd (what it was charged, in US
// dollars). A
// stream's spans end when the stream ends, and its first chunk is a "gen_ai.first_token"
// event with gen_ai.response.time_to_first_chunk in seconds.
//
// A client's W3C traceparent (and tracestate), as an HTTP header or gRPC metadata, makes
// the server span its child; with
// propagate_to_provider each attempt's own traceparent goes to the provider.
//
// Prompt and completion text go on spans only with capture_content, as
// gen_ai.input.messages and gen_ai.output.messages, each truncated to max_content_bytes; a
// stream's output is the text of its first choice as it was streamed.
//
// Settings come from the config's tracing block (config.Tracing) and, where it says
// nothing, from the standard environment variables that the OpenTelemetry SDK reads:
// OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS,
// OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG,
// OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_SDK_DISABLED. Without a block, tracing
// is on when an OTLP endpoint variable is set.
//
// Spans are exported in batches from a bounded queue by one goroutine: a request never
// waits for the exporter; when the queue is full a span is dropped and counted
// (Tracer.Dropped). With tracing off the handler wrap and the engine's hooks cost a nil
// check each and allocate nothing.
package tracing
