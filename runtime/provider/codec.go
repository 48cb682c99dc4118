package provider

import (
	"bufio"
	"errors"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
	"github.com/valyala/fasthttp"
)

// The contracts below are what a hand-written part of an adapter fulfils. A spec's codec
// member names the Go type, in the provider's own folder adapters/<name>/, that implements
// ChatCodec (and EmbeddingCodec and ModelsDecoder when the spec lists those operations); the
// generated adapter calls its methods. Each codec states what it implements with interface
// guards, var _ ChatCodec = (*Codec)(nil).
//
// Encode methods write a request body for the provider from a unified request whose Model
// already holds the provider's model name and whose gateway fields are cleared. Decode methods
// read a provider body into a unified value, borrowing from body; they must not keep body or
// out after returning. None of them does I/O or keeps state between calls.

// ChatCodec converts chat completions between the unified schema and one wire format.
type ChatCodec interface {
	// EncodeChat writes the provider's chat request body.
	EncodeChat(w *jwriter.Writer, r *schemas.ChatRequest) error
	// DecodeChat reads the provider's chat answer.
	DecodeChat(body []byte, out *schemas.ChatResponse) error
	// DecodeChatEvent reads one event of a chat stream with the stream's state, and says with
	// a Step what the event was. An event yields at most one chunk.
	DecodeChatEvent(ev Event, st *StreamState, out *schemas.ChatStreamChunk) (Step, error)
	// DecodeError reads an error body (any status >= 400, or the data of a stream's error
	// event) into out. It never fails: a body it cannot read becomes a message naming the
	// status.
	DecodeError(status int, body []byte, out *schemas.ErrorBody)
}

// TextCodec converts text completions; only the generated OpenAI format implements it.
type TextCodec interface {
	EncodeText(w *jwriter.Writer, r *schemas.TextRequest) error
	DecodeText(body []byte, out *schemas.TextResponse) error
	DecodeTextEvent(ev Event, st *StreamState, out *schemas.TextResponse) (Step, error)
}

// EmbeddingCodec converts embedding requests and answers.
type EmbeddingCodec interface {
	EncodeEmbedding(w *jwriter.Writer, r *schemas.EmbeddingRequest) error
	DecodeEmbedding(body []byte, out *schemas.EmbeddingResponse) error
}

// ModelsDecoder reads a provider's model list.
type ModelsDecoder interface {
	DecodeModels(body []byte, out *schemas.ModelList) error
}

// Authorizer authorizes one upstream request with one key's credentials: a static header
// (bearer or a named header), AWS Signature Version 4, or a Google OAuth2 access token. It is
// called once per attempt, after the body is written, with the attempt's time (SigV4 signs it;
// a token cache compares it with the token's expiry). The spec's auth member selects it.
type Authorizer interface {
	Authorize(req *fasthttp.Request, now time.Time) error
}

// StreamFramer cuts a provider's response stream into events: text/event-stream (SSE) or
// AWS's binary event stream. The Event Next returns borrows from the framer's buffers until
// the next call; io.EOF ends the stream between events. An event larger than limit bytes is
// ErrEventTooLarge, refused without reading it whole. A framer serves one stream at a time
// and is reused for the next; Release drops buffers that grew over keep bytes. The spec's
// stream member selects it (see Framing).
type StreamFramer interface {
	Next(r *bufio.Reader, limit int64) (Event, error)
	Release(keep int)
}

// ErrEventTooLarge is a stream event over the limit given to StreamFramer.Next.
var ErrEventTooLarge = errors.New("stream event over the gateway's limit")
