package runtime

import (
	"bytes"
	"errors"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/clock"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
)

// decodeAnswer decodes a provider's 2xx plain answer into the unified response of the call's
// operation (ChatResp, TextResp or EmbeddingResp), and checks that it is an answer: a 200
// that is valid JSON but no completion ({}, null, {"choices":null}, an Anthropic message
// without content or stop reason, a Gemini answer without candidates) would otherwise reach
// the client as a success that every SDK fails on. The check is made once, on the unified
// response, whatever the provider's format:
//
//   - chat: at least one choice that carries something: content, tool calls, a refusal,
//     reasoning, or a finish reason (an empty answer that the model ended on purpose, as
//     Anthropic's end_turn with no content, is one);
//   - text: at least one choice with text or a finish reason;
//   - embeddings: at least one embedding, and each a non-empty vector (or base64 string).
//
// A body that does not decode or is no answer is a retryable 502 invalid_upstream_response:
// it is retried and falls back like a 5xx. Streams and model lists are not checked here
// (a stream without a finish is stream_truncated). Decoding counts in c.Decode from t0, a
// time of c.clk: when the attempt ended.
func (c *Call) decodeAnswer(p *providerState, t0 time.Time) *Error {
	var err error
	switch c.op {
	case provider.OpChat:
		c.ChatResp.Reset() // an earlier attempt's answer borrowed from the reused body
		if err = p.chatCodec(c.cur.model).DecodeChat(c.resp.Body(), &c.ChatResp); err == nil && !isChatAnswer(&c.ChatResp) {
			err = errNoChoice
		}
	case provider.OpText:
		c.TextResp.Reset()
		if err = p.adapter.DecodeText(c.resp.Body(), &c.TextResp); err == nil && !isTextAnswer(&c.TextResp) {
			err = errNoChoice
		}
	case provider.OpEmbedding:
		c.EmbeddingResp.Reset()
		if err = p.adapter.DecodeEmbedding(c.resp.Body(), &c.EmbeddingResp); err == nil && !isEmbeddingAnswer(&c.EmbeddingResp) {
			err = errNoEmbedding
		}
		if err == nil {
			err = c.base64Embeddings()
		}
	default:
		return nil
	}
	c.Decode += clock.Since(c.clk, t0)
	if err == nil {
		return nil
	}
	e := c.decode(err)
	e.Retryable = true
	return e
}

var (
	errNoChoice    = errors.New("a 2xx answer with no choice that has content, tool calls or a finish reason")
	errNoEmbedding = errors.New("a 2xx answer with no embedding, or an empty one")
)

// isChatAnswer reports whether r has a choice that carries anything.
func isChatAnswer(r *schemas.ChatResponse) bool {
	for i := range r.Choices {
		ch := &r.Choices[i]
		m := &ch.Message
		if ch.FinishReason != "" || hasText(m.Content.Text) || len(m.Content.Parts) > 0 || len(m.ToolCalls) > 0 ||
			hasText(m.Refusal) || hasText(m.ReasoningContent) {
			return true
		}
	}
	return false
}

// isTextAnswer reports whether r has a choice with text or a finish reason.
func isTextAnswer(r *schemas.TextResponse) bool {
	for i := range r.Choices {
		if r.Choices[i].FinishReason != "" || hasText(r.Choices[i].Text) {
			return true
		}
	}
	return false
}

// isEmbeddingAnswer reports whether r has embeddings, each a non-empty array of numbers or
// base64 string.
func isEmbeddingAnswer(r *schemas.EmbeddingResponse) bool {
	if len(r.Data) == 0 {
		return false
	}
	for i := range r.Data {
		v := bytes.TrimSpace(r.Data[i].Embedding)
		if len(v) <= 2 || v[0] != '[' && v[0] != '"' {
			return false // absent, null, [], "" or an object
		}
	}
	return true
}

func hasText(t schemas.Text) bool { return len(t) > 0 && !t.IsNull() }
