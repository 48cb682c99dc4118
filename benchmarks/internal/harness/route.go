package harness

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// The routes the scenarios can run against (Config.Route).
const (
	// RouteChat is POST /v1/chat/completions, the default.
	RouteChat = "chat"
	// RouteResponses is OpenAI's Responses API, POST /v1/responses: native on Bifrost for an
	// OpenAI target, and served by the mock itself (the direct target).
	RouteResponses = "responses"
)

// checkRoute reports an unknown Config.Route.
func checkRoute(route string) error {
	if route == "" || route == RouteChat || route == RouteResponses {
		return nil
	}
	return fmt.Errorf("unknown route %q: want %s or %s", route, RouteChat, RouteResponses)
}

// routePath is the path of the run's route on every target.
func (c *Config) routePath() string {
	if c.Route == RouteResponses {
		return "/v1/responses"
	}
	return "/v1/chat/completions"
}

// requestBody returns the request of the run's route whose user text is promptLen bytes:
// chatBody's, or a Responses request with the same text as its input, store false (as
// Codex sends; nothing piles up in the mock or the gateway) and the same output limit.
func (c *Config) requestBody(promptLen int, stream bool) []byte {
	if c.Route != RouteResponses {
		return chatBody(promptLen, stream)
	}
	const text = "Benchmark prompt text, repeated to the chosen size. "
	req := map[string]any{
		"model":             modelPlaceholder,
		"input":             strings.Repeat(text, promptLen/len(text)+1)[:promptLen],
		"max_output_tokens": 256,
		"store":             false,
	}
	if stream {
		req["stream"] = true
	}
	b, err := json.Marshal(req)
	if err != nil {
		panic(err) // a map of plain values always marshals
	}
	return b
}

// streamEnd reports whether the SSE data value ends the stream: [DONE] (chat completions),
// or the Responses stream's terminal event.
func streamEnd(data []byte) bool {
	data = bytes.TrimSpace(data)
	if bytes.Equal(data, []byte("[DONE]")) {
		return true
	}
	for _, t := range [...]string{`"type":"response.completed"`, `"type":"response.incomplete"`, `"type":"response.failed"`} {
		if bytes.HasPrefix(data, []byte("{"+t)) {
			return true
		}
	}
	return false
}
