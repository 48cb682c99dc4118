package schemas

import "github.com/mailru/easyjson/opt"

// EmbeddingRequest asks for embeddings of one or more inputs
// (https://platform.openai.com/docs/api-reference/embeddings/create), plus the gateway's own
// fields Provider and Fallbacks.
//
//easyjson:json
type EmbeddingRequest struct {
	Model          string  `json:"model,nocopy"`
	Input          Input   `json:"input"`
	Dimensions     opt.Int `json:"dimensions,omitempty"`
	EncodingFormat string  `json:"encoding_format,omitempty,nocopy"`
	User           string  `json:"user,omitempty,nocopy"`

	// Provider names the provider when Model is a bare model name (gateway field).
	Provider string `json:"provider,omitempty,nocopy"`
	// Fallbacks lists "provider/model" targets to try in order when the first fails (gateway field).
	Fallbacks Strings `json:"fallbacks,omitempty"`

	Extras
}

// Reset empties r for reuse.
func (r *EmbeddingRequest) Reset() {
	extras := r.Extras
	extras.resetExtras()
	*r = EmbeddingRequest{Extras: extras}
}

// EmbeddingResponse is a list of embeddings (object "list").
//
//easyjson:json
type EmbeddingResponse struct {
	Object string         `json:"object,nocopy"`
	Data   []Embedding    `json:"data"`
	Model  string         `json:"model,nocopy"`
	Usage  EmbeddingUsage `json:"usage,omitempty"`
	Extras
}

// EmbeddingUsage counts the tokens of an embeddings request.
//
//easyjson:json
type EmbeddingUsage struct {
	PromptTokens int `json:"prompt_tokens"`
	TotalTokens  int `json:"total_tokens"`
	Extras
}

// IsDefined reports whether usage was given.
func (u EmbeddingUsage) IsDefined() bool {
	return u.PromptTokens != 0 || u.TotalTokens != 0 || len(u.fields) != 0
}

// Reset empties r for reuse, keeping the capacity of its slices.
func (r *EmbeddingResponse) Reset() {
	data := r.Data[:cap(r.Data)]
	clear(data)
	extras := r.Extras
	extras.resetExtras()
	*r = EmbeddingResponse{Data: data[:0], Extras: extras}
}

// Embedding is one input's vector: an array of floats, or a base64 string of little-endian
// float32 values when encoding_format is "base64". It is kept as received.
//
//easyjson:json
type Embedding struct {
	Object    string `json:"object,nocopy"`
	Index     int    `json:"index"`
	Embedding Raw    `json:"embedding"`
	Extras
}
