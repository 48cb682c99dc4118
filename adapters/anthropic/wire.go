package anthropic

import (
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
	"github.com/mailru/easyjson/opt"
)

// The wire types of Anthropic's Messages API (https://docs.anthropic.com/en/api/messages),
// with easyjson marshalers written by `make gen`. Strings borrow from the decoded buffer and
// free text is kept encoded (schemas.Text), as in package schemas.
//
// The request types (MessagesRequest, MessageParam, ContentBlock, ToolDef) keep members they
// do not model in schemas.Extras, so that a native Anthropic request decoded by the gateway's
// drop-in endpoint can be forwarded without losing fields. The response and event types skip
// unknown members: decoding them allocates nothing.

// MessagesRequest is the body of POST /v1/messages.
//
//easyjson:json
type MessagesRequest struct {
	Model         string          `json:"model,nocopy"`
	MaxTokens     int             `json:"max_tokens"`
	System        Content         `json:"system,omitempty"`
	Messages      []MessageParam  `json:"messages"`
	Metadata      *Metadata       `json:"metadata,omitempty"`
	StopSequences []schemas.Text  `json:"stop_sequences,omitempty"`
	Stream        opt.Bool        `json:"stream,omitempty"`
	Temperature   opt.Float64     `json:"temperature,omitempty"`
	TopP          opt.Float64     `json:"top_p,omitempty"`
	TopK          opt.Int         `json:"top_k,omitempty"`
	Tools         []ToolDef       `json:"tools,omitempty"`
	ToolChoice    *ToolChoice     `json:"tool_choice,omitempty"`
	Thinking      *ThinkingConfig `json:"thinking,omitempty"`
	schemas.Extras
}

// MessageParam is one input message: role "user" or "assistant" and its content.
//
//easyjson:json
type MessageParam struct {
	Role    string  `json:"role,nocopy"`
	Content Content `json:"content"`
	schemas.Extras
}

// Content is a message's content or the system prompt: a string, or an array of content
// blocks.
type Content struct {
	// Text holds the content when it was given as a string (encoded, with its quotes).
	Text schemas.Text
	// Blocks holds the content when it was given as an array.
	Blocks []ContentBlock
}

// IsDefined reports whether the content was present.
func (c Content) IsDefined() bool { return c.Text != nil || c.Blocks != nil }

// UnmarshalEasyJSON reads a string, null, or an array of content blocks.
func (c *Content) UnmarshalEasyJSON(l *jlexer.Lexer) {
	if l.CurrentToken() == jlexer.TokenDelim && l.IsDelim('[') {
		c.Text = nil
		blocks := c.Blocks[:0]
		if blocks == nil {
			blocks = []ContentBlock{}
		}
		l.Delim('[')
		for !l.IsDelim(']') && l.Ok() {
			var b ContentBlock
			b.UnmarshalEasyJSON(l)
			blocks = append(blocks, b)
			l.WantComma()
		}
		l.Delim(']')
		c.Blocks = blocks
		return
	}
	c.Blocks = nil
	c.Text.UnmarshalEasyJSON(l)
}

// MarshalEasyJSON writes the content in the form it was given.
func (c Content) MarshalEasyJSON(w *jwriter.Writer) {
	if c.Blocks != nil {
		w.RawByte('[')
		for i := range c.Blocks {
			if i > 0 {
				w.RawByte(',')
			}
			c.Blocks[i].MarshalEasyJSON(w)
		}
		w.RawByte(']')
		return
	}
	c.Text.MarshalEasyJSON(w)
}

// ContentBlock is one block of an input message's content: text, image, document,
// tool_use, tool_result, thinking or redacted_thinking (the fields used depend on Type).
//
//easyjson:json
type ContentBlock struct {
	Type string `json:"type,nocopy"`
	// Text is a text block's text.
	Text schemas.Text `json:"text,omitempty"`
	// Source is an image's or a document's data or URL.
	Source *Source `json:"source,omitempty"`
	// ID, Name and Input are a tool_use block's call id, tool name and input object.
	ID    string      `json:"id,omitempty,nocopy"`
	Name  string      `json:"name,omitempty,nocopy"`
	Input schemas.Raw `json:"input,omitempty"`
	// ToolUseID, Content and IsError are a tool_result block's: the call answered, the
	// result (a string or an array of text and image blocks) and whether it is an error.
	ToolUseID string      `json:"tool_use_id,omitempty,nocopy"`
	Content   schemas.Raw `json:"content,omitempty"`
	IsError   opt.Bool    `json:"is_error,omitempty"`
	// Thinking and Signature are a thinking block's; Data is a redacted_thinking block's.
	Thinking  schemas.Text `json:"thinking,omitempty"`
	Signature schemas.Text `json:"signature,omitempty"`
	Data      schemas.Text `json:"data,omitempty"`
	// CacheControl marks a prompt-caching breakpoint ({"type":"ephemeral"}).
	CacheControl schemas.Raw `json:"cache_control,omitempty"`
	schemas.Extras
}

