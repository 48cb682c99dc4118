// Package config reads the Bifrost gateway configuration file.
//
// The file has the shape of the upstream open-source Bifrost gateway's config.json
// (github.com/maximhq/bifrost), written as JSON or YAML:
//
//	{
//	  "client":    {"drop_excess_requests": false, "initial_pool_size": 300},
//	  "providers": {
//	    "openai": {
//	      "keys": [{"value": "env.OPENAI_API_KEY", "models": ["gpt-4o"], "weight": 1.0}],
//	      "network_config": {"default_request_timeout_in_seconds": 30, "max_retries": 2},
//	      "concurrency_and_buffer_size": {"concurrency": 1000, "buffer_size": 5000}
//	    }
//	  },
//	  "aliases": {"gpt-4o": ["openai/gpt-4o", "openrouter/openai/gpt-4o"]}
//	}
//
// Key names follow upstream exactly. They were taken from these upstream files:
//
//   - core/schemas/account.go: the key object ("id", "value", "models", "weight", and the
//     provider-specific "<type>_key_config" members, which each adapter declares; see
//     below).
//   - core/schemas/provider.go: "network_config" (NetworkConfig), "concurrency_and_buffer_size"
//     (ConcurrencyAndBufferSize), "proxy_config" (ProxyConfig), "custom_provider_config"
//     (CustomProviderConfig), the provider-level flags and the default values.
//   - transports/config.schema.json: the "client" object, the key "name", the
//     limits on some fields, and which providers need no keys.
//
// The launch post's older shape, with provider names at the top level instead of under
// "providers" ({"openai": {"keys": [...]}}), is read the same way for the provider types
// this build has adapters for (see [WithAdapters]); a file may not mix the two shapes.
// Upstream sections that this gateway does not have ("config_store", "mcp", ...) are
// refused with the reason, never silently ignored.
//
// "aliases" is this gateway's own addition. It maps a bare model name to an ordered list of
// "provider/model" targets: the first target is tried first, the rest are fallbacks.
//
// # Reading and errors
//
// [Load] and [Parse] read the file with go.yaml.in/yaml/v3 (the YAML organisation's
// continuation of gopkg.in/yaml.v3) into yaml.Node trees, so every value has a line number.
// JSON goes through the same parser, because JSON is YAML flow syntax. A .json file, or any
// file that is valid JSON, is first checked with encoding/json. Its string escapes are then
// rewritten where yaml.v3 and JSON differ ("\/", UTF-16 surrogate pairs, characters YAML does
// not allow unescaped), so both readers see the same strings. Two known limits come from YAML's
// rules for implicit keys. A JSON object key longer than 1024 bytes is rejected, and so is a
// key that is separated from its ':' by a line break.
//
// Every problem is reported, up to a limit, as "file:line: dotted.path: reason", for
// example:
//
//	config.json:12: providers.openai.keys[0].weight: must be >= 0
//
// The errors never contain a value from the file. They give only key names, line numbers
// and environment variable names, so API keys, passwords and certificates cannot leak
// through them. This also holds for JSON syntax errors: the character that encoding/json
// would quote is removed. Unknown keys are errors. Duplicate keys are errors too, also in
// JSON. A null value means the key is absent.
//
// In YAML, anchors, aliases and merge keys ("<<") are supported. Nodes reached through
// aliases count against a fixed budget, so an alias bomb gives an error, not an
// exponential walk.
//
// # Environment variables
//
// Any string value of the form "env.NAME" is replaced by the value of the environment
// variable NAME, as upstream does for key values and proxy credentials. An unset or empty
// variable is an error that names the variable. Map keys (provider names, header names,
// alias names) are never resolved.
//
// # Defaults
//
// Defaults are upstream's, from core/schemas/provider.go and transports/config.schema.json.
// A numeric field that is absent or 0 gets its default, as upstream's CheckAndSetDefaults
// does. A negative value is an error. The exceptions are "weight" and "max_retries", where
// 0 is a meaningful value. See the Default* constants.
//
// # Checks across fields
//
// Beyond the type and range of each field, Parse checks the following. Provider names
// are 1 to 64 characters from [a-z0-9_-]. A provider's keys must not all weigh 0. Providers
// of a self-hosted type (one whose spec has no default URL) need "network_config.base_url".
// A key's provider-specific settings are a "<type>_key_config" object that the provider's
// adapter declares (provider.KeyConfigSpec): its fields and their checks, whether every key
// needs it, and whether a key with it may leave out "value". It is allowed only in the keys
// of providers of that type. These checks need the adapters ([WithAdapters]); without
// them, the engine makes them when it builds the providers. "retry_backoff_max" must not be
// less than "retry_backoff_initial". An alias target must be "provider/model" and name a configured
// provider. A proxy of type http or socks5 needs a URL with a matching scheme.
//
// # Choices that differ from upstream
//
//   - Keys. A provider needs at least one key unless it is keyless: its type's spec makes
//     keys optional (key_optional, as for local servers), or it is a custom provider with
//     "is_key_less": true. The rule is checked when the file loads, not at the first
//     request. See [Provider.Keyless].
//   - Models. An empty or absent "models" list, or a list containing "*", means the key
//     serves every model. This is upstream's v1 reading. See [Key.AllowsModel].
//   - Custom providers. They follow upstream's shape. The base URL of a custom provider is
//     set in "network_config.base_url". Upstream's custom_provider_config has no base_url,
//     and one written there is an error that says where it belongs.
//   - Accepted and ignored. Some upstream keys are accepted and their values ignored,
//     because they concern features this gateway does not have and ignoring them weakens
//     nothing. They are "$schema" at the top level; "enable_logging",
//     "disable_content_logging", "log_retention_days", "disable_db_pings_in_health" and
//     "dump_errors_in_console_logs" in "client"; "store_raw_request_response" in a provider;
//     "enforce_http2" in "network_config"; and "use_for_batch_api" in a key. Upstream keys
//     that would change security or routing when ignored (for example
//     "enforce_auth_on_inference", "allow_direct_keys", "allow_private_network", per-key
//     "aliases") are rejected as unknown. Ignoring them would silently weaken the setup.
package config
