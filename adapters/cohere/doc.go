// Package cohere is Bifrost's adapter for Cohere's v2 API, the "cohere" wire format. The
// adapter (cohere_gen.go) and the easyjson marshalers (cohere_easyjson.go) are generated from
// specs/cohere.yaml; the codec they call, Codec (codec.go), and everything else here is
// written by hand.
//
// What changes between OpenAI's shape and Cohere's, checked against
// https://docs.cohere.com/reference/chat, https://docs.cohere.com/reference/chat-stream,
// https://docs.cohere.com/reference/embed and https://docs.cohere.com/reference/list-models:
//
//	OpenAI (unified)                          Cohere v2
//	messages[].role system|developer          role system
//	content parts text / image_url            content blocks {"type":"text"} / {"type":"image_url"}
//	assistant tool_calls (+ text content)     tool_calls (+ tool_plan)
//	role tool + tool_call_id                  role tool + tool_call_id
//	tools[].function (strict)                 tools[].function (strict_tools)
//	tool_choice required / none / {function}  tool_choice REQUIRED / NONE / that tool only + REQUIRED
//	stop (string or list)                     stop_sequences (list)
//	top_p, max_completion_tokens              p, max_tokens
//	response_format json_object/json_schema   response_format {"type":"json_object","json_schema"}
//	finish_reason stop/length/tool_calls      COMPLETE, STOP_SEQUENCE / MAX_TOKENS, TIMEOUT / TOOL_CALL
//	usage prompt/completion/cached tokens     usage.tokens input/output, usage.cached_tokens
//	chat.completion.chunk events              message-start, content-delta, tool-plan-delta,
//	                                          tool-call-start, tool-call-delta, message-end
//	embeddings input, encoding_format         texts, embedding_types, input_type search_document
//	dimensions                                output_dimension
//	error {"error":{"message",...}}           {"id","message"}
//
// The wire types are in wire.go; `make gen` writes their easyjson marshalers into
// cohere_easyjson.go. Encoding writes the provider body straight from the unified request and
// decoding borrows from the provider body, so a non-streaming chat round allocates nothing
// in steady state (alloc_test.go), and a stream event allocates at most a tool call's
// one-element list.
package cohere
