package config

// KeySettings is what the runtime reads from a key's provider-specific settings (the config's
// azure_key_config, bedrock_key_config or vertex_key_config), so that the runtime's code
// names no provider: URL placeholder values, the model-to-deployment map, what tells keys
// apart, and the credentials to keep out of logs. Each settings type implements it; the auth
// schemes read their credentials through interfaces of their own (runtime/auth).
type KeySettings interface {
	// Member is the settings' config member, e.g. "bedrock_key_config", for errors.
	Member() string
	// Var returns the value the settings give URL placeholder name ("endpoint",
	// "api_version", "region", "project"; see runtime/provider.Placeholders), or "".
	Var(name string) string
	// ModelDeployments maps a model to the name the provider serves it under (an Azure
	// deployment, a Bedrock inference profile or ARN); nil when there is none.
	ModelDeployments() map[string]string
	// Ident returns what, besides the key's value, tells two keys apart for the runtime's
	// per-key tables (an endpoint, a project and region, an account and region). It holds
	// no secret.
	Ident() string
	// Secrets returns the credentials in the settings that a request may carry (besides the
	// key's value), for scrubbing from errors and logs.
	Secrets() []string
}

// Settings returns the key's provider-specific settings, or nil when it has none.
func (k *Key) Settings() KeySettings {
	switch {
	case k.Azure != nil:
		return k.Azure
	case k.Bedrock != nil:
		return k.Bedrock
	case k.Vertex != nil:
		return k.Vertex
	}
	return nil
}

// Member returns "azure_key_config".
func (c *AzureKeyConfig) Member() string { return "azure_key_config" }

// Var gives {endpoint} (without a trailing /) and {api_version}.
func (c *AzureKeyConfig) Var(name string) string {
	switch name {
	case "endpoint":
		return trimSlash(c.Endpoint)
	case "api_version":
		return c.APIVersion
	}
	return ""
}

// ModelDeployments returns the model-to-deployment map.
func (c *AzureKeyConfig) ModelDeployments() map[string]string { return c.Deployments }

// Ident returns the endpoint.
func (c *AzureKeyConfig) Ident() string { return c.Endpoint }

// Secrets returns none: an Azure key's secret is its value.
func (c *AzureKeyConfig) Secrets() []string { return nil }

// Member returns "vertex_key_config".
func (c *VertexKeyConfig) Member() string { return "vertex_key_config" }

// Var gives {region} and {project}.
func (c *VertexKeyConfig) Var(name string) string {
	switch name {
	case "region":
		return c.Region
	case "project":
		return c.ProjectID
	}
	return ""
}

// ModelDeployments returns nil: Vertex has no deployments.
func (c *VertexKeyConfig) ModelDeployments() map[string]string { return nil }

// Ident returns the project and region.
func (c *VertexKeyConfig) Ident() string { return c.ProjectID + "\x00" + c.Region }

// Secrets returns none: the credentials JSON is never sent (the tokens made from it are
// scrubbed as the request carries them).
func (c *VertexKeyConfig) Secrets() []string { return nil }

// GoogleCredentials returns the credentials JSON, for the google_oauth auth scheme.
func (c *VertexKeyConfig) GoogleCredentials() string { return c.AuthCredentials }

// Member returns "bedrock_key_config".
func (c *BedrockKeyConfig) Member() string { return "bedrock_key_config" }

// Var gives {region}.
func (c *BedrockKeyConfig) Var(name string) string {
	if name == "region" {
		return c.Region
	}
	return ""
}

// ModelDeployments returns the model-to-inference-profile map.
func (c *BedrockKeyConfig) ModelDeployments() map[string]string { return c.Deployments }

// Ident returns the access key, region and ARN.
func (c *BedrockKeyConfig) Ident() string { return c.AccessKey + "\x00" + c.Region + "\x00" + c.ARN }

// Secrets returns the secret key and the session token.
func (c *BedrockKeyConfig) Secrets() []string { return []string{c.SecretKey, c.SessionToken} }

// AWSCredentials returns the AWS credentials, for the sigv4 auth scheme.
func (c *BedrockKeyConfig) AWSCredentials() (accessKey, secretKey, sessionToken, region string) {
	return c.AccessKey, c.SecretKey, c.SessionToken, c.Region
}

func trimSlash(s string) string {
	if len(s) > 0 && s[len(s)-1] == '/' {
		return s[:len(s)-1]
	}
	return s
}
