// Package gemini is Bifrost's adapter for Google's Gemini wire format
// (https://ai.google.dev/api/generate-content). The adapter (gemini_gen.go) and the easyjson
// marshalers (gemini_easyjson.go) are generated from specs/gemini.yaml; the codec, Codec
// (codec.go), is written by hand, and package vertex's codec reuses it for Gemini models on
// Vertex AI.
//
// Requests: system and developer messages become systemInstruction; user and assistant
// messages become contents with roles "user" and "model"; images become inlineData (base64
// data URLs) or fileData (any other URL); tools become functionDeclarations with their JSON
// Schema as parametersJsonSchema; tool_choice becomes toolConfig.functionCallingConfig; and
// sampling parameters go into generationConfig.
//
// Tool-call ids: Gemini's functionCall carries an id only on some models. When it has none,
// the converter makes a stable one, "call_" followed by 16 hex digits hashed from the response
// id, the choice, the call's position and the function's name, so the same response always
// gives the same ids. Gemini matches a functionResponse to its call by name and order, so a
// role "tool" message is sent back as a functionResponse named after the tool call of an
// earlier assistant message with the same tool_call_id (the message's own name when no call
// matches); consecutive tool messages become one turn, as Gemini expects for parallel calls.
// Ids are not sent back to Gemini.
//
// Thought signatures (https://ai.google.dev/gemini-api/docs/thought-signatures): Gemini 3
// puts a thoughtSignature on the first functionCall part of a step and answers 400 when the
// next request does not return it on that part. The converter carries it in the tool call's
// id, the one member an OpenAI client sends back untouched: "<id>__thought__<signature>"
// (LiteLLM's separator; the signature in base64's URL-safe alphabet without padding, so the id
// stays within [A-Za-z0-9_-], which other providers accept too). EncodeChat cuts it off again
// and writes it, in the standard alphabet with its padding, as the thoughtSignature of the
// functionCall part; it also takes Google's own OpenAI-compatible form,
// extra_content.google.thought_signature on the tool call. See signature.go.
//
// Thinking: reasoning_effort becomes thinkingConfig.thinkingLevel for Gemini 3 and later
// models (ThinkingLevel: Pro models take low and high, Flash models minimal to high,
// https://ai.google.dev/gemini-api/docs/thinking#thinking-levels) and thinkingBudget for
// Gemini 2.5 and any other name (none 0, minimal and low 1024, medium 8192, high 24576);
// thought summaries are asked for (includeThoughts) unless the effort is none.
//
// Responses: text parts are joined into content, thought parts into reasoning_content,
// functionCall parts become tool_calls; finish reasons and usageMetadata are mapped to
// OpenAI's (see finishReason and setUsage). Each event of a stream (alt=sse) is a whole
// GenerateContentResponse and yields one chunk.
package gemini
