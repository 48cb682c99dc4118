package bedrock

import "github.com/bifrost-gw/bifrost/runtime/schemas"

// Wire types of the Converse API that the converters decode whole
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html,
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html).
// They hold no slices, so decoding one into a local value allocates nothing; strings and
// texts are borrowed from the body. Unknown members (such as the "p" padding of stream
// events) are skipped.

// contentBlock is one block of a response message: text, a tool call or reasoning
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ContentBlock.html).
//
//easyjson:json
type contentBlock struct {
	Text             schemas.Text     `json:"text"`
	ToolUse          toolUse          `json:"toolUse"`
	ReasoningContent reasoningContent `json:"reasoningContent"`
}

// toolUse is a ToolUseBlock: the model's call of a tool, with its input as JSON.
//
//easyjson:json
type toolUse struct {
	ToolUseID string      `json:"toolUseId,nocopy"`
	Name      string      `json:"name,nocopy"`
	Input     schemas.Raw `json:"input"`
}

// reasoningContent is a ReasoningContentBlock.
//
//easyjson:json
type reasoningContent struct {
	ReasoningText reasoningText `json:"reasoningText"`
}

// reasoningText is a ReasoningTextBlock.
//
//easyjson:json
type reasoningText struct {
	Text      schemas.Text `json:"text"`
	Signature string       `json:"signature,nocopy"`
}

// tokenUsage is the TokenUsage of a response or a stream's metadata event
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_TokenUsage.html).
//
//easyjson:json
type tokenUsage struct {
	InputTokens           int `json:"inputTokens"`
	OutputTokens          int `json:"outputTokens"`
	TotalTokens           int `json:"totalTokens"`
	CacheReadInputTokens  int `json:"cacheReadInputTokens"`
	CacheWriteInputTokens int `json:"cacheWriteInputTokens"`
}

// blockStartEvent is ContentBlockStartEvent: a tool call's id and name.
//
//easyjson:json
type blockStartEvent struct {
	ContentBlockIndex int        `json:"contentBlockIndex"`
	Start             blockStart `json:"start"`
}

// blockStart is ContentBlockStart.
//
//easyjson:json
type blockStart struct {
	ToolUse toolUse `json:"toolUse"`
}

// blockDeltaEvent is ContentBlockDeltaEvent: a piece of text, of a tool call's input (as
// a JSON text fragment) or of reasoning.
//
//easyjson:json
type blockDeltaEvent struct {
	ContentBlockIndex int        `json:"contentBlockIndex"`
	Delta             blockDelta `json:"delta"`
}

// blockDelta is ContentBlockDelta.
//
//easyjson:json
type blockDelta struct {
	Text             schemas.Text   `json:"text"`
	ToolUse          toolUseDelta   `json:"toolUse"`
	ReasoningContent reasoningDelta `json:"reasoningContent"`
}

// toolUseDelta is ToolUseBlockDelta: input is a fragment of the call's JSON input, as a string.
//
//easyjson:json
type toolUseDelta struct {
	Input schemas.Text `json:"input"`
}

// reasoningDelta is ReasoningContentBlockDelta.
//
//easyjson:json
type reasoningDelta struct {
	Text      schemas.Text `json:"text"`
	Signature string       `json:"signature,nocopy"`
}

// messageStopEvent is MessageStopEvent.
//
//easyjson:json
type messageStopEvent struct {
	StopReason string `json:"stopReason,nocopy"`
}

// metadataEvent is ConverseStreamMetadataEvent.
//
//easyjson:json
type metadataEvent struct {
	Usage tokenUsage `json:"usage"`
}
