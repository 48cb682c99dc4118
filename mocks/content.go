package mocks

import (
	"strconv"
	"strings"
)

// fingerprint is the system_fingerprint every response reports.
const fingerprint = "fp_bifrostmock"

// filler is repeated to make the assistant's answer. It needs no JSON
// escaping, so its length in a body equals its length in bytes.
const filler = "Bifrost mock provider reply: this text stands in for a model answer and is sized to the configured response. "

// content is the answer every completion carries, fixed at New.
type content struct {
	text   string   // the whole answer
	pieces []string // text cut into the stream's content chunks
	tokens int      // completion tokens reported for text
}

// newContent builds the answer so that a plain chat completion body is
// about size bytes (with a short model name and a two-digit prompt token
// count), and cuts it into chunks pieces for streaming.
func newContent(size, chunks int) content {
	probe := newChatTemplate("", estimateTokens(size))
	overhead := len(probe.appendBody(nil, 0, 1700000000, "gpt-4o-mini", 42))
	n := max(size-overhead, 1)
	text := strings.Repeat(filler, n/len(filler)+1)[:n]
	if text[n-1] == ' ' {
		text = text[:n-1] + "."
	}
	chunks = min(chunks, n)
	pieces := make([]string, chunks)
	for i := range pieces {
		pieces[i] = text[i*n/chunks : (i+1)*n/chunks]
	}
	return content{text: text, pieces: pieces, tokens: estimateTokens(n)}
}

// estimateTokens converts a byte count into a plausible token count, at
// about four bytes per token.
func estimateTokens(nbytes int) int {
	return max((nbytes+3)/4, 1)
}

// completionTemplate holds the fixed pieces of a plain chat or text
// completion body. The id, timestamp, model and usage figures, which
// change per request, are appended between them.
type completionTemplate struct {
	head             string // up to the id's digits
	beforeCreated    string
	beforeModel      string
	beforePrompt     string // the choices, up to the prompt token count
	beforeTotal      string // the completion token count, up to the total
	tail             string
	completionTokens int
}

// newChatTemplate returns the pieces of a chat.completion body whose
// assistant message is text (which must need no JSON escaping).
func newChatTemplate(text string, completionTokens int) completionTemplate {
	return completionTemplate{
		head:          `{"id":"chatcmpl-`,
		beforeCreated: `","object":"chat.completion","created":`,
		beforeModel:   `,"model":`,
		beforePrompt: `,"choices":[{"index":0,"message":{"role":"assistant","content":"` + text +
			`","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":`,
		beforeTotal: `,"completion_tokens":` + strconv.Itoa(completionTokens) + `,"total_tokens":`,
		tail: `,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},` +
			`"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},` +
			`"service_tier":"default","system_fingerprint":"` + fingerprint + `"}`,
		completionTokens: completionTokens,
	}
}

// newTextTemplate returns the pieces of a text_completion body whose
// choice text is text (which must need no JSON escaping).
func newTextTemplate(text string, completionTokens int) completionTemplate {
	return completionTemplate{
		head:          `{"id":"cmpl-`,
		beforeCreated: `","object":"text_completion","created":`,
		beforeModel:   `,"model":`,
		beforePrompt: `,"choices":[{"text":"` + text +
			`","index":0,"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":`,
		beforeTotal:      `,"completion_tokens":` + strconv.Itoa(completionTokens) + `,"total_tokens":`,
		tail:             `},"system_fingerprint":"` + fingerprint + `"}`,
		completionTokens: completionTokens,
	}
}

// appendBody appends a whole body to dst.
func (t *completionTemplate) appendBody(dst []byte, id uint64, created int64, model string, promptTokens int) []byte {
	dst = append(dst, t.head...)
	dst = appendHex16(dst, id)
	dst = append(dst, t.beforeCreated...)
	dst = strconv.AppendInt(dst, created, 10)
	dst = append(dst, t.beforeModel...)
	dst = appendJSONString(dst, model)
	dst = append(dst, t.beforePrompt...)
	dst = strconv.AppendInt(dst, int64(promptTokens), 10)
	dst = append(dst, t.beforeTotal...)
	dst = strconv.AppendInt(dst, int64(promptTokens+t.completionTokens), 10)
	return append(dst, t.tail...)
}
