package vertex

import "github.com/bifrost-gw/bifrost/runtime/provider"

// KeyConfigSpec declares a Vertex AI key's settings, the config's "vertex_key_config"
// (upstream's VertexKeyConfig): every key names its project and region, and may carry
// Google credentials; its value is optional. specs/vertex.yaml names it (key_config).
var KeyConfigSpec = provider.KeyConfigSpec{
	Member:   "vertex_key_config",
	Required: true,
	Value:    provider.ValueOptional,
	Fields: []provider.KeyField{
		{Name: "project_id", Type: provider.KeyNonEmpty, Required: true, Var: "project"},
		{Name: "region", Type: provider.KeyNonEmpty, Required: true, Var: "region"},
		{Name: "auth_credentials", Type: provider.KeyString},
	},
	Make: func(v provider.KeyValues) provider.KeyConfig {
		return &KeyConfig{ProjectID: v.Strings["project_id"], Region: v.Strings["region"], AuthCredentials: v.Strings["auth_credentials"]}
	},
}

// KeyConfig holds the settings of a Google Vertex AI key (upstream VertexKeyConfig).
type KeyConfig struct {
	// ProjectID is the Google Cloud project. Key: "project_id".
	ProjectID string
	// Region is the Vertex AI region, e.g. us-central1. Key: "region".
	Region string
	// AuthCredentials is a Google credentials JSON document: a service-account key, or an
	// authorized user's (gcloud's application-default file). Without it the key's value is
	// sent as an OAuth2 access token, and without a value Google's application default
	// credentials are used (GOOGLE_APPLICATION_CREDENTIALS, gcloud's file, the metadata
	// server). Key: "auth_credentials".
	AuthCredentials string
}

var _ provider.KeyConfig = (*KeyConfig)(nil)

// Member returns "vertex_key_config".
func (c *KeyConfig) Member() string { return KeyConfigSpec.Member }

// Var gives {region} and {project}.
func (c *KeyConfig) Var(name string) string {
	switch name {
	case "region":
		return c.Region
	case "project":
		return c.ProjectID
	}
	return ""
}

// ModelDeployments returns nil: Vertex has no deployments.
func (c *KeyConfig) ModelDeployments() map[string]string { return nil }

// Ident returns the project and region.
func (c *KeyConfig) Ident() string { return c.ProjectID + "\x00" + c.Region }

// Secrets returns none: the credentials JSON is never sent (the tokens made from it are
// scrubbed as the request carries them).
func (c *KeyConfig) Secrets() []string { return nil }

// GoogleCredentials returns the credentials JSON, for the google_oauth auth scheme
// (runtime/auth's GoogleKey).
func (c *KeyConfig) GoogleCredentials() string { return c.AuthCredentials }
