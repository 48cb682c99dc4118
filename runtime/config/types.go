package config

import (
	"slices"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/provider"
)

// Defaults, from upstream core/schemas/provider.go (request timeout, retries, backoff,
// stream idle timeout, connections per host, concurrency, buffer size) and
// transports/config.schema.json (client pool size). DefaultMaxRequestBodyMB is the
// default that upstream documents for "max_request_body_size_mb".
const (
	DefaultInitialPoolSize     = 300
	DefaultMaxRequestBodyMB    = 100
	DefaultWeight              = 1.0
	DefaultRequestTimeout      = 30 * time.Second
	DefaultMaxRetries          = 0
	DefaultRetryBackoffInitial = 500 * time.Millisecond
	DefaultRetryBackoffMax     = 5 * time.Second
	DefaultStreamIdleTimeout   = 60 * time.Second
	DefaultMaxConnsPerHost     = 5000
	DefaultConcurrency         = 1000
	DefaultBufferSize          = 5000
)

// Resilience defaults. These settings are this gateway's additions; upstream has no
// equivalent keys.
const (
	// DefaultConnectTimeout bounds opening a connection (TCP dial, proxy CONNECT).
	DefaultConnectTimeout = 10 * time.Second
	// DefaultAuthKeyCooldown is how long a key that got 401 or 403 is left out.
	DefaultAuthKeyCooldown = 60 * time.Second
	// DefaultRateLimitKeyCooldown is how long a key that got 429 without a Retry-After
	// header is left out.
	DefaultRateLimitKeyCooldown = 5 * time.Second
	// DefaultBreakerFailureRatio, DefaultBreakerMinRequests, DefaultBreakerWindow and
	// DefaultBreakerOpenFor are the circuit breaker's defaults.
	DefaultBreakerFailureRatio = 0.5
	DefaultBreakerMinRequests  = 20
	DefaultBreakerWindow       = 30 * time.Second
	DefaultBreakerOpenFor      = 30 * time.Second
	// DefaultStreamWriteTimeout is how long a stream waits for its client to take an
	// event. A client that reads keeps far below it (events are small, and flow control
	// only stalls a reader that stopped); 30 s rides out a slow mobile link or a paused
	// debugger without letting a stalled client hold a provider's slot for long.
	DefaultStreamWriteTimeout = 30 * time.Second
	// DefaultMaxResponseBodyMB bounds a provider's plain (not streamed) response body, in
	// MiB. The largest legitimate answers are embeddings: OpenAI's biggest batch (2,048
	// inputs of 3,072 dimensions) is about 90 MB as JSON floats, so 128 MiB lets it through
	// while a provider that sends gigabytes is cut long before it can exhaust memory.
	DefaultMaxResponseBodyMB = 128
	// DefaultMaxStreamEventKB bounds one event of a provider's stream (an SSE event with all
	// its data lines, or one AWS event-stream message), in KiB. Stream events are deltas,
	// usually under a kilobyte; the largest legitimate ones carry a whole tool call's
	// arguments or an inline image, well under 4 MiB (AWS event-stream messages may hold at
	// most 16 MiB of payload, but Bedrock's Converse deltas are small).
	DefaultMaxStreamEventKB = 4 << 10
)

// Limits. The first four are upstream's (core/schemas/provider.go,
// transports/config.schema.json). The rest are sanity bounds that keep a typo from
// turning into a huge allocation or an overflowing duration.
const (
	maxConnsPerHost          = 10000
	maxRetries               = 10
	minStreamIdleSeconds     = 1
	maxStreamIdleSeconds     = 3600
	maxRequestTimeoutSeconds = 24 * 60 * 60
	maxRetryBackoff          = time.Hour
	maxConcurrency           = 1_000_000
	maxBufferSize            = 10_000_000
	maxInitialPoolSize       = 1_000_000
	maxRequestBodyMB         = 10 * 1024
	maxConnectTimeout        = 10 * time.Minute
	maxKeyCooldown           = 24 * time.Hour
	maxBreakerMinRequests    = 1_000_000
	maxResponseBodyMB        = 16 * 1024
	maxStreamEventKB         = 1 << 20
	maxStreamWriteSeconds    = 3600
	maxConnections           = 10_000_000
	maxBufferedRequestMB     = 1024 * 1024
)

