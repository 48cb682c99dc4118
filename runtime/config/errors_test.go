package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// secret is the key value used throughout the bad configs below. No error may print it.
const secret = "sk-secret-1"

// badConfigs pairs bad files with the exact error text Parse must return for them. The
// environment is empty.
var badConfigs = []struct {
	name, doc, want string
}{
	{"weight.json",
		`{
  "providers": {
    "openai": {
      "keys": [
        {"value": "sk-secret-1", "weight": -1}
      ]
    }
  }
}
`,
		`weight.json:5: providers.openai.keys[0].weight: must be >= 0`},
	{"unknown.yaml",
		`providers: {openai: {keys: [{value: sk-secret-1}]}}
foo: 1
`,
		`unknown.yaml:2: foo: unknown field`},
	{"unknown-net.yaml",
		`providers:
  openai:
    keys: [{value: sk-secret-1}]
    network_config:
      timeout: 3
`,
		`unknown-net.yaml:5: providers.openai.network_config.timeout: unknown field`},
	{"typo-value.yaml",
		`providers:
  openai:
    keys:
      - valu: sk-secret-1
`,
		`typo-value.yaml:4: providers.openai.keys[0].valu: unknown field
typo-value.yaml:4: providers.openai.keys[0].value: required`},
	{"upper.yaml",
		`providers:
  OpenAI:
    keys: [{value: sk-secret-1}]
`,
		`upper.yaml:2: providers.OpenAI: provider names must be 1 to 64 lowercase letters, digits, '-' or '_'`},
	{"nokeys.yaml",
		`providers:
  openai: {}
`,
		`nokeys.yaml:2: providers.openai.keys: at least one key is required (only ollama, vllm and custom providers with is_key_less may have none)`},
	{"nokeys2.yaml",
		`providers:
  openai:
    keys: []
`,
		`nokeys2.yaml:3: providers.openai.keys: at least one key is required (only ollama, vllm and custom providers with is_key_less may have none)`},
	{"zero.yaml",
		`providers:
  openai:
    keys:
      - {value: sk-secret-1, weight: 0}
      - {value: sk-secret-2, weight: 0.0}
`,
		`zero.yaml:3: providers.openai.keys: at least one key must have a weight > 0`},
	{"envunset.yaml",
		`providers:
  openai:
    keys:
      - value: env.NOPE
`,
		`envunset.yaml:4: providers.openai.keys[0].value: environment variable NOPE is not set`},
	{"envbad.yaml",
		`providers:
  openai:
    keys:
      - value: env.1BAD
`,
		`envbad.yaml:4: providers.openai.keys[0].value: invalid environment variable reference: want "env.NAME" with NAME made of letters, digits and '_'`},
	{"relurl.yaml",
		`providers:
  openai:
    keys: [{value: sk-secret-1}]
    network_config:
      base_url: api.openai.com/v1
`,
		`relurl.yaml:5: providers.openai.network_config.base_url: must be an absolute http or https URL`},
	{"queryurl.yaml",
		`providers:
  openai:
    keys: [{value: sk-secret-1}]
    network_config:
      base_url: https://user:sk-secret-1@api.openai.com/v1
`,
		`queryurl.yaml:5: providers.openai.network_config.base_url: must not contain a query, a fragment or credentials`},
	{"timeout.yaml",
		`providers:
  openai:
    keys: [{value: sk-secret-1}]
    network_config:
      default_request_timeout_in_seconds: -5
`,
		`timeout.yaml:5: providers.openai.network_config.default_request_timeout_in_seconds: must be between 1 and 86400, or 0 for the default`},
	{"retries.yaml",
		`providers:
  openai:
    keys: [{value: sk-secret-1}]
    network_config:
      max_retries: 11
`,
		`retries.yaml:5: providers.openai.network_config.max_retries: must be between 0 and 10`},
	{"backoff.yaml",
		`providers:
  openai:
    keys: [{value: sk-secret-1}]
    network_config:
      retry_backoff_initial: 2s
      retry_backoff_max: 1000
`,
		`backoff.yaml:6: providers.openai.network_config.retry_backoff_max: must be >= retry_backoff_initial`},
	{"backoff2.yaml",
		`providers:
  openai:
    keys: [{value: sk-secret-1}]
    network_config:
      retry_backoff_initial: 6000
`,
		`backoff2.yaml:5: providers.openai.network_config.retry_backoff_initial: must be <= retry_backoff_max (default 5s)`},
	{"backoff3.yaml",
		`providers:
  openai:
    keys: [{value: sk-secret-1}]
    network_config:
      retry_backoff_initial: fast
      retry_backoff_max: -5
`,
		`backoff3.yaml:5: providers.openai.network_config.retry_backoff_initial: must be integer milliseconds or a duration such as "500ms"
backoff3.yaml:6: providers.openai.network_config.retry_backoff_max: must be >= 0`},
	{"concstr.json",
		`{"providers": {"openai": {"keys": [{"value": "sk-secret-1"}],
 "concurrency_and_buffer_size": {"concurrency": "100", "buffer_size": 1e3}}}}`,
		`concstr.json:2: providers.openai.concurrency_and_buffer_size.concurrency: must be an integer
concstr.json:2: providers.openai.concurrency_and_buffer_size.buffer_size: must be an integer`},
	{"proxytype.yaml",
		`providers:
  openai:
    keys: [{value: sk-secret-1}]
    proxy_config:
      type: ftp
`,
		`proxytype.yaml:5: providers.openai.proxy_config.type: must be one of none, http, socks5, environment`},
	{"proxynotype.yaml",
		`providers:
  openai:
    keys: [{value: sk-secret-1}]
    proxy_config:
      url: http://p:1
`,
		`proxynotype.yaml:5: providers.openai.proxy_config.type: required`},
	{"proxynourl.yaml",
		`providers:
  openai:
    keys: [{value: sk-secret-1}]
    proxy_config:
      type: http
      password: sk-secret-1
`,
		`proxynourl.yaml:5: providers.openai.proxy_config.url: required for http and socks5 proxies`},
	{"proxyscheme.yaml",
		`providers:
  openai:
    keys: [{value: sk-secret-1}]
    proxy_config:
      type: socks5
      url: http://sk-secret-1@p:1
`,
		`proxyscheme.yaml:6: providers.openai.proxy_config.url: must be an absolute URL with scheme socks5 or socks5h`},
	{"custombase.yaml",
		`providers:
  mine:
    custom_provider_config:
      base_provider_type: openai
      base_url: https://x
      is_key_less: true
`,
		`custombase.yaml:5: providers.mine.custom_provider_config.base_url: unknown field: a custom provider's URL goes in network_config.base_url`},
	{"customnobase.yaml",
		`providers:
  mine:
    keys: [{value: sk-secret-1}]
    custom_provider_config:
      is_key_less: true
`,
		`customnobase.yaml:5: providers.mine.custom_provider_config.base_provider_type: required`},
	{"customself.yaml",
		`providers:
  mine:
    keys: [{value: sk-secret-1}]
    custom_provider_config:
      base_provider_type: mine
`,
		`customself.yaml:5: providers.mine.custom_provider_config.base_provider_type: must differ from the custom provider's own name`},
	{"aliasprov.yaml",
		`providers:
  openai:
    keys: [{value: sk-secret-1}]
aliases:
  gpt-4o: [openai/gpt-4o, azure/gpt-4o]
`,
		`aliasprov.yaml:5: aliases.gpt-4o[1]: names a provider that is not configured`},
	{"aliasslash.yaml",
		`providers:
  openai:
    keys: [{value: sk-secret-1}]
aliases:
  gpt-4o: gpt-4o
  openai/x: [openai/x]
  empty: []
  "gpt-4.1": ["/gpt-4.1"]
`,
		`aliasslash.yaml:5: aliases.gpt-4o: must be "provider/model"
aliasslash.yaml:6: aliases["openai/x"]: alias names must be non-empty, without '/' or spaces
aliasslash.yaml:7: aliases.empty: at least one target is required
aliasslash.yaml:8: aliases["gpt-4.1"][0]: must be "provider/model"`},
	{"dup.json",
		`{
  "providers": {
    "openai": {"keys": [{"value": "sk-secret-1"}]},
    "openai": {"keys": [{"value": "sk-secret-2"}]}
  }
}
`,
		`dup.json:4: providers.openai: duplicate key (first on line 3)`},
	{"syntax.json",
		`{
  "providers": {
    "openai": {"keys": [{"value": "sk-secret-1"},]}
  }
}
`,
		`syntax.json:3: invalid JSON: invalid character looking for beginning of value`},
	{"syntax.yaml",
		`providers:
  openai:
    keys: [{value: sk-secret-1}
  groq: {}
`,
		`syntax.yaml:2: invalid YAML: did not find expected ',' or ']'`},
	{"empty.yaml",
		``,
		`empty.yaml: empty configuration`},
	{"empty.json",
		`  
`,
		`empty.json: empty configuration`},
	{"comment.yaml",
		`# nothing
`,
		`comment.yaml: empty configuration`},
	{"list.yaml",
		`- providers
`,
		`list.yaml:1: the configuration must be an object`},
	{"multi.yaml",
		`providers: {openai: {keys: [{value: sk-secret-1}]}}
---
foo: 1
`,
		`multi.yaml:2: more than one YAML document`},
	{"vllm.yaml",
		`providers:
  vllm: {}
`,
		`vllm.yaml:2: providers.vllm.network_config.base_url: required for self-hosted provider types (vllm)`},
	{"azure.yaml",
		`providers:
  azure:
    keys:
      - value: sk-secret-1
`,
		`azure.yaml:4: providers.azure.keys[0].azure_key_config: required for azure providers`},
	{"azurecfg.yaml",
		`providers:
  openai:
    keys:
      - value: sk-secret-1
        azure_key_config: {endpoint: https://x.openai.azure.com}
`,
		`azurecfg.yaml:5: providers.openai.keys[0].azure_key_config: only allowed for azure providers`},
	{"azureep.yaml",
		`providers:
  azure:
    keys:
      - value: sk-secret-1
        azure_key_config: {deployments: {a: b}}
`,
		`azureep.yaml:5: providers.azure.keys[0].azure_key_config.endpoint: required`},
	{"hdr.json",
		`{"providers": {"openai": {"keys": [{"value": "sk-secret-1"}],
"network_config": {"extra_headers": {"X-A": "sk-secret-1\r\nEvil: 1", "Bad Header": "x"}}}}}`,
		`hdr.json:2: providers.openai.network_config.extra_headers.X-A: must not contain line breaks or NUL
hdr.json:2: providers.openai.network_config.extra_headers["Bad Header"]: invalid header name`},
	{"pem.yaml",
		`providers:
  openai:
    keys: [{value: sk-secret-1}]
    network_config:
      ca_cert_pem: "-----BEGIN CERTIFICATE-----\nsk-secret-1\n-----END CERTIFICATE-----\n"
`,
		`pem.yaml:5: providers.openai.network_config.ca_cert_pem: must be one or more PEM-encoded X.509 certificates`},
	{"keysobj.yaml",
		`providers:
  openai:
    keys: {value: sk-secret-1}
`,
		`keysobj.yaml:3: providers.openai.keys: must be a list`},
	{"valnum.yaml",
		`providers:
  openai:
    keys:
      - value: 12345
`,
		`valnum.yaml:4: providers.openai.keys[0].value: must be a string (quote it)`},
	{"emptyprov.yaml",
		`providers: {}
`,
		`emptyprov.yaml:1: providers: at least one provider is required`},
	{"noprov.yaml",
		`client:
  drop_excess_requests: true
`,
		`noprov.yaml:1: providers: at least one provider is required`},
	{"conns.yaml",
		`providers:
  openai:
    keys: [{value: sk-secret-1}]
    network_config:
      max_conns_per_host: 20000
      stream_idle_timeout_in_seconds: 7200
`,
		`conns.yaml:5: providers.openai.network_config.max_conns_per_host: must be between 1 and 10000, or 0 for the default
conns.yaml:6: providers.openai.network_config.stream_idle_timeout_in_seconds: must be between 1 and 3600, or 0 for the default`},
	{"bedrock.yaml",
		`providers:
  bedrock:
    keys:
      - bedrock_key_config:
          access_key: AKIA
          region: us-east-1
`,
		`bedrock.yaml:5: providers.bedrock.keys[0].bedrock_key_config.secret_key: required with access_key`},
	{"bedrock2.yaml",
		`providers:
  bedrock:
    keys:
      - models: [x]
`,
		`bedrock2.yaml:4: providers.bedrock.keys[0].value: required unless bedrock_key_config is set`},
	{"vertex.yaml",
		`providers:
  vertex:
    keys:
      - vertex_key_config:
          project_id: p
`,
		`vertex.yaml:5: providers.vertex.keys[0].vertex_key_config.region: required`},
	{"nan.yaml",
		`providers:
  openai:
    keys:
      - {value: sk-secret-1, weight: .nan}
`,
		`nan.yaml:4: providers.openai.keys[0].weight: must be a finite number`},
	{"client.yaml",
		`client:
  initial_pool_size: -1
  prometheus_labels: [ok, 1bad]
  allowed_origins: ["https://a.example.com/path"]
  drop_excess_requests: "yes"
providers: {openai: {keys: [{value: sk-secret-1}]}}
`,
		`client.yaml:2: client.initial_pool_size: must be between 1 and 1000000, or 0 for the default
client.yaml:3: client.prometheus_labels[1]: must be a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)
client.yaml:4: client.allowed_origins[0]: must be "*" or an http(s) origin such as "https://app.example.com"
client.yaml:5: client.drop_excess_requests: must be true or false`},
	{"mergeloop.yaml",
		`providers:
  openai: &p
    <<: *p
    keys: [{value: sk-secret-1}]
`,
		`mergeloop.yaml:2: providers.openai: merge keys nested more than 8 deep`},
	{"nullitem.yaml",
		`providers:
  openai:
    keys:
      - null
      - value: sk-secret-1
        models: [a, null, ""]
`,
		`nullitem.yaml:4: providers.openai.keys[0]: must be an object
nullitem.yaml:6: providers.openai.keys[1].models[1]: must be a string
nullitem.yaml:6: providers.openai.keys[1].models[2]: must not be empty`},
	{"bigint.json",
		`{"providers": {"openai": {"keys": [{"value": "sk-secret-1", "weight": 1E400}],
"concurrency_and_buffer_size": {"concurrency": 99999999999999999999}}}}`,
		`bigint.json:1: providers.openai.keys[0].weight: must be a finite number
bigint.json:2: providers.openai.concurrency_and_buffer_size.concurrency: must be between 1 and 1000000, or 0 for the default`},
	{"strint.yaml",
		`providers:
  openai:
    keys: [{value: sk-secret-1}]
    network_config:
      max_retries: !!int x
      api_version: 2024-01-01
`,
		`strint.yaml:5: providers.openai.network_config.max_retries: must be an integer
strint.yaml:6: providers.openai.network_config.api_version: unknown field`},
	{"nonstrkey.yaml",
		`providers:
  openai:
    keys: [{value: sk-secret-1}]
    ? [a]
    : 1
`,
		`nonstrkey.yaml:4: providers.openai: object keys must be strings`},
	{"tabs.json",
		"{\n\t\"providers\": {\n\t\t\"openai\": {\n\t\t\t\"keys\": [{\"value\": \"sk-secret-1\", \"weight\": \"x\"}]\n\t\t}\n\t}\n}\n",
		`tabs.json:4: providers.openai.keys[0].weight: must be a number`},
	{"crlf.json",
		"{\r\n  \"providers\": {\r\n    \"openai\": {\r\n      \"keys\": [{\"value\": \"sk-secret-1\", \"weight\": -2}]\r\n    }\r\n  }\r\n}\r\n",
		`crlf.json:4: providers.openai.keys[0].weight: must be >= 0`},
}

