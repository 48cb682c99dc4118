package schemas

import "github.com/mailru/easyjson/opt"

// ChatRequest is a chat completion request in OpenAI's shape
// (https://platform.openai.com/docs/api-reference/chat/create), plus the gateway's own fields
// Provider and Fallbacks, which are never forwarded to a provider.
//
//easyjson:json
type ChatRequest struct {
	Model               string          `json:"model,nocopy"`
	Messages            []ChatMessage   `json:"messages"`
	Tools               []Tool          `json:"tools,omitempty"`
	ToolChoice          ToolChoice      `json:"tool_choice,omitempty"`
	ParallelToolCalls   opt.Bool        `json:"parallel_tool_calls,omitempty"`
	ResponseFormat      *ResponseFormat `json:"response_format,omitempty"`
	Stop                Stop            `json:"stop,omitempty"`
	N                   opt.Int         `json:"n,omitempty"`
	Temperature         opt.Float64     `json:"temperature,omitempty"`
	TopP                opt.Float64     `json:"top_p,omitempty"`
	MaxTokens           opt.Int         `json:"max_tokens,omitempty"`
	MaxCompletionTokens opt.Int         `json:"max_completion_tokens,omitempty"`
	PresencePenalty     opt.Float64     `json:"presence_penalty,omitempty"`
	FrequencyPenalty    opt.Float64     `json:"frequency_penalty,omitempty"`
	LogitBias           Raw             `json:"logit_bias,omitempty"`
	Logprobs            opt.Bool        `json:"logprobs,omitempty"`
	TopLogprobs         opt.Int         `json:"top_logprobs,omitempty"`
	Seed                opt.Int64       `json:"seed,omitempty"`
	User                string          `json:"user,omitempty,nocopy"`
	ReasoningEffort     string          `json:"reasoning_effort,omitempty,nocopy"`
	Stream              opt.Bool        `json:"stream,omitempty"`
	StreamOptions       *StreamOptions  `json:"stream_options,omitempty"`

	// Provider names the provider when Model is a bare model name (gateway field).
	Provider string `json:"provider,omitempty,nocopy"`
	// Fallbacks lists "provider/model" targets to try in order when the first fails (gateway field).
	Fallbacks Strings `json:"fallbacks,omitempty"`

	Extras
}

// Reset empties r for reuse, keeping the capacity of its message list and kept members.
func (r *ChatRequest) Reset() {
	msgs := r.Messages[:cap(r.Messages)]
	clear(msgs)
	extras := r.Extras
	extras.resetExtras()
	*r = ChatRequest{Messages: msgs[:0], Extras: extras}
}

// IsStream reports whether the client asked for a stream.
func (r *ChatRequest) IsStream() bool { return r.Stream.V }

// ChatMessage is one message of a conversation, or a choice's message in a response, or a
// stream chunk's delta.
//
//easyjson:json
type ChatMessage struct {
	Role             string         `json:"role,omitempty,nocopy"`
	Content          MessageContent `json:"content,omitempty"`
	Name             string         `json:"name,omitempty,nocopy"`
	ToolCalls        []ToolCall     `json:"tool_calls,omitempty"`
	ToolCallID       string         `json:"tool_call_id,omitempty,nocopy"`
	Refusal          Text           `json:"refusal,omitempty"`
	Annotations      Raw            `json:"annotations,omitempty"`
	ReasoningContent Text           `json:"reasoning_content,omitempty"`
	Extras
}

// ToolCall is a call of a tool by the model (in a response, or in an assistant message that a
// client sends back). In a stream delta, Index says which call a fragment belongs to.
//
//easyjson:json
type ToolCall struct {
	Index    opt.Int      `json:"index,omitempty"`
	ID       string       `json:"id,omitempty,nocopy"`
	Type     string       `json:"type,omitempty,nocopy"`
	Function FunctionCall `json:"function"`
	Extras
}

// FunctionCall is a function's name and its JSON-encoded arguments.
//
//easyjson:json
type FunctionCall struct {
	Name      string `json:"name,omitempty,nocopy"`
	Arguments Text   `json:"arguments,omitempty"`
	Extras
}

// Tool is a tool the model may call.
//
//easyjson:json
type Tool struct {
	Type     string      `json:"type,nocopy"`
	Function FunctionDef `json:"function"`
	Extras
}

// FunctionDef declares a function tool: its name, description and JSON-schema parameters.
//
//easyjson:json
type FunctionDef struct {
	Name        string   `json:"name,nocopy"`
	Description Text     `json:"description,omitempty"`
	Parameters  Raw      `json:"parameters,omitempty"`
	Strict      opt.Bool `json:"strict,omitempty"`
	Extras
}

// ResponseFormat asks for plain text, any JSON object, or JSON matching a schema.
//
//easyjson:json
type ResponseFormat struct {
	Type       string      `json:"type,nocopy"`
	JSONSchema *JSONSchema `json:"json_schema,omitempty"`
	Extras
}

// JSONSchema is the json_schema member of a response_format.
//
//easyjson:json
type JSONSchema struct {
	Name        string   `json:"name,nocopy"`
	Description Text     `json:"description,omitempty"`
	Schema      Raw      `json:"schema,omitempty"`
	Strict      opt.Bool `json:"strict,omitempty"`
	Extras
}

