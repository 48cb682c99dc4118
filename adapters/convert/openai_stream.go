package convert

import (
	"bytes"

	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
)

// OpenAI-family streams end with this data line
// (https://platform.openai.com/docs/api-reference/chat-streaming).
var doneData = []byte("[DONE]")

// eventStep says whether an OpenAI-family event is the end, an error or a chunk to decode:
// "data: [DONE]" ends the stream, and a data object whose first member is "error" (sent by
// OpenAI and several compatible servers when a stream fails midway) is an error.
func eventStep(ev provider.Event) provider.Step {
	if bytes.Equal(ev.Data, doneData) {
		return provider.StepDone
	}
	if bytes.Equal(ev.Name, []byte("error")) || bytes.HasPrefix(ev.Data, []byte(`{"error"`)) {
		return provider.StepError
	}
	return provider.StepChunk
}

// OpenAIChatEvent decodes one event of an OpenAI-family chat stream: a chat.completion.chunk
// object, "[DONE]", or an error object.
func OpenAIChatEvent(ev provider.Event, out *schemas.ChatStreamChunk) (provider.Step, error) {
	step := eventStep(ev)
	if step != provider.StepChunk {
		return step, nil
	}
	l := jlexer.Lexer{Data: ev.Data}
	out.UnmarshalEasyJSON(&l)
	l.Consumed()
	return step, l.Error()
}

// OpenAITextEvent decodes one event of an OpenAI-family text-completion stream.
func OpenAITextEvent(ev provider.Event, out *schemas.TextResponse) (provider.Step, error) {
	step := eventStep(ev)
	if step != provider.StepChunk {
		return step, nil
	}
	l := jlexer.Lexer{Data: ev.Data}
	out.UnmarshalEasyJSON(&l)
	l.Consumed()
	return step, l.Error()
}
