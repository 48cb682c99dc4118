package schemas

import (
	"time"

	"github.com/bifrost-gw/bifrost/adapters/azure"
	"github.com/bifrost-gw/bifrost/adapters/bedrock"
	"github.com/bifrost-gw/bifrost/adapters/vertex"
	"github.com/bifrost-gw/bifrost/runtime/config"
)

// ModelProvider names a provider, e.g. [OpenAI]. It is the provider's name in a config
// file, so any provider the gateway has an adapter for may be used, not only the constants.
type ModelProvider string

// The providers of upstream's schemas, and the others this gateway has adapters for.
const (
	OpenAI     ModelProvider = "openai"
	Azure      ModelProvider = "azure"
	Anthropic  ModelProvider = "anthropic"
	Bedrock    ModelProvider = "bedrock"
	Cohere     ModelProvider = "cohere"
	Vertex     ModelProvider = "vertex"
	Mistral    ModelProvider = "mistral"
	Ollama     ModelProvider = "ollama"
	Groq       ModelProvider = "groq"
	Gemini     ModelProvider = "gemini"
	OpenRouter ModelProvider = "openrouter"
	Cerebras   ModelProvider = "cerebras"
	DeepSeek   ModelProvider = "deepseek"
	XAI        ModelProvider = "xai"
	Together   ModelProvider = "together"
	Fireworks  ModelProvider = "fireworks"
	Perplexity ModelProvider = "perplexity"
	VLLM       ModelProvider = "vllm"
)

// Account supplies the providers, keys and provider settings of an embedded Bifrost, as
// in upstream's Go package. Init calls each method once per provider.
type Account interface {
	// GetConfiguredProviders names the providers to serve.
	GetConfiguredProviders() ([]ModelProvider, error)
	// GetKeysForProvider returns the provider's keys.
	GetKeysForProvider(providerKey ModelProvider) ([]Key, error)
	// GetConfigForProvider returns the provider's network, concurrency and proxy
	// settings. Nil, or zero fields, take the defaults.
	GetConfigForProvider(providerKey ModelProvider) (*ProviderConfig, error)
}

// Key is one API key of a provider.
type Key struct {
	// ID identifies the key to its operator; Bifrost does not use it.
	ID string
	// Value is the secret. It is never printed in errors.
	Value string
	// Models lists the models the key may serve. Empty, or "*", means every model.
	Models []string
	// Weight is the key's share of the traffic among the keys that serve a model. Left
	// out (0) it means 1, as in a config file; to disable a key, leave it out of the list.
	Weight float64
	// AzureKeyConfig holds the endpoint and deployments of an Azure OpenAI key.
	AzureKeyConfig *AzureKeyConfig
	// VertexKeyConfig holds the project and region of a Vertex AI key.
	VertexKeyConfig *VertexKeyConfig
	// BedrockKeyConfig holds the AWS credentials and region of a Bedrock key.
	BedrockKeyConfig *BedrockKeyConfig
}

// AzureKeyConfig holds an Azure OpenAI key's settings: the config file's
// "azure_key_config".
type AzureKeyConfig = azure.KeyConfig

// VertexKeyConfig holds a Vertex AI key's settings: the config file's "vertex_key_config".
type VertexKeyConfig = vertex.KeyConfig

// BedrockKeyConfig holds an AWS Bedrock key's settings: the config file's
// "bedrock_key_config".
type BedrockKeyConfig = bedrock.KeyConfig

// ProviderConfig is a provider's settings.
type ProviderConfig struct {
	// NetworkConfig holds the connection settings.
	NetworkConfig NetworkConfig
	// ConcurrencyAndBufferSize bounds the requests in flight and waiting.
	ConcurrencyAndBufferSize ConcurrencyAndBufferSize
	// ProxyConfig, if not nil, routes the provider's connections through a proxy.
	ProxyConfig *ProxyConfig
	// SendBackRawResponse is accepted for upstream compatibility; the Go API returns the
	// unified response only.
	SendBackRawResponse bool
}

// NetworkConfig holds a provider's connection settings. Zero fields take the defaults
// of [DefaultNetworkConfig].
type NetworkConfig struct {
	// BaseURL replaces the provider's default URL. When empty, the environment variable
	// BIFROST_BASE_URL_<PROVIDER> (e.g. BIFROST_BASE_URL_OPENAI) may set it.
	BaseURL string
	// ExtraHeaders are added to every request to the provider.
	ExtraHeaders map[string]string
	// DefaultRequestTimeoutInSeconds bounds one request to the provider.
	DefaultRequestTimeoutInSeconds int
	// MaxRetries is how often a failed request is retried (0 to 10).
	MaxRetries int
	// RetryBackoffInitial is the first delay between retries.
	RetryBackoffInitial time.Duration
	// RetryBackoffMax caps the delay between retries.
	RetryBackoffMax time.Duration
}

// DefaultNetworkConfig is the network configuration a provider gets by default.
var DefaultNetworkConfig = NetworkConfig{
	DefaultRequestTimeoutInSeconds: int(config.DefaultRequestTimeout / time.Second),
	MaxRetries:                     config.DefaultMaxRetries,
	RetryBackoffInitial:            config.DefaultRetryBackoffInitial,
	RetryBackoffMax:                config.DefaultRetryBackoffMax,
}

// ConcurrencyAndBufferSize bounds a provider's load: at most Concurrency requests in
// flight and BufferSize waiting for a slot. Zero fields take the defaults of
// [DefaultConcurrencyAndBufferSize].
type ConcurrencyAndBufferSize struct {
	// Concurrency is the most requests in flight to the provider at once.
	Concurrency int
	// BufferSize is the most requests waiting for a slot.
	BufferSize int
}

// DefaultConcurrencyAndBufferSize is the concurrency and buffer size a provider gets by
// default.
var DefaultConcurrencyAndBufferSize = ConcurrencyAndBufferSize{
	Concurrency: config.DefaultConcurrency,
	BufferSize:  config.DefaultBufferSize,
}

// ProxyType is the kind of proxy in a [ProxyConfig].
type ProxyType string

// Proxy types.
const (
	NoProxy     ProxyType = config.ProxyNone
	HttpProxy   ProxyType = config.ProxyHTTP
	Socks5Proxy ProxyType = config.ProxySOCKS5
	EnvProxy    ProxyType = config.ProxyEnvironment
)

// ProxyConfig routes a provider's connections through a proxy.
type ProxyConfig struct {
	// Type is the kind of proxy.
	Type ProxyType
	// URL is the proxy's address, for HttpProxy and Socks5Proxy.
	URL string
	// Username and Password authenticate to the proxy.
	Username string
	Password string
}

// BifrostConfig configures bifrost.Init.
type BifrostConfig struct {
	// Account supplies the providers and keys. Required.
	Account Account
	// Plugins run around every request, pre hooks in this order and post hooks in the
	// reverse order.
	Plugins []Plugin
	// InitialPoolSize is accepted for upstream compatibility; request objects are pooled
	// on demand.
	InitialPoolSize int
	// DropExcessRequests fails a request at once, instead of waiting, when its
	// provider's queue is full.
	DropExcessRequests bool
}
