package cohere

import (
	"bytes"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

// sseEvents cuts an SSE body into events (event: and data: lines, blank-line separated).
func sseEvents(body []byte) []provider.Event {
	var out []provider.Event
	for _, block := range bytes.Split(body, []byte("\n\n")) {
		var ev provider.Event
		for _, line := range bytes.Split(block, []byte("\n")) {
			if v, ok := bytes.CutPrefix(line, []byte("event: ")); ok {
				ev.Name = v
			} else if v, ok := bytes.CutPrefix(line, []byte("data: ")); ok {
				ev.Data = v
			}
		}
		if ev.Data != nil {
			out = append(out, ev)
		}
	}
	return out
}

// runStream decodes every event and returns the chunks as JSON lines, and the last step.
func runStream(t *testing.T, events []provider.Event) ([]string, provider.Step) {
	t.Helper()
	var st provider.StreamState
	st.Reset(0xabc, "command-a-03-2025", 1700000000)
	var chunks []string
	var out schemas.ChatStreamChunk
	step := provider.StepSkip
	for _, ev := range events {
		out.Reset()
		var err error
		step, err = Codec{}.DecodeChatEvent(ev, &st, &out)
		if err != nil {
			t.Fatalf("event %s: %v", ev.Data, err)
		}
		switch step {
		case provider.StepChunk:
			var w jwriter.Writer
			out.MarshalEasyJSON(&w)
			chunks = append(chunks, string(w.Buffer.BuildBytes()))
		case provider.StepError, provider.StepDone:
			return chunks, step
		}
	}
	return chunks, step
}

func TestStreamToolCall(t *testing.T) {
	chunks, _ := runStream(t, sseEvents(load(t, "stream_tool.sse")))
	const env = `{"id":"93b3f521-090e-4ebc-bac4-f7c557e63c00","object":"chat.completion.chunk","created":1700000000,"model":"command-a-03-2025","choices":[`
	want := []string{
		env + `{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
		env + `{"index":0,"delta":{"content":"I"},"finish_reason":null}]}`,
		env + `{"index":0,"delta":{"content":" will"},"finish_reason":null}]}`,
		env + `{"index":0,"delta":{"content":" look"},"finish_reason":null}]}`,
		env + `{"index":0,"delta":{"content":" up"},"finish_reason":null}]}`,
		env + `{"index":0,"delta":{"content":" the"},"finish_reason":null}]}`,
		env + `{"index":0,"delta":{"content":" weather"},"finish_reason":null}]}`,
		env + `{"index":0,"delta":{"content":" in"},"finish_reason":null}]}`,
		env + `{"index":0,"delta":{"content":" Toronto"},"finish_reason":null}]}`,
		env + `{"index":0,"delta":{"content":"."},"finish_reason":null}]}`,
		env + `{"index":0,"delta":{"tool_calls":[{"index":0,"id":"get_weather_nsz5zm3w56q3","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}`,
		env + `{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\n    \""}}]},"finish_reason":null}]}`,
		env + `{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"location"}}]},"finish_reason":null}]}`,
		env + `{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\": \""}}]},"finish_reason":null}]}`,
		env + `{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"Toronto"}}]},"finish_reason":null}]}`,
		env + `{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"\n}"}}]},"finish_reason":null}]}`,
		env + `{"index":0,"delta":{},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":913,"completion_tokens":83,"total_tokens":996}}`,
	}
	if strings.Join(chunks, "\n") != strings.Join(want, "\n") {
		t.Errorf("chunks\n got:\n%s\nwant:\n%s", strings.Join(chunks, "\n"), strings.Join(want, "\n"))
	}
}

func TestStreamText(t *testing.T) {
	events := sseEvents(load(t, "stream_text.sse"))
	if len(events) != 52 {
		t.Fatalf("%d events in testdata/stream_text.sse, want 52", len(events))
	}
	chunks, _ := runStream(t, events)
	if len(chunks) != 50 { // role, 48 deltas, finish
		t.Fatalf("%d chunks, want 50", len(chunks))
	}
	var text strings.Builder
	for _, c := range chunks {
		var out schemas.ChatStreamChunk
		if err := schemas.Decode([]byte(c), &out); err != nil {
			t.Fatal(err)
		}
		text.WriteString(out.Choices[0].Delta.Content.Text.String())
	}
	if want := "Coca-Cola is a carbonated soft drink sold in stores, restaurants, and vending machines in more than 200 countries. It is produced by The Coca-Cola Company, a publicly traded company which began in 1892."; text.String() != want {
		t.Errorf("text %q\nwant %q", text.String(), want)
	}
	last := chunks[len(chunks)-1]
	if want := `"finish_reason":"stop"}],"usage":{"prompt_tokens":186,"completion_tokens":48,"total_tokens":234}}`; !strings.HasSuffix(last, want) {
		t.Errorf("last chunk %s\nwant it to end with %s", last, want)
	}
}

func TestStreamEvents(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		step       provider.Step
		want       string // the chunk's choice (after a role chunk was sent), when step is StepChunk
	}{
		{"content-start", `{"type":"content-start","index":0,"delta":{"message":{"content":{"type":"text","text":""}}}}`, provider.StepSkip, ""},
		{"content-end", `{"type":"content-end","index":0}`, provider.StepSkip, ""},
		{"tool-call-end", `{"type":"tool-call-end","index":0}`, provider.StepSkip, ""},
		{"citation-start", `{"type":"citation-start","index":0,"delta":{"message":{"citations":{"start":0,"end":4,"text":"Paris","sources":[{"type":"document","id":"doc_0","document":{"title":"x"}}]}}}}`, provider.StepSkip, ""},
		{"citation-end", `{"type":"citation-end","index":0}`, provider.StepSkip, ""},
		{"debug", `{"type":"debug","prompt":"..."}`, provider.StepSkip, ""},
		{"unknown", `{"type":"something-new"}`, provider.StepSkip, ""},
		{"thinking", `{"type":"content-delta","index":0,"delta":{"message":{"content":{"thinking":"Let me see"}}}}`, provider.StepChunk,
			`{"index":0,"delta":{"reasoning_content":"Let me see"},"finish_reason":null}`},
		{"text with escapes", `{"type":"content-delta","index":1,"delta":{"message":{"content":{"text":"a \"b\"\n\u00e9"}}}}`, provider.StepChunk,
			`{"index":0,"delta":{"content":"a \"b\"\n\u00e9"},"finish_reason":null}`},
		{"max tokens with cached tokens", `{"type":"message-end","delta":{"finish_reason":"MAX_TOKENS","usage":{"billed_units":{"input_tokens":1,"output_tokens":2},"tokens":{"input_tokens":10,"output_tokens":2},"cached_tokens":8}}}`, provider.StepChunk,
			`{"index":0,"delta":{},"finish_reason":"length"}`},
		{"stop sequence", `{"type":"message-end","delta":{"finish_reason":"STOP_SEQUENCE"}}`, provider.StepChunk,
			`{"index":0,"delta":{},"finish_reason":"stop"}`},
		{"error", `{"type":"message-end","delta":{"finish_reason":"ERROR","error":"boom"}}`, provider.StepError, ""},
		{"array tool call", `{"type":"tool-call-start","index":1,"delta":{"message":{"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":""}}]}}}`, provider.StepChunk,
			`{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"f","arguments":""}}]},"finish_reason":null}`},
		{"delta without start", `{"type":"tool-call-delta","index":3,"delta":{"message":{"tool_calls":{"function":{"arguments":"{}"}}}}}`, provider.StepChunk,
			`{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]},"finish_reason":null}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var st provider.StreamState
			st.Reset(1, "m", 1)
			st.Role = true
			var out schemas.ChatStreamChunk
			step, err := Codec{}.DecodeChatEvent(provider.Event{Data: []byte(tc.data)}, &st, &out)
			if err != nil {
				t.Fatal(err)
			}
			if step != tc.step {
				t.Fatalf("step %d, want %d", step, tc.step)
			}
			if step != provider.StepChunk {
				return
			}
			var w jwriter.Writer
			out.Choices[0].MarshalEasyJSON(&w)
			if got := string(w.Buffer.BuildBytes()); got != tc.want {
				t.Errorf("choice\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestStreamEventByName(t *testing.T) {
	// An event whose data lacks "type" is named by the SSE event field.
	var st provider.StreamState
	st.Reset(1, "m", 1)
	var out schemas.ChatStreamChunk
	step, err := Codec{}.DecodeChatEvent(provider.Event{Name: []byte("content-delta"), Data: []byte(`{"delta":{"message":{"content":{"text":"x"}}}}`)}, &st, &out)
	if err != nil || step != provider.StepChunk || string(out.Choices[0].Delta.Content.Text) != `"x"` || out.Choices[0].Delta.Role != "assistant" {
		t.Errorf("step %d, err %v, chunk %+v", step, err, out)
	}
}

func TestStreamEventInvalid(t *testing.T) {
	var st provider.StreamState
	st.Reset(1, "m", 1)
	var out schemas.ChatStreamChunk
	if _, err := (Codec{}).DecodeChatEvent(provider.Event{Data: []byte(`{"type":"content-delta",`)}, &st, &out); err == nil {
		t.Error("want an error for a truncated event")
	}
}
