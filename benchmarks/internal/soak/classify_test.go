package soak

import (
	"strings"
	"testing"
)

const (
	chunk     = `data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hi"}}]}` + "\n\n"
	done      = "data: [DONE]\n\n"
	errorJSON = `{"error":{"message":"upstream failed","type":"server_error","code":null,"param":null}}`
	sse       = "text/event-stream"
	js        = "application/json"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name   string
		a      Answer
		want   Outcome
		reason string // a substring of the reason; "" for Complete
	}{
		{"plain complete", Answer{Kind: Plain, Status: 200, ContentType: js,
			Body: []byte(`{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hi"}}]}`)}, Complete, ""},
		{"plain content type with charset", Answer{Kind: Plain, Status: 200, ContentType: "application/json; charset=utf-8",
			Body: []byte(`{"object":"chat.completion","choices":[{}]}`)}, Complete, ""},
		{"plain without choices", Answer{Kind: Plain, Status: 200, ContentType: js, Body: []byte(`{"object":"chat.completion","choices":[]}`)}, Other, "not a chat.completion"},
		{"plain wrong object", Answer{Kind: Plain, Status: 200, ContentType: js, Body: []byte(`{"object":"text_completion","choices":[{}]}`)}, Other, "not a chat.completion"},
		{"plain truncated JSON", Answer{Kind: Plain, Status: 200, ContentType: js, Body: []byte(`{"object":"chat.completion","choi`)}, Other, "invalid JSON"},
		{"plain empty body", Answer{Kind: Plain, Status: 200, ContentType: js}, Other, "invalid JSON"},
		{"plain answered with a stream", Answer{Kind: Plain, Status: 200, ContentType: sse, Body: []byte(chunk + done)}, Other, "content type"},
		{"plain body broke off", Answer{Kind: Plain, Status: 200, ContentType: js, Err: "unexpected EOF"}, Other, "body: unexpected EOF"},
		{"503 OpenAI error", Answer{Kind: Plain, Status: 503, ContentType: js, Body: []byte(errorJSON)}, WellFormedError, "status 503 server_error"},
		{"429 OpenAI error on a stream request", Answer{Kind: Stream, Status: 429, ContentType: js,
			Body: []byte(`{"error":{"message":"slow down","type":"rate_limit_error"}}`)}, WellFormedError, "status 429 rate_limit_error"},
		{"500 plain text", Answer{Kind: Plain, Status: 500, ContentType: "text/plain", Body: []byte("Internal Server Error")}, Other, "not an OpenAI error body"},
		{"502 empty", Answer{Kind: Plain, Status: 502}, Other, "not an OpenAI error body"},
		{"error without type", Answer{Kind: Plain, Status: 500, ContentType: js, Body: []byte(`{"error":{"message":"x"}}`)}, Other, "not an OpenAI error body"},
		{"error with empty message", Answer{Kind: Plain, Status: 500, ContentType: js, Body: []byte(`{"error":{"message":"","type":"server_error"}}`)}, Other, "not an OpenAI error body"},
		{"error as a string", Answer{Kind: Plain, Status: 500, ContentType: js, Body: []byte(`{"error":"boom"}`)}, Other, "not an OpenAI error body"},
		{"transport error", Answer{Kind: Plain, Err: "read: connection reset by peer"}, Other, "transport: read: connection reset"},
		{"no response at all", Answer{Kind: Stream}, Other, "no response"},
		{"stream complete", Answer{Kind: Stream, Status: 200, ContentType: sse, Body: []byte(chunk + chunk + done)}, Complete, ""},
		{"stream complete, CRLF and no space after data:", Answer{Kind: Stream, Status: 200, ContentType: sse,
			Body: []byte(strings.ReplaceAll(strings.ReplaceAll(chunk+done, "data: ", "data:"), "\n", "\r\n"))}, Complete, ""},
		{"stream without [DONE]", Answer{Kind: Stream, Status: 200, ContentType: sse, Body: []byte(chunk + chunk)}, Other, "no [DONE]"},
		{"stream cut inside an event", Answer{Kind: Stream, Status: 200, ContentType: sse, Body: []byte(chunk + `data: {"id":"c1","obj`)}, Other, "no [DONE]"},
		{"stream [DONE] only", Answer{Kind: Stream, Status: 200, ContentType: sse, Body: []byte(done)}, Other, "[DONE] without chunks"},
		{"stream empty", Answer{Kind: Stream, Status: 200, ContentType: sse}, Other, "no data events"},
		{"stream events after [DONE]", Answer{Kind: Stream, Status: 200, ContentType: sse, Body: []byte(chunk + done + chunk + done)}, Other, "events after [DONE]"},
		{"stream invalid JSON event", Answer{Kind: Stream, Status: 200, ContentType: sse, Body: []byte("data: {oops\n\n" + done)}, Other, "invalid JSON event"},
		{"stream wrong event object", Answer{Kind: Stream, Status: 200, ContentType: sse,
			Body: []byte(`data: {"object":"chat.completion","choices":[{}]}` + "\n\n" + done)}, Other, "not a chat.completion.chunk"},
		{"stream error event last", Answer{Kind: Stream, Status: 200, ContentType: sse, Body: []byte(chunk + "data: " + errorJSON + "\n\n")}, WellFormedError, "stream error event server_error"},
		{"stream error event then [DONE]", Answer{Kind: Stream, Status: 200, ContentType: sse, Body: []byte(chunk + "data: " + errorJSON + "\n\n" + done)}, Other, "not a chat.completion.chunk"},
		{"stream answered with JSON", Answer{Kind: Stream, Status: 200, ContentType: js, Body: []byte(`{"object":"chat.completion","choices":[{}]}`)}, Other, "content type"},
		{"stream body broke off", Answer{Kind: Stream, Status: 200, ContentType: sse, Body: []byte(chunk), Err: "unexpected EOF"}, Other, "body: unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := Classify(tt.a)
			if got != tt.want {
				t.Fatalf("Classify = %v (%q), want %v", got, reason, tt.want)
			}
			if tt.reason == "" && reason != "" {
				t.Errorf("reason %q, want none", reason)
			}
			if !strings.Contains(reason, tt.reason) {
				t.Errorf("reason %q, want it to contain %q", reason, tt.reason)
			}
		})
	}
}

func TestClassifyReasonIsShort(t *testing.T) {
	_, reason := Classify(Answer{Err: strings.Repeat("x", 1000)})
	if len(reason) > 120 {
		t.Errorf("reason is %d bytes, want it cut", len(reason))
	}
}