// Connection and request-intake defaults (our extensions; upstream has no equivalent keys).
const (
	// DefaultMaxConnections caps the client connections the server holds open at once.
	// Ten thousand idle keep-alive connections cost about 0.3 GB of buffers and goroutine
	// stacks, and the file descriptors fit under the usual hard RLIMIT_NOFILE of Linux
	// services (524288 or more) with room for the provider connections
	// (DefaultMaxConnsPerHost per provider host). A connection over the cap gets a 503 and
	// is closed, which a load balancer or client retries, instead of exhausting file
	// descriptors.
	DefaultMaxConnections = 10_000
	// DefaultMaxConnectionsPerIP is 0: no cap per client address. A gateway often sits
	// behind a load balancer or a reverse proxy whose connections all come from one
	// address, where a per-address cap would refuse the real traffic.
	DefaultMaxConnectionsPerIP = 0
	// DefaultMaxBufferedRequestMB caps the request body bytes buffered at once across all
	// requests, in MiB: five uploads of the default 100 MiB body limit at a time. A body
	// being forwarded costs about 3.5 times its size (the body, the encoded upstream
	// request, the HTTP client's copy), so 30 clients uploading 95 MB at once peak at about
	// 1.8 GB of RSS (measured; 3.9 GB without a cap), which fits a 4 GB instance; chat
	// requests of a few KB never come near it.
	DefaultMaxBufferedRequestMB = 512
)

// Proxy types accepted in "proxy_config.type" (upstream ProxyType in core/schemas/provider.go).
const (
	ProxyNone        = "none"
	ProxyHTTP        = "http"
	ProxySOCKS5      = "socks5"
	ProxyEnvironment = "environment"
)

// Config is a parsed, defaulted and validated gateway configuration.
type Config struct {
	// Providers maps a provider name, as written in the file (e.g. "openai", "groq", or a
	// custom name), to its configuration. Upstream key: "providers".
	Providers map[string]*Provider
	// Client holds gateway-wide settings. Upstream key: "client".
	Client Client
	// Aliases maps a bare model name to the ordered "provider/model" targets that serve it.
	// The first target is tried first and the others are fallbacks. This is our extension
	// "aliases". A value may be written as a single string or as a list.
	Aliases map[string][]string
	// Plugins lists the plugins to run, in pre-hook order. Key: "plugins", as upstream:
	// [{"name": "cache", "enabled": true, "config": {...}}].
	Plugins []Plugin
	// Governance holds the virtual keys, their limits and budgets, and the price
	// overrides (governance.go). Key: "governance". Nil (no block) turns governance off.
	Governance *Governance
	// Tracing configures OpenTelemetry traces (tracing.go). Key: "tracing". Nil (no
	// block): the OTEL_* environment variables decide.
	Tracing *Tracing
}

