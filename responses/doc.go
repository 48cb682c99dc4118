// Package responses translates OpenAI's Responses API (POST /v1/responses) to and from the
// unified chat schema (runtime/schemas), so that every provider can serve it.
//
// Decode reads a Responses request (instructions, a string or a list of input items, function
// tools, tool_choice, text.format, reasoning, sampling members, store,
// previous_response_id, stream). Request.ToChat fills a unified chat request from it and
// refuses, with an error naming the member (*ParamError), what has no translation: OpenAI's
// built-in tools, file ids as image sources, item references, background mode and the
// like. Encoder writes a chat completion back as a Response object, and Streamer turns a
// stream of chat chunks into the Responses stream events (response.created, ...,
// response.completed, response.incomplete or response.failed), each with its type and an
// increasing sequence_number.
//
// Store keeps finished responses for GET /v1/responses/{id}, DELETE, input_items and
// previous_response_id; Memory is the in-memory store with a time to live.
//
// The wire formats follow OpenAI's API reference (https://platform.openai.com/docs/api-reference/responses
// and .../responses-streaming) and the SDKs' types (openai-python src/openai/types/responses).
package responses
