// Package provider is the contract between Bifrost's runtime and its provider adapters.
//
// Each adapter under adapters/ is generated from a spec (specs/<name>.yaml) and implements
// [Adapter]: it describes the provider ([Info]: URLs, auth, operations) and converts request
// and response bodies between the unified schema (package schemas) and the provider's wire
// format. A format other than OpenAI's is converted by a hand-written codec beside the
// generated code, in the same folder, which fulfils the contracts declared here ([ChatCodec],
// [EmbeddingCodec], [ModelsDecoder]); [Authorizer] and [StreamFramer] are the contracts of
// the auth and stream implementations that a spec's auth and stream members select.
// Adapters hold no state and do no I/O; the runtime owns connections, keys, retries and
// buffers.
package provider

import "errors"

// Op is an operation a provider may support.
type Op uint8

// The operations.
const (
	OpChat        Op = iota // POST chat completion
	OpChatStream            // POST chat completion, streamed
	OpText                  // POST text completion
	OpTextStream            // POST text completion, streamed
	OpEmbedding             // POST embeddings
	OpModels                // GET model list
	OpCountTokens           // POST token count of a chat request (see TokenCounter)
	// OpResponses is OpenAI's Responses API, only ever forwarded natively (the client's
	// body with the gateway's edits; the answer as the provider sent it).
	OpResponses
	OpResponsesStream // POST Responses API request, streamed (its events forwarded as sent)
	NumOps            // number of operations
)

var opNames = [NumOps]string{"chat", "chat_stream", "text", "text_stream", "embedding", "models", "count_tokens", "responses", "responses_stream"}

// Streams reports whether the operation's answer is a stream.
func (o Op) Streams() bool { return o == OpChatStream || o == OpTextStream || o == OpResponsesStream }

// String returns the operation's name as written in specs.
func (o Op) String() string {
	if o < NumOps {
		return opNames[o]
	}
	return "unknown"
}

// AuthScheme names how a provider request is authorized: the spec's auth.scheme for the
// schemes that need more than a static header. The runtime makes a key's Authorizer with the
// implementation registered under the name (package runtime/auth); a static header needs none.
type AuthScheme string

// The auth schemes.
const (
	// AuthStatic sends the key in header Header, after Prefix. With an empty Header the
	// provider takes no key. (The spec's bearer, header and none.)
	AuthStatic AuthScheme = ""
	// AuthSigV4 signs each request with AWS Signature Version 4 for service Service, with
	// the AWS credentials of the key's settings (access key, secret, session token, region;
	// runtime/auth's AWSKey). A key with a value and no access key is an AWS API key, sent
	// as a bearer token.
	AuthSigV4 AuthScheme = "sigv4"
	// AuthGoogleOAuth sends an OAuth2 access token obtained from the key's Google
	// credentials (a credentials JSON in its settings, runtime/auth's GoogleKey; else its
	// value as a token; else application default credentials), cached and refreshed before
	// it expires.
	AuthGoogleOAuth AuthScheme = "google_oauth"
)

// Auth says how a provider key is sent.
type Auth struct {
	Scheme AuthScheme
	// Header and Prefix carry a static key: Header: Prefix+key.
	Header string
	Prefix string
	// Service is the AWS service name that AuthSigV4 signs for, e.g. "bedrock".
	Service string
}

// Value returns the header value that carries key.
func (a Auth) Value(key string) string { return a.Prefix + key }

// Framing names how a provider cuts its response stream into events: the spec's stream
// member. The runtime reads a stream with the StreamFramer registered under the name
// (package runtime/framing).
type Framing string

