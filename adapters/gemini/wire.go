package gemini

import "github.com/bifrost-gw/bifrost/runtime/schemas"

// usageMetadata is a response's token counts
// (https://ai.google.dev/api/generate-content#UsageMetadata).
//
//easyjson:json
type usageMetadata struct {
	PromptTokenCount        int `json:"promptTokenCount"`
	CandidatesTokenCount    int `json:"candidatesTokenCount"`
	TotalTokenCount         int `json:"totalTokenCount"`
	CachedContentTokenCount int `json:"cachedContentTokenCount"`
	ThoughtsTokenCount      int `json:"thoughtsTokenCount"`
	ToolUsePromptTokenCount int `json:"toolUsePromptTokenCount"`
}

// part is the subset of a response Part the converters read
// (https://ai.google.dev/api/caching#Part): text (a thought summary when Thought is set) or
// a functionCall, and the part's thoughtSignature (base64; Gemini 3 sets it on the first
// functionCall part of a step, https://ai.google.dev/gemini-api/docs/thought-signatures).
// Other parts (inline data, executable code) are skipped.
//
//easyjson:json
type part struct {
	Text             schemas.Text `json:"text"`
	Thought          bool         `json:"thought"`
	FunctionCall     functionCall `json:"functionCall"`
	ThoughtSignature string       `json:"thoughtSignature,nocopy"`
}

// functionCall is a model's call of a declared function
// (https://ai.google.dev/api/caching#FunctionCall). ID is optional.
//
//easyjson:json
type functionCall struct {
	ID   string      `json:"id,nocopy"`
	Name string      `json:"name,nocopy"`
	Args schemas.Raw `json:"args"`
}

// errorResponse is Google's error body: {"error":{"code","message","status","details"}}
// (https://ai.google.dev/gemini-api/docs/troubleshooting).
//
//easyjson:json
type errorResponse struct {
	Error errorStatus `json:"error"`
}

// errorStatus is the error object of an errorResponse (google.rpc.Status).
//
//easyjson:json
type errorStatus struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  string `json:"status"`
}

// contentEmbedding is one embedding (https://ai.google.dev/api/embeddings#ContentEmbedding).
//
//easyjson:json
type contentEmbedding struct {
	Values schemas.Raw `json:"values"`
}

// model is the subset of a Model the list reads (https://ai.google.dev/api/models#Model).
//
//easyjson:json
type model struct {
	Name string `json:"name,nocopy"`
}