// Client holds the gateway-wide settings of the upstream "client" object
// (transports/config.schema.json).
type Client struct {
	// DropExcessRequests rejects a request at once when a provider's queue is full,
	// instead of waiting. Key: "drop_excess_requests".
	DropExcessRequests bool
	// InitialPoolSize is accepted for compatibility with upstream Bifrost configs, where it
	// preallocates pooled objects. This gateway makes its per-request objects on demand and
	// pools them (sync.Pool), so the pool follows the real concurrency and nothing is made up
	// front. Key: "initial_pool_size". Default: DefaultInitialPoolSize.
	InitialPoolSize int
	// MaxRequestBodyMB caps the size of a request body, in MiB. Key:
	// "max_request_body_size_mb". Default: DefaultMaxRequestBodyMB.
	MaxRequestBodyMB int
	// PrometheusLabels names extra labels for the gateway's metrics. Each must be a valid
	// Prometheus label name. Key: "prometheus_labels".
	PrometheusLabels []string
	// MaxBufferedRequestMB caps the bytes of request bodies buffered at once, across all
	// requests, in MiB. A request whose body would go over it gets 503 with Retry-After at
	// once, before its body is read. It is never below MaxRequestBodyMB (a lower value
	// acts as MaxRequestBodyMB), so one request of the largest size always fits. Key:
	// "max_buffered_request_mb" (our extension; 0 means the default). Default:
	// DefaultMaxBufferedRequestMB.
	// Applied on reload.
	MaxBufferedRequestMB int
	// MaxConnections caps the client connections open at once; a connection over it gets
	// 503 and is closed. Key: "max_connections" (our extension; 0 means the default). Default:
	// DefaultMaxConnections. Applied on reload.
	MaxConnections int
	// MaxConnectionsPerIP caps the client connections open at once from one IP address; a
	// connection over it gets 429 and is closed. 0 means no cap. Key:
	// "max_connections_per_ip" (our extension). Default: DefaultMaxConnectionsPerIP.
	// Applied on reload.
	MaxConnectionsPerIP int
	// AllowedOrigins lists the origins that browser pages may call the gateway from, with
	// CORS: "*" (any origin) or http(s) origins such as "https://app.example.com". Empty
	// (the default) allows no cross-origin browser request: a preflight gets 403, and a
	// request with an Origin header that is not listed gets 403 unless it is a GET or HEAD.
	// Key: "allowed_origins". Applied on reload.
	AllowedOrigins []string
	// FallbackOnClientErrors sends a request to its next fallback also after a final
	// 4xx answer (400, 401, 403, 404, 422, ...), which otherwise ends the request. Retryable
	// failures (408, 429, 5xx, 529, network errors, timeouts) always fall back. Key:
	// "fallback_on_client_errors" (our extension). Default: false.
	FallbackOnClientErrors bool
	// APIKeys, when not empty, are the gateway's own API keys: every route but /health
	// (/metrics included) then needs one of them, as "Authorization: Bearer <key>",
	// "x-api-key" or "api-key". Values may be "env.VAR". Key: "api_keys" (our extension;
	// upstream's equivalent are governance virtual keys).
	APIKeys []string
	// AdminKeys, when not empty, enable the admin endpoints of bifrost-http (configuration
	// history and rollback, under /admin/), which then need one of them as
	// "Authorization: Bearer <key>" or "x-api-key". Without them the admin endpoints do not
	// exist. Values may be "env.VAR". Key: "admin_keys" (our extension). Applied on reload.
	AdminKeys []string
	// AllowDirectKeys lets a client send its own provider key in the x-bf-provider-key
	// header; it is used for that request instead of the configured keys. Key:
	// "allow_direct_keys". Default: false.
	AllowDirectKeys bool

	// StreamWriteTimeout bounds how long the gateway waits for a streaming client to take
	// one event: a client that reads nothing for this long has its stream ended, and the
	// provider's stream closed and its concurrency slot freed, so that clients that never
	// read cannot hold a provider's slots. Key: "stream_write_timeout_in_seconds" (our
	// extension; 1 to 3600). Zero means DefaultStreamWriteTimeout.
	StreamWriteTimeout time.Duration
}

// Provider is the configuration of one provider (upstream ProviderConfig in
// core/schemas/provider.go, plus its keys).
type Provider struct {
	// Name is the provider's key under "providers". Parse sets it.
	Name string
	// Keys are the provider's API keys. Key: "keys".
	Keys []Key
	// Network holds the connection settings. Key: "network_config".
	Network Network
	// Concurrency bounds the requests in flight and queued. Key:
	// "concurrency_and_buffer_size".
	Concurrency ConcurrencyAndBuffer
	// Proxy, if not nil, routes the provider's connections through a proxy. Key:
	// "proxy_config".
	Proxy *Proxy
	// Custom, if not nil, makes this a custom provider that speaks the wire format of
	// another provider type. Key: "custom_provider_config".
	Custom *CustomProvider
	// Breaker configures the provider's circuit breaker. Key: "circuit_breaker" (our
	// extension).
	Breaker CircuitBreaker
	// SendBackRawRequest includes the provider request in the response. Key:
	// "send_back_raw_request".
	SendBackRawRequest bool
	// SendBackRawResponse includes the raw provider response in the response. Key:
	// "send_back_raw_response".
	SendBackRawResponse bool
}

// BaseType returns the provider type whose wire format and defaults p uses. That is the
// base_provider_type of a custom provider, and the provider's own name otherwise.
func (p *Provider) BaseType() string {
	if p.Custom != nil {
		return p.Custom.BaseProviderType
	}
	return p.Name
}

// Keyless reports whether p is a custom provider that set "is_key_less", and so may be used
// without keys. A provider type may also make keys optional in its spec (key_optional,
// provider.Info.KeyOptional), which the parser and the engine check besides.
func (p *Provider) Keyless() bool {
	return p.Custom != nil && p.Custom.IsKeyless
}