// The framings.
const (
	// FramingSSE is text/event-stream (https://html.spec.whatwg.org/multipage/server-sent-events.html),
	// the default.
	FramingSSE Framing = ""
	// FramingAWSEventStream is AWS's binary application/vnd.amazon.eventstream: messages
	// with headers, a payload and CRC32 checksums.
	FramingAWSEventStream Framing = "aws_eventstream"
)

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
	// DefaultBaseURLs gives some operations another default base URL than DefaultBaseURL
	// ("" keeps DefaultBaseURL), as Bedrock's model list, which is on its control-plane host.
	// A base URL set in the config replaces both.
	DefaultBaseURLs [NumOps]string
	// BaseURLRequired says the provider is self-hosted and has no default URL.
	BaseURLRequired bool
	// KeyOptional says the provider may be configured without keys.
	KeyOptional bool
	// KeyConfig, when not nil, declares the provider's key config member (its settings
	// besides the key's value, such as an endpoint and deployments); the
	// spec's key_config names it. The config decoder reads keys with it.
	KeyConfig *KeyConfigSpec
	// Auth says how keys are sent.
	Auth Auth
	// Headers are static headers sent with every request.
	Headers []Header
	// Paths holds each supported operation's path below the base URL; "" when unsupported.
	// A path, and DefaultBaseURL, may hold placeholders that the runtime fills per request
	// (see Placeholders).
	Paths [NumOps]string
	// ModelPaths sends some models elsewhere: for a model whose name starts with a route's
	// Prefix (the first such route, in order), an operation the route gives a path for uses
	// that path in place of Paths[op]. Other operations and other models use Paths. The
	// paths take the same placeholders as Paths.
	ModelPaths []ModelRoute
	// APIVersion is the default value of {api_version} when a key gives none.
	APIVersion string
	// Framing is how the provider's streams are cut into events.
	Framing Framing
	// Verbatim marks the operations whose request and answer are the unified (OpenAI)
	// format as they are: no field of the request renamed or dropped by the spec, and
	// answers and stream events decoded as OpenAI's. A client's OpenAI body for such an
	// operation may go to the provider as it is, with only the gateway's edits, and the
	// answer back as the provider sent it (the engine's passthrough path).
	Verbatim [NumOps]bool
	// Docs is the API reference the spec was checked against.
	Docs string
}

// ModelRoute is one entry of Info.ModelPaths: the paths of the models whose names start
// with Prefix.
type ModelRoute struct {
	// Prefix starts the provider model names the route applies to, e.g. "claude-".
	Prefix string
	// Paths holds the route's path of each operation it changes; "" keeps Info.Paths[op].
	Paths [NumOps]string
	// Codec, when not nil, converts these models' chats (requests, answers, stream events
	// and errors) in place of the adapter: the spec's model_paths entry names it, for a
	// provider that serves some models in another wire format (Vertex's Claude models in
	// Anthropic's). The runtime chooses it by the model, so no decoder guesses a body's
	// format.
	Codec ChatCodec
}

// Placeholders are the names a URL template may use, each written in braces:
//
//   - {model}: the provider's model name, path-escaped (every byte but A-Z a-z 0-9 - . _ ~).
//   - {deployment}: the deployment of the model in the key's settings
//     (KeyConfig.ModelDeployments), or the model name.
//   - {api_version}: the key's settings' value (KeyConfig.Var), or Info.APIVersion.
//   - {region}, {project}: the key's settings' values (KeyConfig.Var).
//   - {endpoint}: the key's settings' value (KeyConfig.Var); only as the whole base URL.
//
// A key config field that gives a placeholder's value says so (KeyField.Var).
//
// At most one of {model} and {deployment} appears in a URL.
var Placeholders = []string{"model", "deployment", "api_version", "region", "project", "endpoint"}

// Supports reports whether the provider supports op.
func (i *Info) Supports(op Op) bool { return op < NumOps && i.Paths[op] != "" }

// ErrUnsupported is returned by an adapter asked for an operation its provider lacks.
var ErrUnsupported = errors.New("operation not supported by this provider")

// Adapter converts between the unified schema and one provider's wire format: it is every
// codec contract (see ChatCodec) together, with the provider's Info. The generated adapter of
// each spec implements it, calling the spec's codec for a format other than OpenAI's and
// returning ErrUnsupported (StepError with it, for a stream) for an operation the spec does
// not list.
type Adapter interface {
	Info() *Info
	ChatCodec
	TextCodec
	EmbeddingCodec
	ModelsDecoder
}
