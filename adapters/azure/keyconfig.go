package azure

import (
	"strings"

	"github.com/bifrost-gw/bifrost/runtime/provider"
)

// KeyConfigSpec declares an Azure OpenAI key's settings, the config's "azure_key_config"
// (upstream's AzureKeyConfig): every key names its resource's endpoint, and may map models
// to deployments and pin the api-version. specs/azure.yaml names it (key_config).
var KeyConfigSpec = provider.KeyConfigSpec{
	Member:   "azure_key_config",
	Required: true,
	Fields: []provider.KeyField{
		{Name: "endpoint", Type: provider.KeyURL, Required: true, Var: "endpoint"},
		{Name: "deployments", Type: provider.KeyMap},
		{Name: "api_version", Type: provider.KeyString, Var: "api_version"},
	},
	Make: func(v provider.KeyValues) provider.KeyConfig {
		return &KeyConfig{Endpoint: v.Strings["endpoint"], Deployments: v.Maps["deployments"], APIVersion: v.Strings["api_version"]}
	},
}

// KeyConfig holds the settings of an Azure OpenAI key (upstream AzureKeyConfig).
type KeyConfig struct {
	// Endpoint is the resource URL, e.g. https://my-resource.openai.azure.com. Key: "endpoint".
	Endpoint string
	// Deployments maps a model name to its deployment name. Key: "deployments".
	Deployments map[string]string
	// APIVersion is the api-version query parameter. If empty, the spec's default. Key:
	// "api_version".
	APIVersion string
}

var _ provider.KeyConfig = (*KeyConfig)(nil)

// Member returns "azure_key_config".
func (c *KeyConfig) Member() string { return KeyConfigSpec.Member }

// Var gives {endpoint} (without a trailing /) and {api_version}.
func (c *KeyConfig) Var(name string) string {
	switch name {
	case "endpoint":
		return strings.TrimRight(c.Endpoint, "/")
	case "api_version":
		return c.APIVersion
	}
	return ""
}

// ModelDeployments returns the model-to-deployment map.
func (c *KeyConfig) ModelDeployments() map[string]string { return c.Deployments }

// Ident returns the endpoint.
func (c *KeyConfig) Ident() string { return c.Endpoint }

// Secrets returns none: an Azure key's secret is its value.
func (c *KeyConfig) Secrets() []string { return nil }