func TestBadConfigs(t *testing.T) {
	for _, tc := range badConfigs {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse(tc.name, []byte(tc.doc), getenv(nil), withAdapters)
			if err == nil {
				t.Fatalf("Parse succeeded, want error\n%s", tc.want)
			}
			if cfg != nil {
				t.Error("Parse returned a Config with an error")
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tc.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error shows the secret: %s", err)
			}
			var list ErrorList
			var first *Error
			if !errors.As(err, &list) || !errors.As(err, &first) || first != list[0] {
				t.Errorf("errors.As: want an ErrorList whose first entry is an *Error")
			}
		})
	}
}

// TestErrorsHideSecrets puts recognisable secrets in every secret-bearing field, direct
// and through the environment, next to bad sibling fields, and checks that no error shows
// them.
func TestErrorsHideSecrets(t *testing.T) {
	const (
		literal = "sk-LITERAL-0123456789"
		fromEnv = "sk-FROMENV-9876543210"
	)
	env := map[string]string{"SECRET": fromEnv}
	docs := map[string]string{
		"key.yaml": `
providers:
  openai:
    keys:
      - value: ` + literal + `
        weight: -1
        models: [1]
        bogus: ` + literal + `
      - value: env.SECRET
        weight: "` + fromEnv + `"
`,
		"key.json": `{"providers": {"openai": {"keys": [
  {"value": "` + literal + `", "weight": "` + literal + `"},
  {"value": "env.SECRET", "weight": -0.5, "name": 7}]}}}`,
		"proxy.yaml": `
providers:
  openai:
    keys: [{value: env.SECRET}]
    proxy_config:
      type: "` + literal + `"
      url: "http://u:` + literal + `@"
      password: ` + literal + `
      ca_cert_pem: ` + literal + `
`,
		"network.yaml": `
providers:
  openai:
    keys: [{value: x}]
    network_config:
      base_url: "https://u:` + literal + `@host/?k=` + literal + `"
      extra_headers: {Authorization: "Bearer ` + literal + `\n"}
      retry_backoff_initial: "` + literal + `"
      default_request_timeout_in_seconds: "` + literal + `"
      ca_cert_pem: env.SECRET
`,
		"cloud.yaml": `
providers:
  bedrock:
    keys:
      - bedrock_key_config: {secret_key: ` + literal + `, region: ""}
  azure:
    keys:
      - value: ` + literal + `
        azure_key_config: {endpoint: "` + literal + `", api_version: [` + literal + `]}
aliases:
  x: ["` + literal + `"]
`,
	}
	for name, doc := range docs {
		_, err := Parse(name, []byte(doc), getenv(env), withAdapters)
		if err == nil {
			t.Errorf("%s: Parse succeeded", name)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, literal) || strings.Contains(msg, fromEnv) ||
			strings.Contains(msg, "LITERAL") || strings.Contains(msg, "FROMENV") {
			t.Errorf("%s: error shows a secret:\n%s", name, msg)
		}
		if n := len(err.(ErrorList)); n < 2 {
			t.Errorf("%s: only %d errors, want several (is the test still exercising the checks?):\n%v", name, n, err)
		}
	}
}

func TestErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		e    Error
		want string
	}{
		{Error{File: "c.json", Line: 12, Path: "providers.openai.keys[0].weight", Msg: "must be >= 0"},
			"c.json:12: providers.openai.keys[0].weight: must be >= 0"},
		{Error{File: "c.json", Line: 3, Msg: "invalid JSON: x"}, "c.json:3: invalid JSON: x"},
		{Error{File: "c.yaml", Msg: "empty configuration"}, "c.yaml: empty configuration"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestManyErrorsAreCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("providers:\n")
	for i := range 30 {
		fmt.Fprintf(&b, "  p%d: {keys: [{value: x, weight: -1}]}\n", i)
	}
	_, err := Parse("many.yaml", []byte(b.String()), getenv(nil))
	list, _ := err.(ErrorList)
	if len(list) != defaultMaxReportedErrors+1 {
		t.Fatalf("got %d entries, want %d", len(list), defaultMaxReportedErrors+1)
	}
	if got, want := list[len(list)-1].Error(), "many.yaml: 10 more errors not shown"; got != want {
		t.Errorf("last entry = %q, want %q", got, want)
	}
	for i := 1; i < len(list)-1; i++ {
		if list[i].Line < list[i-1].Line {
			t.Errorf("errors not in line order at %d", i)
		}
	}
}

// TestAliasBomb checks that alias expansion is bounded: this 2.6 kB file would expand to
// 120^3 nodes.
func TestAliasBomb(t *testing.T) {
	const n = 120
	var b strings.Builder
	b.WriteString("providers:\n  p0: &p\n    keys: [&k {value: v, models: [")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("x")
	}
	b.WriteString("]}")
	for range n - 1 {
		b.WriteString(", *k")
	}
	b.WriteString("]\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "  p%d: *p\n", i)
	}
	_, err := Parse("bomb.yaml", []byte(b.String()), getenv(nil))
	want := fmt.Sprintf("bomb.yaml:3: document too large: more than %d nodes, counting alias expansions", defaultNodeBudget)
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}