// Key is one API key of a provider (upstream Key in core/schemas/account.go).
type Key struct {
	// ID identifies the key to operators. The gateway does not use it. Key: "id".
	ID string
	// Name is a label for logs and metrics, which must not show Value. Key: "name".
	Name string
	// Value is the secret, with "env.VAR" already resolved. It is never printed in errors.
	// Key: "value".
	Value string
	// Models lists the models this key may serve. An empty list, or one containing "*",
	// means every model. Key: "models".
	Models []string
	// Weight is the key's share of the traffic among the keys that serve a model. It is
	// >= 0, and 0 disables the key. Key: "weight". Default: DefaultWeight.
	Weight float64
	// Settings are the key's provider-specific settings (an endpoint and deployments, AWS
	// credentials, a cloud project, ...), from the "<type>_key_config" member that its
	// provider type declares (provider.KeyConfigSpec, in the adapter's folder); nil when it
	// has none. A Config built in Go sets it to a value of the adapter's settings type
	// (KeyConfig in the adapter's package). Read it with KeyConfig, which also decodes a
	// member that Parse kept undecoded.
	Settings provider.KeyConfig

	raw *rawMember // the key config member, when Parse had no declarations to decode it
}

// AllowsModel reports whether k may serve model.
func (k *Key) AllowsModel(model string) bool {
	return len(k.Models) == 0 || slices.Contains(k.Models, "*") || slices.Contains(k.Models, model)
}

// Network holds a provider's connection settings (upstream NetworkConfig in
// core/schemas/provider.go).
type Network struct {
	// BaseURL replaces the provider's default URL. It is an absolute http or https URL
	// with no trailing slash. It is required for the self-hosted provider types, whose spec
	// has no default URL (base_url_required). Key: "base_url".
	BaseURL string
	// ExtraHeaders are added to every request to the provider. Key: "extra_headers".
	ExtraHeaders map[string]string
	// DefaultRequestTimeout bounds one request to the provider. Key:
	// "default_request_timeout_in_seconds" (whole seconds). Default: DefaultRequestTimeout.
	DefaultRequestTimeout time.Duration
	// MaxRetries is how often a failed request is retried, from 0 to 10. Key: "max_retries".
	MaxRetries int
	// RetryBackoffInitial is the first delay between retries. Key: "retry_backoff_initial".
	// As upstream, the value is an integer number of milliseconds or a duration string
	// such as "500ms". Default: DefaultRetryBackoffInitial.
	RetryBackoffInitial time.Duration
	// RetryBackoffMax caps the delay between retries. It is >= RetryBackoffInitial. Key:
	// "retry_backoff_max", in the same units. Default: DefaultRetryBackoffMax.
	RetryBackoffMax time.Duration
	// StreamIdleTimeout cuts a stream that sends nothing for this long; the client gets an
	// error event. Once a stream's headers have arrived, only this timeout applies to it:
	// DefaultRequestTimeout never cuts a stream that keeps sending. Key:
	// "stream_idle_timeout_in_seconds" (1 to 3600; upstream's minimum is 5). Default:
	// DefaultStreamIdleTimeout.
	StreamIdleTimeout time.Duration
	// ConnectTimeout bounds opening one connection: the dial and a proxy's CONNECT (the TLS
	// handshake counts against the attempt's deadline). Key: "connect_timeout" (our extension), integer milliseconds or a
	// duration string. Default: DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// ResponseHeaderTimeout bounds one attempt, from sending the request to the end of the
	// response headers (for a plain response, to the end of its body). All attempts of a
	// request, with their backoff, share DefaultRequestTimeout as a total budget. Key:
	// "response_header_timeout" (our extension), integer milliseconds or a duration
	// string. Default: 0, which means DefaultRequestTimeout.
	ResponseHeaderTimeout time.Duration
	// AuthKeyCooldown is how long a key that got 401 or 403 is skipped by key selection.
	// Key: "auth_failure_key_cooldown" (our extension), integer milliseconds or a duration
	// string. Default: DefaultAuthKeyCooldown.
	AuthKeyCooldown time.Duration
	// RateLimitKeyCooldown is how long a key that got 429 is skipped when the answer has
	// no Retry-After header; with one, Retry-After decides (capped at 24h). Key:
	// "rate_limit_key_cooldown" (our extension), in the same units. Default:
	// DefaultRateLimitKeyCooldown.
	RateLimitKeyCooldown time.Duration
	// MaxConnsPerHost caps the TCP connections to the provider's host. Key:
	// "max_conns_per_host" (at most 10000). Default: DefaultMaxConnsPerHost.
	MaxConnsPerHost int
	// InsecureSkipVerify turns off TLS certificate verification. Key: "insecure_skip_verify".
	InsecureSkipVerify bool
	// CACertPEM is an extra PEM CA certificate to trust. Key: "ca_cert_pem".
	CACertPEM string
	// MaxResponseBodyBytes bounds a plain (not streamed) response body from the provider,
	// and an error body sent in place of a stream. A longer one is not read further: the
	// connection is closed and the request fails with a 502 upstream_response_too_large.
	// Key: "max_response_body_mb" (our extension; whole MiB, 1 to 16384). Default:
	// DefaultMaxResponseBodyMB; 0 in a Config built in Go means the default.
	MaxResponseBodyBytes int
	// MaxStreamEventBytes bounds one event of the provider's stream: an SSE event (a line,
	// or the data lines of one event together) or an AWS event-stream message. A larger
	// one ends the stream with a 502 upstream_response_too_large error event and closes the
	// connection. Key: "max_stream_event_kb" (our extension; whole KiB, 1 to 1048576).
	// Default: DefaultMaxStreamEventKB; 0 in a Config built in Go means the default.
	MaxStreamEventBytes int
}

