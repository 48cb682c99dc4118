// Package anthropic is Bifrost's adapter for the "anthropic" wire format, Anthropic's
// Messages API (https://docs.anthropic.com/en/api/messages).
//
// The adapter (anthropic_gen.go) and the easyjson marshalers (anthropic_easyjson.go) are
// generated from specs/anthropic.yaml. The rest is written by hand: the codec the spec names,
// Codec (codec.go), whose EncodeChat, DecodeChat, DecodeChatEvent, DecodeModels and
// DecodeError fulfil runtime/provider's ChatCodec and ModelsDecoder, and the wire types.
// README.md gives the mapping between OpenAI's shape and Anthropic's, field by field.
//
// The wire types (MessagesRequest, Message, the stream events, ErrorResponse, ModelList)
// are exported for the gateway's native /anthropic/v1/messages endpoint, which decodes
// Anthropic requests and answers in Anthropic's shapes.
package anthropic
