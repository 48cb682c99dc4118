package config

import (
	yaml "go.yaml.in/yaml/v3"
)

// isTopLevelProvider reports whether the top-level key name, with value val, is a provider
// written at the top level, next to (instead of) "providers", as in the launch post's shape:
// a provider type of this build (WithAdapters), or, when Parse was not told them, any object
// with "keys" (the engine then checks the type). A custom provider, whose name is the
// operator's own, goes under "providers".
func (d *decoder) isTopLevelProvider(name string, val *yaml.Node) bool {
	if d.types == nil {
		_, refused := unsupportedTop[name]
		return !refused && looksLikeProvider(val)
	}
	return d.types[name] != nil
}

// unsupportedTop gives the reason for refusing a top-level section of upstream's
// config.json (transports/config.schema.json) that this gateway does not have. Each
// section is refused rather than ignored, because ignoring it would silently drop the
// behaviour that the operator asked for.
var unsupportedTop = map[string]string{
	"config_store":            "not supported: this gateway keeps no database; its configuration is this file",
	"logs_store":              "not supported: this gateway keeps no request log store; it logs to stderr and exports Prometheus metrics",
	"vector_store":            "not supported: this gateway has no vector store (the cache plugin keeps its entries in memory)",
	"mcp":                     "not supported: this gateway does not run MCP tools",
	"auth_config":             "not supported: the gateway's own API keys go in client.api_keys",
	"encryption_key":          "not supported: this gateway stores nothing to encrypt",
	"framework":               "not supported: this gateway has no model catalog or pricing sync",
	"cluster_config":          "not supported: run several replicas behind a load balancer instead",
	"server":                  "not supported: the server's settings are command-line flags and client settings",
	"source_of_truth":         "not supported: this file is the only source of configuration",
	"env_label":               "not supported: this gateway has no management UI",
	"saml_config":             "not supported: this gateway has no management UI or single sign-on",
	"load_balancer_config":    "not supported: keys are balanced by their weight",
	"guardrails_config":       "not supported: this gateway has no guardrails",
	"websocket":               "not supported: this gateway serves HTTP only",
	"large_payload_config":    "not supported: request body limits are client.max_request_body_size_mb and client.max_buffered_request_mb",
	"otel_config":             "not supported: metrics are exported at /metrics for Prometheus",
	"prometheus_push_gateway": "not supported: metrics are scraped from /metrics",
}

// unsupportedClient gives the reason for refusing a key of upstream's "client" object that
// this gateway does not have.
var unsupportedClient = map[string]string{
	"enable_governance":                          "not supported: the gateway's own keys go in client.api_keys",
	"enforce_governance_header":                  "not supported: the gateway's own keys (client.api_keys) are always enforced when set",
	"enforce_auth_on_inference":                  "not supported: the gateway's own keys (client.api_keys) are always enforced when set",
	"enforce_scim_auth":                          "not supported: this gateway has no SCIM",
	"allow_per_request_content_storage_override": "not supported: this gateway stores no request content",
	"allow_per_request_raw_override":             "not supported: raw request and response are the provider's send_back_raw_request and send_back_raw_response",
	"compat":                                     "not supported: this gateway does not convert request types or drop parameters",
	"header_filter_config":                       "not supported: this gateway does not forward x-bf-eh-* headers",
	"required_headers":                           "not supported: require a header at the load balancer in front of the gateway",
	"logging_headers":                            "not supported: this gateway keeps no request log store",
	"whitelisted_routes":                         "not supported: only /health is open when client.api_keys is set",
	"allowed_headers":                            "not supported: CORS allows the headers the API uses",
	"webhook_config":                             "not supported: this gateway sends no webhooks",
	"async_job_result_ttl":                       "not supported: this gateway has no async jobs",
	"enable_litellm_fallbacks":                   "not supported: fallbacks are given per request or by aliases",
	"routing_chain_max_depth":                    "not supported: this gateway has no routing rules; use aliases",
	"hide_deleted_virtual_keys_in_filters":       "not supported: this gateway has no management UI",
}

// unsupportedNetwork gives the reason for refusing a key of upstream's "network_config"
// that this gateway does not have.
var unsupportedNetwork = map[string]string{
	"http2_ping_interval_in_seconds": "not supported: provider connections use HTTP/1.1 keep-alive",
	"keep_alive_timeout_in_seconds":  "not supported: idle provider connections are closed after 90 s",
	"beta_header_overrides":          "not supported: send extra headers with extra_headers",
	"allow_private_network":          "not supported: this gateway does not restrict provider addresses; restrict egress with a network policy",
}

// refuse reports a known upstream key that this gateway does not support, with reason.
func (d *decoder) refuse(p pair, path, reason string) {
	d.errorf(p.key, join(path, p.key.Value), "%s", reason)
}

// looksLikeProvider reports whether n is an object with a "keys" field: an unknown
// top-level key with such a value was probably meant as a provider.
func looksLikeProvider(n *yaml.Node) bool {
	if n == nil || n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "keys" {
			return true
		}
	}
	return false
}

// providersAtTop decodes the providers written at the top level (the launch post's shape:
// {"openai": {"keys": [...]}}). Their paths are the bare provider names.
func (d *decoder) providersAtTop(pairs []pair) map[string]*Provider {
	out := make(map[string]*Provider, len(pairs))
	for _, pp := range pairs {
		if !isProviderName(pp.key.Value) {
			d.errorf(pp.key, pp.key.Value, badProviderName)
			continue
		}
		out[pp.key.Value] = d.provider(pp, join("", pp.key.Value))
	}
	return out
}

// mixedShapes reports each top-level provider of a file that also has "providers".
func (d *decoder) mixedShapes(top []pair, providers *yaml.Node) {
	for _, pp := range top {
		d.errorf(pp.key, pp.key.Value,
			`a provider at the top level cannot be mixed with the "providers" object (line %d): move it under "providers", or move every provider to the top level`,
			providers.Line)
	}
}
