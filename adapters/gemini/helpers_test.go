package gemini

import (
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

// encodeChat decodes a unified request and returns EncodeChat's body, or the error text.
func encodeChat(t testing.TB, req string) (string, error) {
	t.Helper()
	var r schemas.ChatRequest
	l := jlexer.Lexer{Data: []byte(req)}
	r.UnmarshalEasyJSON(&l)
	if err := l.Error(); err != nil {
		t.Fatalf("request: %v", err)
	}
	var w jwriter.Writer
	if err := (Codec{}).EncodeChat(&w, &r); err != nil {
		return "", err
	}
	b, err := w.BuildBytes()
	return string(b), err
}

// decodeChat returns the unified JSON of a Gemini response.
func decodeChat(t testing.TB, body string) (string, error) {
	t.Helper()
	var out schemas.ChatResponse
	if err := (Codec{}).DecodeChat([]byte(body), &out); err != nil {
		return "", err
	}
	out.Created = 0
	var w jwriter.Writer
	out.MarshalEasyJSON(&w)
	b, err := w.BuildBytes()
	return string(b), err
}

// decodeStream runs events through DecodeChatEvent and returns one line per chunk (or
// "skip", "done", "error").
func decodeStream(t testing.TB, events ...string) []string {
	t.Helper()
	var st provider.StreamState
	st.Reset(1, "gemini-2.0-flash", 0)
	var lines []string
	for _, ev := range events {
		var out schemas.ChatStreamChunk
		step, err := Codec{}.DecodeChatEvent(provider.Event{Data: []byte(ev)}, &st, &out)
		if err != nil {
			lines = append(lines, "err: "+err.Error())
			continue
		}
		switch step {
		case provider.StepSkip:
			lines = append(lines, "skip")
		case provider.StepDone:
			lines = append(lines, "done")
		case provider.StepError:
			lines = append(lines, "error")
		case provider.StepChunk:
			var w jwriter.Writer
			out.MarshalEasyJSON(&w)
			b, _ := w.BuildBytes()
			lines = append(lines, string(b))
		}
	}
	return lines
}
