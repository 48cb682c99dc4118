package bifrost

import (
	"encoding/json"
	"time"

	"github.com/bifrost-gw/bifrost/core/schemas"
	rs "github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
)

// op is the kind of call a request is decoded for.
type op int

const (
	opChat op = iota
	opText
	opEmbedding
)

// easyjsonDecoder is a request type of the engine.
type easyjsonDecoder interface {
	UnmarshalEasyJSON(*jlexer.Lexer)
}

// decodeInto writes req as the OpenAI-shaped JSON body the HTTP API takes and decodes it
// into dst, the engine's request, so that the Go API and the HTTP API mean the same thing
// by every field. dst borrows strings from the encoded body, which it keeps alive.
func decodeInto(dst easyjsonDecoder, req *schemas.BifrostRequest, kind op) *schemas.BifrostError {
	body := map[string]any{"model": req.Model}
	if req.Provider != "" {
		body["provider"] = string(req.Provider)
	}
	if len(req.Fallbacks) > 0 {
		fb := make([]string, len(req.Fallbacks))
		for i, f := range req.Fallbacks {
			fb[i] = string(f.Provider) + "/" + f.Model
		}
		body["fallbacks"] = fb
	}
	in := req.Input
	switch kind {
	case opChat:
		if in.ChatCompletionInput == nil {
			return newError(400, "Input.ChatCompletionInput is required for a chat completion", nil)
		}
		msgs := make([]map[string]any, len(*in.ChatCompletionInput))
		for i, m := range *in.ChatCompletionInput {
			msg := map[string]any{"role": string(m.Role)}
			if m.Content != nil {
				msg["content"] = *m.Content
			}
			if m.Name != nil {
				msg["name"] = *m.Name
			}
			if m.ToolCallID != nil {
				msg["tool_call_id"] = *m.ToolCallID
			}
			msgs[i] = msg
		}
		body["messages"] = msgs
	case opText:
		if in.TextCompletionInput == nil {
			return newError(400, "Input.TextCompletionInput is required for a text completion", nil)
		}
		body["prompt"] = *in.TextCompletionInput
	case opEmbedding:
		if in.EmbeddingInput == nil || len(in.EmbeddingInput.Texts) == 0 {
			return newError(400, "Input.EmbeddingInput.Texts is required for an embedding", nil)
		}
		body["input"] = in.EmbeddingInput.Texts
	}
	if p := req.Params; p != nil {
		for k, v := range p.ExtraParams {
			if _, taken := body[k]; !taken { // never the model, input or routing fields
				body[k] = v
			}
		}
		set := func(k string, v any, ok bool) {
			if ok {
				body[k] = v
			}
		}
		set("temperature", p.Temperature, p.Temperature != nil)
		set("top_p", p.TopP, p.TopP != nil)
		set("max_tokens", p.MaxTokens, p.MaxTokens != nil)
		set("stop", p.StopSequences, p.StopSequences != nil)
		set("presence_penalty", p.PresencePenalty, p.PresencePenalty != nil)
		set("frequency_penalty", p.FrequencyPenalty, p.FrequencyPenalty != nil)
		set("parallel_tool_calls", p.ParallelToolCalls, p.ParallelToolCalls != nil)
		set("user", p.User, p.User != nil)
	}
	data, err := json.Marshal(body)
	if err != nil {
		return newError(400, "the request does not encode as JSON (ExtraParams?)", err)
	}
	l := jlexer.Lexer{Data: data}
	dst.UnmarshalEasyJSON(&l)
	if err := l.Error(); err != nil {
		return newError(400, "invalid request: "+err.Error(), err)
	}
	return nil
}

// fromChat turns the engine's chat answer into a BifrostResponse.
func fromChat(r *rs.ChatResponse, provider schemas.ModelProvider) *schemas.BifrostResponse {
	out := &schemas.BifrostResponse{ID: r.ID, Object: r.Object, Model: r.Model, Created: int(r.Created),
		Usage:       usage(r.Usage.PromptTokens, r.Usage.CompletionTokens, r.Usage.TotalTokens),
		ExtraFields: schemas.BifrostResponseExtraFields{Provider: provider}}
	out.ServiceTier, out.SystemFingerprint = optional(r.ServiceTier), optional(r.SystemFingerprint)
	for _, c := range r.Choices {
		out.Choices = append(out.Choices, schemas.BifrostResponseChoice{Index: c.Index,
			Message: message(&c.Message), FinishReason: finish(string(c.FinishReason))})
	}
	return out
}

// fromChunk turns a chat stream chunk into a BifrostResponse with Delta choices.
func fromChunk(c *rs.ChatStreamChunk, provider schemas.ModelProvider) *schemas.BifrostResponse {
	out := &schemas.BifrostResponse{ID: c.ID, Object: c.Object, Model: c.Model, Created: int(c.Created),
		Usage:       usage(c.Usage.PromptTokens, c.Usage.CompletionTokens, c.Usage.TotalTokens),
		ExtraFields: schemas.BifrostResponseExtraFields{Provider: provider}}
	for _, ch := range c.Choices {
		d := message(&ch.Delta)
		out.Choices = append(out.Choices, schemas.BifrostResponseChoice{Index: ch.Index, Delta: &d,
			FinishReason: finish(string(ch.FinishReason))})
	}
	return out
}

// message turns the engine's message into a Message. Content is the text, or the text
// parts joined, or nil when the message has none (a tool call).
func message(m *rs.ChatMessage) schemas.Message {
	out := schemas.Message{Role: schemas.ModelChatMessageRole(m.Role)}
	switch {
	case m.Content.Text != nil && !m.Content.Text.IsNull():
		out.Content = Ptr(m.Content.Text.String())
	case len(m.Content.Parts) > 0:
		var s string
		for _, p := range m.Content.Parts {
			s += p.Text.String()
		}
		out.Content = &s
	}
	if m.Name != "" {
		out.Name = Ptr(m.Name)
	}
	return out
}

func finish(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func usage(prompt, completion, total int) schemas.LLMUsage {
	return schemas.LLMUsage{PromptTokens: prompt, CompletionTokens: completion, TotalTokens: total}
}

func secondsOf(n int) time.Duration { return time.Duration(n) * time.Second }
