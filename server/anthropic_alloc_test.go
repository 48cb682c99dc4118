//go:build !race

package server

import (
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/mocks"
)

// TestAnthropicMessagesAllocs pins the allocations of a non-streaming
// POST /anthropic/v1/messages through the whole gateway in steady state: none for a request
// whose contents are strings, and one per message whose content is an array of blocks (the
// blocks' slice, made by the wire type's decoder).
func TestAnthropicMessagesAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	p := newInProcess(t, mocks.Config{}, "")
	strBody := strings.Replace(string(anthropicBody("openai/gpt-4o-mini")), `[{"type":"text","text":"And how`, `"And how`, 1)
	strBody = strings.Replace(strBody, `two cores?"}]}]}`, `two cores?"}]}`, 1)
	for _, c := range []struct {
		name string
		body []byte
		max  float64
	}{
		{"string contents", []byte(strBody), 0},
		{"one block array", anthropicBody("openai/gpt-4o-mini"), 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := newCtx("POST", "/anthropic/v1/messages", c.body)
			run := func() {
				p.do(ctx)
				if ctx.Response.StatusCode() != 200 {
					t.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
				}
			}
			for i := 0; i < 50; i++ {
				run()
			}
			if n := testing.AllocsPerRun(200, run); n > c.max {
				t.Errorf("allocs per request = %v, want at most %v", n, c.max)
			}
		})
	}
}

// TestAnthropicNativeAllocs pins the steady-state allocations of a request to Anthropic
// itself with Claude Code's beta header: the header goes on, and nothing is allocated for it,
// nor for count_tokens beyond its error-free answer.
func TestAnthropicNativeAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	p := newInProcess(t, mocks.Config{Format: mocks.FormatAnthropic}, anthropicOnly)
	body := strings.Replace(string(anthropicBody("claude-3-5-haiku-20241022")), `[{"type":"text","text":"And how`, `"And how`, 1)
	body = strings.Replace(body, `two cores?"}]}]}`, `two cores?"}]}`, 1)
	for _, c := range []struct {
		name, path string
		body       []byte
		max        float64
	}{
		{"messages", "/anthropic/v1/messages", []byte(body), 0},
		{"count_tokens", "/anthropic/v1/messages/count_tokens", []byte(strings.Replace(body, `"max_tokens":`, `"top_k":`, 1)), 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := newCtx("POST", c.path, c.body)
			ctx.Request.Header.Set("anthropic-beta", betaValue)
			run := func() {
				p.do(ctx)
				if ctx.Response.StatusCode() != 200 {
					t.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
				}
			}
			for i := 0; i < 50; i++ {
				run()
			}
			if n := testing.AllocsPerRun(200, run); n > c.max {
				t.Errorf("allocs per request = %v, want at most %v", n, c.max)
			}
		})
	}
}
