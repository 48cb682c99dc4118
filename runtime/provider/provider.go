// Package provider is the contract between Bifrost's runtime and its provider adapters.
//
// Each adapter under adapters/ is generated from a spec (specs/<name>.yaml) and implements
// [Adapter]: it describes the provider ([Info]: URLs, auth, operations) and converts request
// and response bodies between the unified schema (package schemas) and the provider's wire
// format. Adapters hold no state and do no I/O; the runtime owns connections, keys, retries
// and buffers.
package provider

import (
	"errors"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

// Op is an operation a provider may support.
type Op uint8

// The operations.
const (
	OpChat       Op = iota // POST chat completion
	OpChatStream           // POST chat completion, streamed
	OpText                 // POST text completion
	OpTextStream           // POST text completion, streamed
	OpEmbedding            // POST embeddings
	OpModels               // GET model list
	NumOps                 // number of operations
)

var opNames = [NumOps]string{"chat", "chat_stream", "text", "text_stream", "embedding", "models"}

// String returns the operation's name as written in specs.
func (o Op) String() string {
	if o < NumOps {
		return opNames[o]
	}
	return "unknown"
}

// Auth says how a provider key is sent: in header Header, as Prefix followed by the key.
// An empty Header means the provider takes no key.
type Auth struct {
	Header string
	Prefix string
}

// Value returns the header value that carries key.
func (a Auth) Value(key string) string { return a.Prefix + key }

// Header is a static header sent with every request to a provider.
type Header struct {
	Name, Value string
}

// Info describes a provider. It is generated from the provider's spec and must not be modified.
type Info struct {
	// Name is the provider's name, as used in "provider/model" and in configs.
	Name string
	// Title is the provider's display name.
	Title string
	// Format is the wire format family, e.g. "openai".
	Format string
	// DefaultBaseURL is the base URL that Paths are appended to; empty when the config must
	// give one (BaseURLRequired).
	DefaultBaseURL string
	// BaseURLRequired says the provider is self-hosted and has no default URL.
	BaseURLRequired bool
	// KeyOptional says the provider may be configured without keys.
	KeyOptional bool
	// Auth says how keys are sent.
	Auth Auth
	// Headers are static headers sent with every request.
	Headers []Header
	// Paths holds each supported operation's path below the base URL; "" when unsupported.
	Paths [NumOps]string
	// Docs is the API reference the spec was checked against.
	Docs string
}

// Supports reports whether the provider supports op.
func (i *Info) Supports(op Op) bool { return op < NumOps && i.Paths[op] != "" }

// ErrUnsupported is returned by an adapter asked for an operation its provider lacks.
var ErrUnsupported = errors.New("operation not supported by this provider")

// Adapter converts between the unified schema and one provider's wire format.
//
// Encode methods write a request body for the provider from a unified request whose Model
// already holds the provider's model name and whose gateway fields are cleared. Decode methods
// read a provider body into a unified value, borrowing from body; they must not keep body or
// out after returning. Stream chunks are the data of one server-sent event.
type Adapter interface {
	Info() *Info

	EncodeChat(w *jwriter.Writer, r *schemas.ChatRequest) error
	DecodeChat(body []byte, out *schemas.ChatResponse) error
	DecodeChatChunk(data []byte, out *schemas.ChatStreamChunk) error

	EncodeText(w *jwriter.Writer, r *schemas.TextRequest) error
	DecodeText(body []byte, out *schemas.TextResponse) error
	DecodeTextChunk(data []byte, out *schemas.TextResponse) error

	EncodeEmbedding(w *jwriter.Writer, r *schemas.EmbeddingRequest) error
	DecodeEmbedding(body []byte, out *schemas.EmbeddingResponse) error

	DecodeModels(body []byte, out *schemas.ModelList) error

	// DecodeError reads an error body (any status >= 400) into out. It never fails: a body
	// it cannot read becomes a message naming the status.
	DecodeError(status int, body []byte, out *schemas.ErrorBody)
}
