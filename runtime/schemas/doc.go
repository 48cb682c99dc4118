// Package schemas holds Bifrost's unified request and response types, in the shape of OpenAI's
// Chat Completions, Completions, Embeddings and Models APIs, with the gateway's own fields
// (provider, fallbacks).
//
// The types are built for a gateway's hot path. They are decoded and encoded by easyjson
// marshalers that `make gen` writes into schemas_easyjson.go, and they borrow from the buffer
// they were decoded from instead of copying it:
//
//   - identifiers (model, role, id) are strings that point into the input buffer;
//   - free text (message content, tool arguments, descriptions) is kept as [Text], the JSON
//     string exactly as received, so it passes through without being unescaped or copied;
//   - values the gateway forwards but does not interpret (JSON schemas, logit_bias, embedding
//     vectors) are kept as [Raw];
//   - object members the gateway does not model are kept in [Extras] and written back
//     unchanged, so fields added by a provider or a client are forwarded, not dropped.
//
// A member given as null decodes as absent: easyjson skips nulls before a field's decoder
// runs, and OpenAI's schemas give the two the same meaning.
//
// A decoded value is valid only while its input buffer is: callers that pool buffers must
// release a value with its input and call Reset before reuse. Reset keeps slice capacity so
// that steady-state decoding allocates nothing.
package schemas
