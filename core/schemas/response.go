package schemas

// BifrostResponse is the answer of a chat, text or embedding call, in OpenAI's shape.
type BifrostResponse struct {
	ID      string
	Object  string
	Choices []BifrostResponseChoice
	// Data holds the vectors of an embedding call.
	Data              []BifrostEmbedding
	Model             string
	Created           int
	ServiceTier       *string
	SystemFingerprint *string
	Usage             LLMUsage
	ExtraFields       BifrostResponseExtraFields
}

// BifrostResponseChoice is one choice of an answer. A chat or text answer has its text in
// Message.Content; a stream chunk has its increment in Delta.
type BifrostResponseChoice struct {
	Index        int
	Message      Message
	Delta        *Message
	FinishReason *string
}

// BifrostEmbedding is one vector of an embedding answer.
type BifrostEmbedding struct {
	Index     int
	Object    string
	Embedding []float32
}

// LLMUsage counts a request's tokens.
type LLMUsage struct {
	PromptTokens     int
	CompletionTokens int
	TotalTokens      int
}

// BifrostResponseExtraFields says how the answer was obtained.
type BifrostResponseExtraFields struct {
	// Provider is the provider the request named first; a fallback may have answered.
	Provider ModelProvider
}

// BifrostStream is one event of a chat stream: a chunk, or the error that ended it.
type BifrostStream struct {
	*BifrostResponse
	BifrostError *BifrostError
}

// BifrostError is a failed call.
type BifrostError struct {
	// IsBifrostError is true when the gateway itself refused the request (no provider
	// answered), false when a provider's answer is relayed.
	IsBifrostError bool
	// StatusCode is the HTTP status the gateway would answer with.
	StatusCode *int
	// Error describes the failure.
	Error ErrorField
	// Provider is the provider that failed, if any.
	Provider ModelProvider
}

// ErrorField describes a failure, in OpenAI's error shape.
type ErrorField struct {
	Type    *string
	Code    *string
	Message string
	// Error is the underlying Go error, if any.
	Error error
}
