package anthropic_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters/anthropic"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
)

// parseSSE cuts a text/event-stream body into events.
func parseSSE(tb testing.TB, body []byte) []provider.Event {
	tb.Helper()
	var out []provider.Event
	for _, block := range bytes.Split(bytes.TrimSpace(body), []byte("\n\n")) {
		var ev provider.Event
		for _, line := range bytes.Split(block, []byte("\n")) {
			if v, ok := bytes.CutPrefix(line, []byte("event: ")); ok {
				ev.Name = v
			} else if v, ok := bytes.CutPrefix(line, []byte("data: ")); ok {
				ev.Data = v
			}
		}
		if ev.Data == nil {
			tb.Fatalf("event without data: %q", block)
		}
		out = append(out, ev)
	}
	return out
}

// runStream decodes events as the runtime does and returns each chunk as JSON, and the
// step of the last event.
func runStream(t *testing.T, events []provider.Event) ([]string, provider.Step) {
	t.Helper()
	var st provider.StreamState
	st.Reset(1, "asked-model", 1700000000)
	var out schemas.ChatStreamChunk
	var chunks []string
	step := provider.StepSkip
	for _, ev := range events {
		out.Reset()
		var err error
		step, err = anthropic.Codec{}.DecodeChatEvent(ev, &st, &out)
		if err != nil {
			t.Fatalf("event %s %s: %v", ev.Name, ev.Data, err)
		}
		switch step {
		case provider.StepChunk:
			chunks = append(chunks, marshal(t, &out))
		case provider.StepError, provider.StepDone:
			return chunks, step
		}
	}
	return chunks, step
}

func TestDecodeChatEvent(t *testing.T) {
	const head = `{"id":"msg_1","object":"chat.completion.chunk","created":0,"model":"claude-3-5-sonnet-20241022",`
	cases := []struct {
		name   string
		stream string
		want   []string
		last   provider.Step
	}{
		{"text, with pings and the usage chunk last",
			`event: message_start
data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-3-5-sonnet-20241022","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_read_input_tokens":10,"cache_creation_input_tokens":5,"output_tokens":1}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"!\n"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}

event: message_stop
data: {"type":"message_stop"}`,
			[]string{
				head + `"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
				head + `"choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}]}`,
				head + `"choices":[{"index":0,"delta":{"content":"!\n"},"finish_reason":null}]}`,
				head + `"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
				head + `"choices":[],"usage":{"prompt_tokens":40,"completion_tokens":15,"total_tokens":55,"prompt_tokens_details":{"cached_tokens":10,"audio_tokens":0},"cache_creation_input_tokens":5}}`,
			}, provider.StepChunk},
		{"thinking, then two tool calls streamed with their indexes",
			`event: message_start
data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-3-5-sonnet-20241022","usage":{"input_tokens":100,"output_tokens":1}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Two cities."}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds..."}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: content_block_start
data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_a","name":"get_weather","input":{}}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"location\": \"Par"}}

event: content_block_start
data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_b","name":"get_weather","input":{}}}

event: content_block_delta
data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"location\": \"Rome\"}"}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"is\"}"}}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":100,"cache_read_input_tokens":0,"output_tokens":80,"output_tokens_details":{"thinking_tokens":20}}}

