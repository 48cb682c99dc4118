package provider

import (
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

// TokenCounter is implemented by the adapter of a provider whose spec lists count_tokens:
// it writes the body of the provider's token-counting request for a chat request (Anthropic's
// /v1/messages/count_tokens, Gemini's countTokens, ...) and reads the count from the answer.
// The count is always the provider's own; no adapter estimates one.
type TokenCounter interface {
	EncodeCountTokens(w *jwriter.Writer, r *schemas.ChatRequest) error
	DecodeCountTokens(body []byte) (inputTokens int, err error)
}

// HeaderForwarder is implemented by the adapter of a provider that takes some of a client's
// request headers as they are, such as Anthropic's anthropic-beta. Forwards reports whether
// the header name (lower case) goes on to the provider for a request to model.
type HeaderForwarder interface {
	Forwards(name, model string) bool
}

// HeaderEncoder is implemented by the adapter of a provider that takes some client headers
// in the request body, as Amazon Bedrock takes Anthropic's beta header as the anthropic_beta
// member. When the request has client headers, the runtime calls EncodeChatHeaders in place
// of EncodeChat, with the headers (lower-case names).
type HeaderEncoder interface {
	EncodeChatHeaders(w *jwriter.Writer, r *schemas.ChatRequest, headers []Header) error
}