// StreamOptions are the options of a streamed response.
//
//easyjson:json
type StreamOptions struct {
	IncludeUsage opt.Bool `json:"include_usage,omitempty"`
	Extras
}

// ChatResponse is a chat completion (object "chat.completion").
//
//easyjson:json
type ChatResponse struct {
	ID                string       `json:"id,nocopy"`
	Object            string       `json:"object,nocopy"`
	Created           int64        `json:"created"`
	Model             string       `json:"model,nocopy"`
	Choices           []ChatChoice `json:"choices"`
	Usage             Usage        `json:"usage,omitempty"`
	SystemFingerprint string       `json:"system_fingerprint,omitempty,nocopy"`
	ServiceTier       string       `json:"service_tier,omitempty,nocopy"`
	Extras
}

// Reset empties r for reuse, keeping the capacity of its slices.
func (r *ChatResponse) Reset() {
	choices := r.Choices[:cap(r.Choices)]
	clear(choices)
	extras := r.Extras
	*r = ChatResponse{Choices: choices[:0], Extras: extras}
	r.resetExtras()
}

// ChatChoice is one completion choice.
//
//easyjson:json
type ChatChoice struct {
	Index        int         `json:"index"`
	Message      ChatMessage `json:"message"`
	FinishReason NullString  `json:"finish_reason"`
	Logprobs     Raw         `json:"logprobs,omitempty"`
	Extras
}

// Usage counts the tokens of a request.
//
// CacheCreationInputTokens is not OpenAI's: it is the part of the prompt tokens that were
// written to a provider's prompt cache (Anthropic's and Bedrock's cache writes, billed apart),
// under the name and at the place LiteLLM gives it
// (https://docs.litellm.ai/docs/completion/prompt_caching); it is written only when set.
// PromptTokens includes it, as it includes PromptTokensDetails.CachedTokens.
//
//easyjson:json
type Usage struct {
	PromptTokens             int                     `json:"prompt_tokens"`
	CompletionTokens         int                     `json:"completion_tokens"`
	TotalTokens              int                     `json:"total_tokens"`
	PromptTokensDetails      PromptTokensDetails     `json:"prompt_tokens_details,omitempty"`
	CompletionTokensDetails  CompletionTokensDetails `json:"completion_tokens_details,omitempty"`
	CacheCreationInputTokens int                     `json:"cache_creation_input_tokens,omitempty"`
	Extras
}

// IsDefined reports whether usage was given.
func (u Usage) IsDefined() bool {
	return u.PromptTokens != 0 || u.CompletionTokens != 0 || u.TotalTokens != 0 || u.CacheCreationInputTokens != 0 ||
		len(u.fields) != 0
}

// PromptTokensDetails breaks down prompt tokens.
//
//easyjson:json
type PromptTokensDetails struct {
	CachedTokens int `json:"cached_tokens"`
	AudioTokens  int `json:"audio_tokens"`
	Extras
}

// IsDefined reports whether any detail is set.
func (d PromptTokensDetails) IsDefined() bool {
	return d.CachedTokens != 0 || d.AudioTokens != 0 || len(d.fields) != 0
}

// CompletionTokensDetails breaks down completion tokens.
//
//easyjson:json
type CompletionTokensDetails struct {
	ReasoningTokens          int `json:"reasoning_tokens"`
	AudioTokens              int `json:"audio_tokens"`
	AcceptedPredictionTokens int `json:"accepted_prediction_tokens"`
	RejectedPredictionTokens int `json:"rejected_prediction_tokens"`
	Extras
}

// IsDefined reports whether any detail is set.
func (d CompletionTokensDetails) IsDefined() bool {
	return d.ReasoningTokens != 0 || d.AudioTokens != 0 || d.AcceptedPredictionTokens != 0 ||
		d.RejectedPredictionTokens != 0 || len(d.fields) != 0
}

// ChatStreamChunk is one event of a streamed chat completion (object "chat.completion.chunk").
// The final usage chunk, sent when stream_options.include_usage is true, has no choices.
//
//easyjson:json
type ChatStreamChunk struct {
	ID                string             `json:"id,nocopy"`
	Object            string             `json:"object,nocopy"`
	Created           int64              `json:"created"`
	Model             string             `json:"model,nocopy"`
	SystemFingerprint string             `json:"system_fingerprint,omitempty,nocopy"`
	ServiceTier       string             `json:"service_tier,omitempty,nocopy"`
	Choices           []ChatStreamChoice `json:"choices"`
	Usage             Usage              `json:"usage,omitempty"`
	Extras
}

// Reset empties c for reuse, keeping the capacity of its slices.
func (c *ChatStreamChunk) Reset() {
	choices := c.Choices[:cap(c.Choices)]
	clear(choices)
	extras := c.Extras
	*c = ChatStreamChunk{Choices: choices[:0], Extras: extras}
	c.resetExtras()
}

// ChatStreamChoice is one choice's delta in a stream chunk.
//
//easyjson:json
type ChatStreamChoice struct {
	Index        int         `json:"index"`
	Delta        ChatMessage `json:"delta"`
	FinishReason NullString  `json:"finish_reason"`
	Logprobs     Raw         `json:"logprobs,omitempty"`
	Extras
}
