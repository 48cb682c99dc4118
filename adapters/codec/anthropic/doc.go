// Package anthropic holds the hand-written converters of the "anthropic" wire format,
// Anthropic's Messages API (https://docs.anthropic.com/en/api/messages), and its wire types.
//
// The adapter generated from specs/anthropic.yaml (package adapters/anthropic) calls
// EncodeChat, DecodeChat, DecodeChatEvent, DecodeModels and DecodeError by name. README.md
// gives the mapping between OpenAI's shape and Anthropic's, field by field.
//
// The wire types (MessagesRequest, Message, the stream events, ErrorResponse, ModelList)
// are exported for the gateway's native /anthropic/v1/messages endpoint, which decodes
// Anthropic requests and answers in Anthropic's shapes.
package anthropic
