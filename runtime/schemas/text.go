package schemas

import "github.com/mailru/easyjson/opt"

// TextRequest is a legacy text completion request
// (https://platform.openai.com/docs/api-reference/completions/create), plus the gateway's own
// fields Provider and Fallbacks.
//
//easyjson:json
type TextRequest struct {
	Model            string         `json:"model,nocopy"`
	Prompt           Input          `json:"prompt"`
	Suffix           Text           `json:"suffix,omitempty"`
	MaxTokens        opt.Int        `json:"max_tokens,omitempty"`
	Temperature      opt.Float64    `json:"temperature,omitempty"`
	TopP             opt.Float64    `json:"top_p,omitempty"`
	N                opt.Int        `json:"n,omitempty"`
	Stream           opt.Bool       `json:"stream,omitempty"`
	StreamOptions    *StreamOptions `json:"stream_options,omitempty"`
	Logprobs         opt.Int        `json:"logprobs,omitempty"`
	Echo             opt.Bool       `json:"echo,omitempty"`
	Stop             Stop           `json:"stop,omitempty"`
	PresencePenalty  opt.Float64    `json:"presence_penalty,omitempty"`
	FrequencyPenalty opt.Float64    `json:"frequency_penalty,omitempty"`
	BestOf           opt.Int        `json:"best_of,omitempty"`
	LogitBias        Raw            `json:"logit_bias,omitempty"`
	Seed             opt.Int64      `json:"seed,omitempty"`
	User             string         `json:"user,omitempty,nocopy"`

	// Provider names the provider when Model is a bare model name (gateway field).
	Provider string `json:"provider,omitempty,nocopy"`
	// Fallbacks lists "provider/model" targets to try in order when the first fails (gateway field).
	Fallbacks Strings `json:"fallbacks,omitempty"`

	Extras
}

// Reset empties r for reuse.
func (r *TextRequest) Reset() {
	extras := r.Extras
	extras.resetExtras()
	*r = TextRequest{Extras: extras}
}

// IsStream reports whether the client asked for a stream.
func (r *TextRequest) IsStream() bool { return r.Stream.V }

// TextResponse is a text completion (object "text_completion"), or one event of a streamed one.
//
//easyjson:json
type TextResponse struct {
	ID                string       `json:"id,nocopy"`
	Object            string       `json:"object,nocopy"`
	Created           int64        `json:"created"`
	Model             string       `json:"model,nocopy"`
	Choices           []TextChoice `json:"choices"`
	Usage             Usage        `json:"usage,omitempty"`
	SystemFingerprint string       `json:"system_fingerprint,omitempty,nocopy"`
	Extras
}

// Reset empties r for reuse, keeping the capacity of its slices.
func (r *TextResponse) Reset() {
	choices := r.Choices[:cap(r.Choices)]
	clear(choices)
	extras := r.Extras
	extras.resetExtras()
	*r = TextResponse{Choices: choices[:0], Extras: extras}
}

// TextChoice is one text completion choice.
//
//easyjson:json
type TextChoice struct {
	Text         Text       `json:"text"`
	Index        int        `json:"index"`
	Logprobs     Raw        `json:"logprobs"`
	FinishReason NullString `json:"finish_reason"`
	Extras
}
