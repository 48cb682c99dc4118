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
	// Index is the choice's place among the request's choices.
	Index int
	// Message is the answer of a chat or text call.
	Message Message
	// Delta is a stream chunk's increment.
	Delta *Message
	// FinishReason says why generation stopped ("stop", "length", ...), once it has.
	FinishReason *string
}

// BifrostEmbedding is one vector of an embedding answer.
type BifrostEmbedding struct {
	// Index is the place of the embedded text in the request.
	Index int
	// Object is "embedding".
	Object string
	// Embedding is the vector.
	Embedding []float32
}

// LLMUsage counts a request's tokens.
type LLMUsage struct {
	// PromptTokens are the input's tokens, CompletionTokens the output's, TotalTokens both.
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
	// BifrostResponse is the chunk, with its increments in Choices[i].Delta.
	*BifrostResponse
	// BifrostError, when not nil, is the error that ended the stream: the last event.
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
	// Type is the error's class, e.g. "rate_limit_error" or "invalid_request_error".
	Type *string
	// Code is the provider's or the gateway's error code, if any.
	Code *string
	// Message says what failed. It never holds a key.
	Message string
	// Error is the underlying Go error, if any.
	Error error
}
