package mocks

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// chunk is one decoded stream event of either endpoint.
type chunk struct {
	ID                string          `json:"id"`
	Object            string          `json:"object"`
	Created           int64           `json:"created"`
	Model             string          `json:"model"`
	SystemFingerprint string          `json:"system_fingerprint"`
	Choices           json.RawMessage `json:"choices"`
	Usage             json.RawMessage `json:"usage"`
	choices           []streamChoice
	hasUsage          bool
}

type streamChoice struct {
	Index        int                        `json:"index"`
	Delta        map[string]json.RawMessage `json:"delta"`
	Text         *string                    `json:"text"`
	FinishReason *string                    `json:"finish_reason"`
}

// parseEvents splits an SSE body into its data payloads, failing on any
// line that is not "data: ..." followed by a blank line.
func parseEvents(t *testing.T, body []byte) []string {
	t.Helper()
	if !bytes.HasSuffix(body, []byte("\n\n")) {
		t.Fatalf("stream does not end with a blank line: %q", body)
	}
	var events []string
	for _, ev := range strings.Split(strings.TrimSuffix(string(body), "\n\n"), "\n\n") {
		data, ok := strings.CutPrefix(ev, "data: ")
		if !ok || strings.Contains(data, "\n") {
			t.Fatalf("malformed event %q", ev)
		}
		events = append(events, data)
	}
	return events
}

func decodeChunk(t *testing.T, data string) chunk {
	t.Helper()
	var c chunk
	decode(t, []byte(data), &c)
	decode(t, c.Choices, &c.choices)
	var m map[string]json.RawMessage
	decode(t, []byte(data), &m)
	_, c.hasUsage = m["usage"]
	return c
}

func TestChatStream(t *testing.T) {
	const chunks = 5
	s := newServer(t, Config{StreamChunks: chunks})
	var plain chatCompletion
	decode(t, call(t, s, "POST", "/v1/chat/completions", chatBody, "").body, &plain)

	for _, includeUsage := range []bool{false, true} {
		name := "without usage"
		if includeUsage {
			name = "with usage"
		}
		t.Run(name, func(t *testing.T) {
			body := `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}`
			if includeUsage {
				body = `{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`
			}
			r := call(t, s, "POST", "/v1/chat/completions", body, "")
			if r.status != fasthttp.StatusOK || !strings.HasPrefix(r.contentType, "text/event-stream") {
				t.Fatalf("status %d, content type %q", r.status, r.contentType)
			}
			events := parseEvents(t, r.body)
			want := 1 + chunks + 1 + 1 // role, content, finish, [DONE]
			if includeUsage {
				want++
			}
			if len(events) != want {
				t.Fatalf("%d events, want %d:\n%s", len(events), want, r.body)
			}
			if events[len(events)-1] != "[DONE]" {
				t.Fatalf("last event %q, want [DONE]", events[len(events)-1])
			}

			var text strings.Builder
			var first chunk
			for i, data := range events[:len(events)-1] {
				c := decodeChunk(t, data)
				if i == 0 {
					first = c
				}
				if c.Object != "chat.completion.chunk" || c.Model != "gpt-4o" || !strings.HasPrefix(c.ID, "chatcmpl-") ||
					c.ID != first.ID || c.Created != first.Created || c.SystemFingerprint == "" {
					t.Errorf("event %d: header %+v", i, c)
				}
				if c.hasUsage != includeUsage {
					t.Errorf("event %d: usage member present %v, want %v", i, c.hasUsage, includeUsage)
				}
				switch {
				case i == 0: // role
					d := c.choices[0].Delta
					if len(c.choices) != 1 || string(d["role"]) != `"assistant"` || string(d["content"]) != `""` || c.choices[0].FinishReason != nil {
						t.Errorf("role event %s", data)
					}
				case i <= chunks: // content
					var piece string
					decode(t, c.choices[0].Delta["content"], &piece)
					if len(c.choices) != 1 || len(c.choices[0].Delta) != 1 || piece == "" || c.choices[0].FinishReason != nil {
						t.Errorf("content event %s", data)
					}
					text.WriteString(piece)
				case i == chunks+1: // finish
					if len(c.choices) != 1 || len(c.choices[0].Delta) != 0 || c.choices[0].FinishReason == nil || *c.choices[0].FinishReason != "stop" {
						t.Errorf("finish event %s", data)
					}
					if includeUsage && string(c.Usage) != "null" {
						t.Errorf("finish event usage %s, want null", c.Usage)
					}
				default: // usage
					if string(c.Choices) != "[]" {
						t.Errorf("usage event choices %s, want []", c.Choices)
					}
					var u usage
					decode(t, c.Usage, &u)
					checkUsage(t, u)
					if u.CompletionTokens != plain.Usage.CompletionTokens {
						t.Errorf("stream completion tokens %d, plain %d", u.CompletionTokens, plain.Usage.CompletionTokens)
					}
				}
			}
			if text.String() != plain.Choices[0].Message.Content {
				t.Errorf("streamed content differs from the plain content")
			}
		})
	}
}