event: message_stop
data: {"type":"message_stop"}`,
			[]string{
				head + `"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
				head + `"choices":[{"index":0,"delta":{"reasoning_content":"Two cities."},"finish_reason":null}]}`,
				head + `"choices":[{"index":0,"delta":{"thinking_blocks":[{"type":"thinking","thinking":"","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds..."}]},"finish_reason":null}]}`,
				head + `"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"toolu_a","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}`,
				head + `"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"location\": \"Par"}}]},"finish_reason":null}]}`,
				head + `"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"toolu_b","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}`,
				head + `"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{\"location\": \"Rome\"}"}}]},"finish_reason":null}]}`,
				head + `"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"is\"}"}}]},"finish_reason":null}]}`,
				head + `"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`,
				head + `"choices":[],"usage":{"prompt_tokens":100,"completion_tokens":80,"total_tokens":180,"completion_tokens_details":{"reasoning_tokens":20,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}`,
			}, provider.StepChunk},
		{"redacted thinking and a stop sequence, with cache writes in message_delta",
			`event: message_start
data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-3-5-sonnet-20241022","usage":{"input_tokens":10,"output_tokens":1}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: content_block_start
data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"1, 2, 3"}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"signature_delta","signature":""}}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"stop_sequence","stop_sequence":"\n4"},"usage":{"output_tokens":7,"cache_creation_input_tokens":30}}

event: message_stop
data: {"type":"message_stop"}`,
			[]string{
				head + `"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
				head + `"choices":[{"index":0,"delta":{"thinking_blocks":[{"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix"}]},"finish_reason":null}]}`,
				head + `"choices":[{"index":0,"delta":{"content":"1, 2, 3"},"finish_reason":null}]}`,
				head + `"choices":[{"index":0,"delta":{},"finish_reason":"stop","stop_reason":"\n4"}]}`,
				head + `"choices":[],"usage":{"prompt_tokens":40,"completion_tokens":7,"total_tokens":47,"cache_creation_input_tokens":30}}`,
			}, provider.StepChunk},
		{"an error event midway",
			`event: message_start
data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-3-5-sonnet-20241022","usage":{"input_tokens":1,"output_tokens":1}}}

event: error
data: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}`,
			[]string{head + `"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`},
			provider.StepError},
		{"events without names, as some relays send them",
			`data: {"type":"message_start","message":{"id":"msg_1","model":"claude-3-5-sonnet-20241022","content":[],"usage":{"input_tokens":1,"output_tokens":1}}}

data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}

data: {"type":"some_future_event"}`,
			[]string{
				head + `"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
				head + `"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}]}`,
			}, provider.StepSkip},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, last := runStream(t, parseSSE(t, []byte(c.stream)))
			if last != c.last {
				t.Errorf("last step %d, want %d", last, c.last)
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("chunks:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

// TestStream50 replays the 50-event benchmark stream and checks what a client rebuilds.
func TestStream50(t *testing.T) {
	body, err := os.ReadFile("testdata/stream_50.sse")
	if err != nil {
		t.Fatal(err)
	}
	chunks, _ := runStream(t, parseSSE(t, body))
	var content, args, finish string
	var usage *schemas.Usage
	for _, c := range chunks {
		var ch struct {
			ID      string `json:"id"`
			Choices []struct {
				Delta struct {
					Content   string `json:"content"`
					ToolCalls []struct {
						Index    int `json:"index"`
						Function struct {
							Arguments string `json:"arguments"`
						} `json:"function"`
					} `json:"tool_calls"`
				} `json:"delta"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
			Usage *schemas.Usage `json:"usage"`
		}
		if err := json.Unmarshal([]byte(c), &ch); err != nil {
			t.Fatalf("%v: %s", err, c)
		}
		if ch.ID != "msg_014p7gG3wDgGV9EUtLvnow3U" {
			t.Errorf("chunk id %q", ch.ID)
		}
		for _, choice := range ch.Choices {
			content += choice.Delta.Content
			for _, tc := range choice.Delta.ToolCalls {
				if tc.Index != 0 {
					t.Errorf("tool call index %d, want 0", tc.Index)
				}
				args += tc.Function.Arguments
			}
			if choice.FinishReason != nil {
				finish = *choice.FinishReason
			}
		}
		if ch.Usage != nil {
			usage = ch.Usage
		}
	}
	if !strings.HasPrefix(content, "Okay, let me check the weather") || args != `{"location": "San Francisco, CA", "unit": "fahrenheit"}` || finish != "tool_calls" {
		t.Errorf("content %q, arguments %q, finish %q", content, args, finish)
	}
	if usage == nil || usage.PromptTokens != 728 || usage.CompletionTokens != 89 || usage.PromptTokensDetails.CachedTokens != 256 {
		t.Errorf("usage %+v, want prompt 728 (472 + 256 cached), completion 89", usage)
	}
}
