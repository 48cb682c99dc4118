package bedrock

import "github.com/bifrost-gw/bifrost/runtime/provider"

// KeyConfigSpec declares an AWS Bedrock key's settings, the config's "bedrock_key_config"
// (upstream's BedrockKeyConfig): AWS credentials and a region for SigV4, and a
// model-to-inference-profile map. A key without it is a Bedrock API key (its value, sent as
// a bearer token). specs/bedrock.yaml names it (key_config).
var KeyConfigSpec = provider.KeyConfigSpec{
	Member: "bedrock_key_config",
	Value:  provider.ValueOptionalWithConfig,
	Fields: []provider.KeyField{
		{Name: "access_key", Type: provider.KeyString, With: "secret_key"},
		{Name: "secret_key", Type: provider.KeyString, With: "access_key"},
		{Name: "session_token", Type: provider.KeyString},
		{Name: "region", Type: provider.KeyNonEmpty, Required: true, Var: "region"},
		{Name: "arn", Type: provider.KeyString},
		{Name: "deployments", Type: provider.KeyMap},
	},
	Make: func(v provider.KeyValues) provider.KeyConfig {
		return &KeyConfig{AccessKey: v.Strings["access_key"], SecretKey: v.Strings["secret_key"],
			SessionToken: v.Strings["session_token"], Region: v.Strings["region"], ARN: v.Strings["arn"],
			Deployments: v.Maps["deployments"]}
	},
}

// KeyConfig holds the settings of an AWS Bedrock key (upstream BedrockKeyConfig).
type KeyConfig struct {
	// AccessKey is the AWS access key ID. Key: "access_key".
	AccessKey string
	// SecretKey is the AWS secret access key. Key: "secret_key".
	SecretKey string
	// SessionToken is the token for temporary credentials. Key: "session_token".
	SessionToken string
	// Region is the AWS region. Key: "region".
	Region string
	// ARN is an Amazon Resource Name that prefixes model IDs (e.g. inference profiles).
	// Key: "arn".
	ARN string
	// Deployments maps a model name to an inference profile or model ID. Key: "deployments".
	Deployments map[string]string
}

var _ provider.KeyConfig = (*KeyConfig)(nil)

// Member returns "bedrock_key_config".
func (c *KeyConfig) Member() string { return KeyConfigSpec.Member }

// Var gives {region}.
func (c *KeyConfig) Var(name string) string {
	if name == "region" {
		return c.Region
	}
	return ""
}

// ModelDeployments returns the model-to-inference-profile map.
func (c *KeyConfig) ModelDeployments() map[string]string { return c.Deployments }

// Ident returns the access key, region and ARN.
func (c *KeyConfig) Ident() string { return c.AccessKey + "\x00" + c.Region + "\x00" + c.ARN }

// Secrets returns the secret key and the session token.
func (c *KeyConfig) Secrets() []string { return []string{c.SecretKey, c.SessionToken} }

// AWSCredentials returns the AWS credentials, for the sigv4 auth scheme (runtime/auth's
// AWSKey).
func (c *KeyConfig) AWSCredentials() (accessKey, secretKey, sessionToken, region string) {
	return c.AccessKey, c.SecretKey, c.SessionToken, c.Region
}