func TestCompletionStream(t *testing.T) {
	const chunks = 4
	s := newServer(t, Config{StreamChunks: chunks})
	for _, includeUsage := range []bool{false, true} {
		body := `{"model":"gpt-3.5-turbo-instruct","prompt":"hi","stream":true}`
		if includeUsage {
			body = `{"model":"gpt-3.5-turbo-instruct","prompt":"hi","stream":true,"stream_options":{"include_usage":true}}`
		}
		r := call(t, s, "POST", "/completions", body, "")
		events := parseEvents(t, r.body)
		want := chunks + 1 + 1
		if includeUsage {
			want++
		}
		if len(events) != want || events[len(events)-1] != "[DONE]" {
			t.Fatalf("include_usage %v: events %q", includeUsage, events)
		}
		for i, data := range events[:len(events)-1] {
			c := decodeChunk(t, data)
			if c.Object != "text_completion" || c.Model != "gpt-3.5-turbo-instruct" || !strings.HasPrefix(c.ID, "cmpl-") {
				t.Errorf("event %d: header %+v", i, c)
			}
			switch {
			case i < chunks:
				if len(c.choices) != 1 || c.choices[0].Text == nil || *c.choices[0].Text == "" || c.choices[0].FinishReason != nil {
					t.Errorf("content event %s", data)
				}
			case i == chunks:
				if len(c.choices) != 1 || c.choices[0].FinishReason == nil || *c.choices[0].FinishReason != "stop" {
					t.Errorf("finish event %s", data)
				}
			default:
				var u usage
				decode(t, c.Usage, &u)
				if string(c.Choices) != "[]" {
					t.Errorf("usage event choices %s", c.Choices)
				}
				checkUsage(t, u)
			}
		}
	}
}

// TestStreamTiming checks that the chunks are spread over the latency:
// content chunk i is sent at latency*(i+1)/n, never earlier. A loaded
// machine can delay chunks, so the upper bound is loose; it still catches
// a stream that waits the whole latency before every chunk.
func TestStreamTiming(t *testing.T) {
	const (
		latency = 300 * time.Millisecond
		chunks  = 6
		slack   = 5 * time.Millisecond
	)
	s := newServer(t, Config{Latency: latency, StreamChunks: chunks})
	ctx := newChatCtx(`{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`, "")
	start := time.Now()
	s.Handler()(ctx)
	if d := time.Since(start); d > latency/2 {
		t.Errorf("handler took %v; the stream should be written after it returns", d)
	}
	br := bufio.NewReader(ctx.Response.BodyStream())
	var arrivals []time.Duration
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			break
		}
		if strings.HasPrefix(line, "data: ") {
			arrivals = append(arrivals, time.Since(start))
		}
	}
	if len(arrivals) != chunks+3 {
		t.Fatalf("%d events, want %d", len(arrivals), chunks+3)
	}
	if first := arrivals[0]; first < latency/chunks-slack {
		t.Errorf("role chunk arrived at %v, before %v", first, latency/chunks)
	}
	for i := range chunks {
		if want, got := latency*time.Duration(i+1)/chunks, arrivals[i+1]; got < want-slack {
			t.Errorf("content chunk %d arrived at %v, before %v", i, got, want)
		}
	}
	if last := arrivals[len(arrivals)-1]; last > 4*latency {
		t.Errorf("stream ended at %v, want about %v", last, latency)
	}
}

// TestCloseCutsWaits checks that Close ends pending latency waits.
func TestCloseCutsWaits(t *testing.T) {
	s, err := New(Config{Latency: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	streamCtx := newChatCtx(`{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`, "")
	s.Handler()(streamCtx)
	plainDone := make(chan struct{})
	go func() {
		defer close(plainDone)
		s.Handler()(newChatCtx(chatBody, ""))
	}()
	time.Sleep(20 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-plainDone:
	case <-time.After(5 * time.Second):
		t.Fatal("plain request still waiting after Close")
	}
	body := streamCtx.Response.Body()
	if bytes.Contains(body, []byte("[DONE]")) {
		t.Errorf("stream completed despite Close: %s", body)
	}
}
