package schemas

import "context"

// ModelChatMessageRole is the role of a [Message].
type ModelChatMessageRole string

// Message roles.
const (
	RoleAssistant ModelChatMessageRole = "assistant"
	RoleUser      ModelChatMessageRole = "user"
	RoleSystem    ModelChatMessageRole = "system"
	RoleTool      ModelChatMessageRole = "tool"
)

// BifrostRequest is one request to a provider.
type BifrostRequest struct {
	// Provider is the provider to call first.
	Provider ModelProvider
	// Model is the provider's model name, e.g. "gpt-4o-mini".
	Model string
	// Input holds the messages, the prompt or the texts to embed, as the call needs.
	Input RequestInput
	// Params are optional model parameters.
	Params *ModelParameters
	// Fallbacks are tried in order when the provider fails with an error worth retrying
	// elsewhere (rate limit, server error, timeout).
	Fallbacks []Fallback
}

// Fallback is a provider and model to try when the ones before failed.
type Fallback struct {
	// Provider and Model name the target, as in the request.
	Provider ModelProvider
	Model    string
}

// RequestInput holds a request's input; set the field of the call made.
type RequestInput struct {
	// TextCompletionInput is the prompt of TextCompletionRequest.
	TextCompletionInput *string
	// ChatCompletionInput are the messages of ChatCompletionRequest and
	// ChatCompletionStreamRequest.
	ChatCompletionInput *[]Message
	// EmbeddingInput holds the texts of EmbeddingRequest.
	EmbeddingInput *EmbeddingInput
}

// EmbeddingInput holds the texts to embed.
type EmbeddingInput struct {
	// Texts are embedded in order; the answer's Data[i] is the vector of Texts[i].
	Texts []string
}

// Message is one chat message.
type Message struct {
	// Role is who wrote the message.
	Role ModelChatMessageRole
	// Content is the message's text; nil for none (an assistant's tool call).
	Content *string
	// Name names the author, for providers that use it.
	Name *string
	// ToolCallID answers a tool call, for messages with RoleTool.
	ToolCallID *string
}

// ModelParameters are optional model parameters. A nil field is not sent.
type ModelParameters struct {
	// Temperature, TopP, MaxTokens, StopSequences (OpenAI's "stop"), PresencePenalty,
	// FrequencyPenalty, ParallelToolCalls and User are OpenAI's parameters of the same
	// names; the adapters translate them for other providers.
	Temperature       *float64
	TopP              *float64
	MaxTokens         *int
	StopSequences     *[]string
	PresencePenalty   *float64
	FrequencyPenalty  *float64
	ParallelToolCalls *bool
	User              *string
	// ExtraParams are sent as further fields of the OpenAI-shaped request, e.g.
	// {"seed": 7}; they must encode as JSON. They cannot replace the model, the input or
	// the routing fields, and the fields above win over them.
	ExtraParams map[string]interface{}
}

// Plugin runs around every request of an embedded Bifrost, with the hook shape of
// upstream's Go package. Pre hooks run in order before the request is sent; post hooks
// run in reverse order after it, for the plugins whose pre hook ran. Hooks must be safe
// for concurrent use.
type Plugin interface {
	// GetName names the plugin.
	GetName() string
	// PreHook may change the request and return it, or answer it without calling the
	// provider by returning a PluginShortCircuit. An error stops the request.
	PreHook(ctx *context.Context, req *BifrostRequest) (*BifrostRequest, *PluginShortCircuit, error)
	// PostHook sees the response or the error, and returns the ones to give the caller.
	PostHook(ctx *context.Context, result *BifrostResponse, err *BifrostError) (*BifrostResponse, *BifrostError, error)
	// Cleanup releases the plugin's resources; bifrost's Cleanup calls it.
	Cleanup() error
}

// PluginShortCircuit answers a request from a pre hook: with Response, or with Error.
type PluginShortCircuit struct {
	// Response answers the request.
	Response *BifrostResponse
	// Error fails the request, when Response is nil.
	Error *BifrostError
}