// Source is an image's or a document's source: base64 data with its media type, a URL, or
// an uploaded file's id.
//
//easyjson:json
type Source struct {
	Type      string       `json:"type,nocopy"`
	MediaType string       `json:"media_type,omitempty,nocopy"`
	Data      schemas.Text `json:"data,omitempty"`
	URL       schemas.Text `json:"url,omitempty"`
	FileID    string       `json:"file_id,omitempty,nocopy"`
}

// Metadata is the request's metadata: an opaque id of the end user.
//
//easyjson:json
type Metadata struct {
	UserID schemas.Text `json:"user_id,omitempty"`
}

// ToolDef declares a client tool (name, description, JSON schema of its input) or, with a
// Type, one of Anthropic's server tools, whose other members are kept in Extras.
//
//easyjson:json
type ToolDef struct {
	Type         string       `json:"type,omitempty,nocopy"`
	Name         string       `json:"name,nocopy"`
	Description  schemas.Text `json:"description,omitempty"`
	InputSchema  schemas.Raw  `json:"input_schema,omitempty"`
	CacheControl schemas.Raw  `json:"cache_control,omitempty"`
	schemas.Extras
}

// ToolChoice says how the model uses tools: type "auto", "any", "tool" (with Name) or
// "none".
//
//easyjson:json
type ToolChoice struct {
	Type                   string   `json:"type,nocopy"`
	Name                   string   `json:"name,omitempty,nocopy"`
	DisableParallelToolUse opt.Bool `json:"disable_parallel_tool_use,omitempty"`
}

// ThinkingConfig turns extended thinking on ("enabled" with a budget of at least 1024 tokens,
// below max_tokens) or off ("disabled").
//
//easyjson:json
type ThinkingConfig struct {
	Type         string `json:"type,nocopy"`
	BudgetTokens int    `json:"budget_tokens,omitempty"`
}

// Message is the response of POST /v1/messages (type "message"), and the message of a
// stream's message_start event (with empty content).
//
//easyjson:json
type Message struct {
	ID           string          `json:"id,nocopy"`
	Type         string          `json:"type,nocopy"`
	Role         string          `json:"role,nocopy"`
	Model        string          `json:"model,nocopy"`
	Content      []ResponseBlock `json:"content"`
	StopReason   string          `json:"stop_reason,nocopy"`
	StopSequence schemas.Text    `json:"stop_sequence"`
	Usage        Usage           `json:"usage"`
}

// ResponseBlock is one block of a response's content: text, tool_use, thinking or
// redacted_thinking (server tool blocks decode with their Type and are skipped).
//
//easyjson:json
type ResponseBlock struct {
	Type      string       `json:"type,nocopy"`
	Text      schemas.Text `json:"text,omitempty"`
	ID        string       `json:"id,omitempty,nocopy"`
	Name      string       `json:"name,omitempty,nocopy"`
	Input     schemas.Raw  `json:"input,omitempty"`
	Thinking  schemas.Text `json:"thinking,omitempty"`
	Signature schemas.Text `json:"signature,omitempty"`
	Data      schemas.Text `json:"data,omitempty"`
}

// Usage counts a response's tokens. Input tokens exclude the cached ones: the prompt's total
// is InputTokens + CacheCreationInputTokens + CacheReadInputTokens.
//
//easyjson:json
type Usage struct {
	InputTokens              int                 `json:"input_tokens"`
	OutputTokens             int                 `json:"output_tokens"`
	CacheCreationInputTokens int                 `json:"cache_creation_input_tokens,omitempty"`
	CacheReadInputTokens     int                 `json:"cache_read_input_tokens,omitempty"`
	OutputTokensDetails      OutputTokensDetails `json:"output_tokens_details,omitempty"`
	ServiceTier              string              `json:"service_tier,omitempty,nocopy"`
}

// OutputTokensDetails breaks output tokens down; ThinkingTokens are the reasoning tokens.
//
//easyjson:json
type OutputTokensDetails struct {
	ThinkingTokens int `json:"thinking_tokens"`
}

// IsDefined reports whether any detail is set.
func (d OutputTokensDetails) IsDefined() bool { return d.ThinkingTokens != 0 }

