package provider

import (
	"strconv"
	"unsafe"
)

// Event is one event of a provider's response stream, borrowed from the runtime's read buffer
// until the next event is read.
type Event struct {
	// Name is the SSE "event:" field, or an AWS event-stream message's :event-type header
	// (":exception-type" for exceptions); empty when the provider sends none.
	Name []byte
	// Data is the SSE data (lines joined with "\n"), or the AWS message's payload.
	Data []byte
}

// Step says what a stream decoder made of one event.
type Step uint8

// The steps.
const (
	// StepSkip: the event yields nothing to send (a ping, the end of a content block, ...).
	StepSkip Step = iota
	// StepChunk: out holds a chunk to send to the client.
	StepChunk
	// StepDone: the stream ended normally. out holds nothing.
	StepDone
	// StepError: the event reports an error; the runtime reads Event.Data with DecodeError.
	StepError
)

// MaxBlocks is the number of content blocks per stream whose tool-call index a StreamState
// keeps. Blocks beyond it are not tool calls to the state.
const MaxBlocks = 256

// StreamState is what a stream decoder keeps between the events of one stream. The runtime
// owns it, reuses it for the next stream (its buffers too) and calls Reset when a stream
// opens. Strings it returns are valid until the state is reset.
type StreamState struct {
	id, model, fp []byte
	// Created is the chunk's creation time in Unix seconds, set by Reset.
	Created int64
	// Usage gathers token counts that the provider reports in parts (Anthropic sends input
	// tokens in message_start and output tokens in message_delta).
	PromptTokens, CompletionTokens, CachedTokens, CacheWriteTokens, ReasoningTokens int
	// Tools counts the tool calls begun so far: the next one's OpenAI index.
	Tools int
	// Role is true once a chunk carrying the assistant role was sent.
	Role bool
	// Finish holds a finish reason decided before the event that ends the stream.
	Finish string
	// tool maps a provider content block to its tool-call index + 1; 0: not a tool call.
	tool [MaxBlocks]uint16
}

// Reset prepares s for a new stream: ID() is "chatcmpl-" followed by 16 hex digits made
// from seed (the runtime passes a random number), Model() is model (the model asked for),
// and Created is created. Decoders replace ID and Model with the provider's when it sends
// them.
func (s *StreamState) Reset(seed uint64, model string, created int64) {
	id, m, fp := s.id[:0], s.model[:0], s.fp[:0]
	*s = StreamState{id: id, model: m, fp: fp, Created: created}
	s.id = append(s.id, "chatcmpl-"...)
	var hex [16]byte
	v := strconv.AppendUint(hex[:0], seed, 16)
	for i := len(v); i < 16; i++ {
		s.id = append(s.id, '0')
	}
	s.id = append(s.id, v...)
	s.model = append(s.model, model...)
}

// ID returns the stream's response id.
func (s *StreamState) ID() string { return view(s.id) }

// SetID copies id into the state (unescaped text, not JSON).
func (s *StreamState) SetID(id []byte) { s.id = append(s.id[:0], id...) }

// Model returns the stream's model name.
func (s *StreamState) Model() string { return view(s.model) }

// SetModel copies model into the state (unescaped text, not JSON).
func (s *StreamState) SetModel(model []byte) { s.model = append(s.model[:0], model...) }

// Fingerprint returns a system fingerprint or version string the provider sent, or "".
func (s *StreamState) Fingerprint() string { return view(s.fp) }

// SetFingerprint copies a system fingerprint or model version into the state.
func (s *StreamState) SetFingerprint(fp []byte) { s.fp = append(s.fp[:0], fp...) }

// BeginTool records that content block block starts a tool call and returns its OpenAI
// tool_calls index.
func (s *StreamState) BeginTool(block int) int {
	i := s.Tools
	s.Tools++
	if block >= 0 && block < MaxBlocks {
		s.tool[block] = uint16(i + 1)
	}
	return i
}

// ToolIndex returns the OpenAI tool_calls index of content block block, or -1 when the block
// is not a tool call.
func (s *StreamState) ToolIndex(block int) int {
	if block < 0 || block >= MaxBlocks {
		return -1
	}
	return int(s.tool[block]) - 1
}

// view returns b as a string without copying; b must not change while the string is used.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