// CircuitBreaker configures a provider's circuit breakers: one per model, so that a model
// that fails does not cut off the provider's healthy models. A breaker counts the outcome
// of every request for its model over a rolling window, once per request whatever its
// retries: a request fails when none of its attempts succeeded and one ended in a network
// error, a timeout, 408, 500, 502, 503, 504 or 529; 429 and other 4xx answers count as
// requests but not as failures (a 429 cools its key down instead). When the window holds
// at least MinRequests requests and the failed share reaches FailureRatio, the breaker
// opens: requests for the model go to their fallbacks, or get 503 "circuit_open". After
// OpenFor it half-opens and lets exactly one probe request through; the probe's success
// closes it, its failure opens it again for OpenFor.
//
// A zero field means its default, so a CircuitBreaker built in Go needs only the fields
// it changes.
type CircuitBreaker struct {
	// Disabled turns the breaker off. Key: "enabled" (default true).
	Disabled bool
	// FailureRatio is the failed share of requests that opens the breaker, in (0, 1].
	// Key: "failure_ratio". Default: DefaultBreakerFailureRatio.
	FailureRatio float64
	// MinRequests is the fewest requests in the window before the ratio is judged. Key:
	// "min_requests". Default: DefaultBreakerMinRequests.
	MinRequests int
	// Window is the rolling window's length. Key: "window", integer milliseconds or a
	// duration string. Default: DefaultBreakerWindow.
	Window time.Duration
	// OpenFor is how long the breaker stays open before its probe. Key: "open_for", in
	// the same units. Default: DefaultBreakerOpenFor.
	OpenFor time.Duration
}

// ConcurrencyAndBuffer bounds a provider's load (upstream ConcurrencyAndBufferSize). Both
// fields are > 0 after Parse.
type ConcurrencyAndBuffer struct {
	// Concurrency is the most requests in flight to the provider at once. Key:
	// "concurrency". Default: DefaultConcurrency.
	Concurrency int
	// BufferSize is the most requests waiting for a slot. Key: "buffer_size". Default:
	// DefaultBufferSize.
	BufferSize int
}

// Proxy is a provider's proxy setting (upstream ProxyConfig).
type Proxy struct {
	// Type is ProxyNone, ProxyHTTP, ProxySOCKS5 or ProxyEnvironment. The last one reads
	// HTTP_PROXY and related variables. Key: "type" (required).
	Type string
	// URL is the proxy's URL: http or https for ProxyHTTP, socks5 or socks5h for
	// ProxySOCKS5. It is required for those two types. Key: "url".
	URL string
	// Username authenticates to the proxy. Key: "username".
	Username string
	// Password authenticates to the proxy. It is never printed in errors. Key: "password".
	Password string
	// CACertPEM is a PEM CA certificate to trust through an intercepting proxy. Key:
	// "ca_cert_pem".
	CACertPEM string
}

// CustomProvider declares a provider that reuses another provider type's wire format
// (upstream CustomProviderConfig). Its URL is in Network.BaseURL.
type CustomProvider struct {
	// BaseProviderType is the provider type whose wire format is used, e.g. "openai".
	// Key: "base_provider_type" (required).
	BaseProviderType string
	// IsKeyless lets the provider run without keys. Key: "is_key_less".
	IsKeyless bool
	// AllowedRequests, if not nil, permits only the request types mapped to true, e.g.
	// "chat_completion". Key: "allowed_requests".
	AllowedRequests map[string]bool
	// RequestPathOverrides maps a request type to a path that replaces the base
	// provider's path. Key: "request_path_overrides".
	RequestPathOverrides map[string]string
}

// Allows reports whether the custom provider permits the request type op, e.g.
// "chat_completion_stream". A nil receiver or a nil AllowedRequests permits everything.
func (c *CustomProvider) Allows(op string) bool {
	if c == nil || c.AllowedRequests == nil {
		return true
	}
	return c.AllowedRequests[op]
}