// The stream's events (https://docs.anthropic.com/en/docs/build-with-claude/streaming). Each
// SSE event is named after its type: message_start, content_block_start,
// content_block_delta, content_block_stop, message_delta, message_stop, ping and error.

// Event types, the SSE event names.
const (
	EventMessageStart      = "message_start"
	EventContentBlockStart = "content_block_start"
	EventContentBlockDelta = "content_block_delta"
	EventContentBlockStop  = "content_block_stop"
	EventMessageDelta      = "message_delta"
	EventMessageStop       = "message_stop"
	EventPing              = "ping"
	EventError             = "error"
)

// EventType is an event's data read only for its type (ping, message_stop,
// content_block_stop carry little else).
//
//easyjson:json
type EventType struct {
	Type string `json:"type,nocopy"`
}

// MessageStartEvent opens a stream with the message's id, model and input usage.
//
//easyjson:json
type MessageStartEvent struct {
	Type    string  `json:"type,nocopy"`
	Message Message `json:"message"`
}

// ContentBlockStartEvent opens content block Index (text, tool_use with its id and name,
// thinking).
//
//easyjson:json
type ContentBlockStartEvent struct {
	Type         string        `json:"type,nocopy"`
	Index        int           `json:"index"`
	ContentBlock ResponseBlock `json:"content_block"`
}

// ContentBlockDeltaEvent carries a piece of content block Index.
//
//easyjson:json
type ContentBlockDeltaEvent struct {
	Type  string     `json:"type,nocopy"`
	Index int        `json:"index"`
	Delta BlockDelta `json:"delta"`
}

// BlockDelta is a piece of a block: text_delta (Text), input_json_delta (PartialJSON, a
// fragment of the tool input's JSON), thinking_delta (Thinking) or signature_delta
// (Signature).
//
//easyjson:json
type BlockDelta struct {
	Type        string       `json:"type,nocopy"`
	Text        schemas.Text `json:"text,omitempty"`
	PartialJSON schemas.Text `json:"partial_json,omitempty"`
	Thinking    schemas.Text `json:"thinking,omitempty"`
	Signature   schemas.Text `json:"signature,omitempty"`
}

// ContentBlockStopEvent closes content block Index.
//
//easyjson:json
type ContentBlockStopEvent struct {
	Type  string `json:"type,nocopy"`
	Index int    `json:"index"`
}

// MessageDeltaEvent carries the stop reason and the cumulative usage near the stream's end.
//
//easyjson:json
type MessageDeltaEvent struct {
	Type  string            `json:"type,nocopy"`
	Delta MessageDelta      `json:"delta"`
	Usage MessageDeltaUsage `json:"usage"`
}

// MessageDelta is the top-level change of a message_delta event.
//
//easyjson:json
type MessageDelta struct {
	StopReason   string       `json:"stop_reason,nocopy"`
	StopSequence schemas.Text `json:"stop_sequence"`
}

// MessageDeltaUsage is a message_delta's usage: cumulative counts, of which only
// output_tokens is always present.
//
//easyjson:json
type MessageDeltaUsage struct {
	OutputTokens             int                 `json:"output_tokens"`
	InputTokens              opt.Int             `json:"input_tokens,omitempty"`
	CacheCreationInputTokens opt.Int             `json:"cache_creation_input_tokens,omitempty"`
	CacheReadInputTokens     opt.Int             `json:"cache_read_input_tokens,omitempty"`
	OutputTokensDetails      OutputTokensDetails `json:"output_tokens_details,omitempty"`
}

// ErrorResponse is Anthropic's error body, also the data of a stream's error event:
// {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}
// (https://docs.anthropic.com/en/api/errors).
//
//easyjson:json
type ErrorResponse struct {
	Type      string      `json:"type"`
	Error     ErrorDetail `json:"error"`
	RequestID string      `json:"request_id,omitempty"`
}

// ErrorDetail is the error object of an ErrorResponse.
//
//easyjson:json
type ErrorDetail struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// ModelList is the response of GET /v1/models (https://docs.anthropic.com/en/api/models-list).
//
//easyjson:json
type ModelList struct {
	Data    []ModelInfo `json:"data"`
	HasMore bool        `json:"has_more"`
	FirstID string      `json:"first_id,omitempty"`
	LastID  string      `json:"last_id,omitempty"`
}

// ModelInfo describes one model; CreatedAt is an RFC 3339 time.
//
//easyjson:json
type ModelInfo struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	CreatedAt   string `json:"created_at"`
}
