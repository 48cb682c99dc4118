package soak

import (
	"bytes"
	"encoding/json"
	"mime"
	"strconv"
)

// Kind is the kind of request sent.
type Kind int

// The kinds of request the soak sends.
const (
	Plain  Kind = iota // chat completion, answered with one JSON chat.completion
	Stream             // chat completion with "stream": true, answered with SSE
)

// String returns the kind's name, as in the report.
func (k Kind) String() string {
	if k == Stream {
		return "stream"
	}
	return "plain"
}

// Outcome is what one request got back.
type Outcome int

// The outcomes Classify tells apart.
const (
	// Complete is a whole answer: a JSON chat.completion with choices, or an
	// SSE stream of chat.completion.chunk events ending with "data: [DONE]".
	Complete Outcome = iota
	// WellFormedError is an OpenAI-shaped error: a non-200 status with a JSON
	// body {"error": {"message": "...", "type": "...", ...}}, or a stream whose
	// last event is such an error object (a failure after the headers).
	WellFormedError
	// Other is anything else: a transport error or timeout, a truncated or
	// malformed body, a stream without [DONE], a 200 of the wrong shape.
	Other
)

// String returns the outcome's name, as in the report.
func (o Outcome) String() string {
	switch o {
	case Complete:
		return "complete"
	case WellFormedError:
		return "well-formed error"
	}
	return "other"
}

// Answer is one request's outcome as the load generator saw it.
type Answer struct {
	Kind        Kind
	Status      int    // HTTP status; 0 when no response arrived
	ContentType string // the response's Content-Type
	Body        []byte // the whole response body
	Err         string // a transport error (no response, or the body could not be read)
}

// Classify returns a's outcome and, for WellFormedError and Other, a short
// reason without request-specific values (fit to count by), e.g.
// "status 503 server_error" or "stream: no [DONE]".
func Classify(a Answer) (Outcome, string) {
	if a.Status == 0 {
		if a.Err == "" {
			return Other, "no response"
		}
		return Other, "transport: " + shorten(a.Err, 100)
	}
	if a.Status != 200 {
		typ, ok := errorObject(a.Body)
		if !ok {
			return Other, "status " + strconv.Itoa(a.Status) + ": not an OpenAI error body"
		}
		return WellFormedError, "status " + strconv.Itoa(a.Status) + " " + typ
	}
	if a.Err != "" { // a 200 whose body broke off
		return Other, "status 200, body: " + shorten(a.Err, 100)
	}
	mt, _, _ := mime.ParseMediaType(a.ContentType)
	if a.Kind == Stream {
		if mt != "text/event-stream" {
			return Other, "stream: content type " + strconv.Quote(mt)
		}
		return classifyStream(a.Body)
	}
	if mt != "application/json" {
		return Other, "plain: content type " + strconv.Quote(mt)
	}
	var c struct {
		Object  string            `json:"object"`
		Choices []json.RawMessage `json:"choices"`
	}
	if err := json.Unmarshal(a.Body, &c); err != nil {
		return Other, "plain: invalid JSON"
	}
	if c.Object != "chat.completion" || len(c.Choices) == 0 {
		return Other, "plain: not a chat.completion with choices"
	}
	return Complete, ""
}

// classifyStream classifies a 200 SSE body: every data event but the last
// must be a chat.completion.chunk, and the last must be [DONE] (Complete)
// or an OpenAI error object (WellFormedError).
func classifyStream(body []byte) (Outcome, string) {
	var events [][]byte
	for line := range bytes.SplitSeq(body, []byte("\n")) {
		line = bytes.TrimSuffix(line, []byte("\r"))
		if d, ok := bytes.CutPrefix(line, []byte("data:")); ok {
			events = append(events, bytes.TrimSpace(d))
		}
	}
	if len(events) == 0 {
		return Other, "stream: no data events"
	}
	last := events[len(events)-1]
	for _, ev := range events[:len(events)-1] {
		if bytes.Equal(ev, []byte("[DONE]")) {
			return Other, "stream: events after [DONE]"
		}
		var c struct {
			Object string `json:"object"`
		}
		if err := json.Unmarshal(ev, &c); err != nil {
			return Other, "stream: invalid JSON event"
		}
		if c.Object != "chat.completion.chunk" {
			return Other, "stream: event is not a chat.completion.chunk"
		}
	}
	if bytes.Equal(last, []byte("[DONE]")) {
		if len(events) == 1 {
			return Other, "stream: [DONE] without chunks"
		}
		if !bytes.HasSuffix(bytes.TrimRight(body, "\r\n"), []byte("[DONE]")) {
			return Other, "stream: bytes after [DONE]"
		}
		return Complete, ""
	}
	if typ, ok := errorObject(last); ok {
		return WellFormedError, "stream error event " + typ
	}
	return Other, "stream: no [DONE]"
}

// errorObject reports whether b is an OpenAI error body, {"error":
// {"message": non-empty string, "type": non-empty string, ...}}, and
// returns its type.
func errorObject(b []byte) (string, bool) {
	var e struct {
		Error *struct {
			Message *string `json:"message"`
			Type    *string `json:"type"`
		} `json:"error"`
	}
	if err := json.Unmarshal(b, &e); err != nil || e.Error == nil {
		return "", false
	}
	if e.Error.Message == nil || *e.Error.Message == "" || e.Error.Type == nil || *e.Error.Type == "" {
		return "", false
	}
	return *e.Error.Type, true
}

// shorten cuts s to at most n bytes.
func shorten(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
