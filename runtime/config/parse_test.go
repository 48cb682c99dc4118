package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/adapters/azure"
	"github.com/bifrost-gw/bifrost/adapters/bedrock"
	"github.com/bifrost-gw/bifrost/adapters/vertex"
)

// testEnv is the environment the example files are parsed with.
var testEnv = map[string]string{
	"OPENAI_API_KEY":        "sk-openai-test",
	"OPENAI_ORG":            "org-test",
	"PROXY_PASSWORD":        "proxy-password-test",
	"ANTHROPIC_API_KEY":     "sk-ant-test",
	"GROQ_API_KEY":          "gsk-test",
	"AZURE_API_KEY":         "azure-test",
	"AWS_ACCESS_KEY_ID":     "AKIATEST",
	"AWS_SECRET_ACCESS_KEY": "aws-secret-test",
	"VERTEX_CREDENTIALS":    `{"type":"service_account"}`,
	"OPENROUTER_API_KEY":    "sk-or-test",
}

func getenv(env map[string]string) func(string) string {
	return func(name string) string { return env[name] }
}

// network returns the default network settings with f applied.
func network(f func(*Network)) Network {
	n := Network{
		DefaultRequestTimeout: DefaultRequestTimeout,
		MaxRetries:            DefaultMaxRetries,
		RetryBackoffInitial:   DefaultRetryBackoffInitial,
		RetryBackoffMax:       DefaultRetryBackoffMax,
		StreamIdleTimeout:     DefaultStreamIdleTimeout,
		MaxConnsPerHost:       DefaultMaxConnsPerHost,
		ConnectTimeout:        DefaultConnectTimeout,
		AuthKeyCooldown:       DefaultAuthKeyCooldown,
		RateLimitKeyCooldown:  DefaultRateLimitKeyCooldown,
		MaxResponseBodyBytes:  DefaultMaxResponseBodyMB << 20,
		MaxStreamEventBytes:   DefaultMaxStreamEventKB << 10,
	}
	if f != nil {
		f(&n)
	}
	return n
}

var defaultConcurrency = ConcurrencyAndBuffer{Concurrency: DefaultConcurrency, BufferSize: DefaultBufferSize}

// wantExample is what testdata/config.json and testdata/config.yaml describe.
func wantExample(t *testing.T) *Config {
	cert, err := os.ReadFile("testdata/ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	return &Config{
		Client: Client{
			DropExcessRequests:   true,
			InitialPoolSize:      500,
			MaxRequestBodyMB:     50,
			PrometheusLabels:     []string{"team", "env"},
			MaxBufferedRequestMB: DefaultMaxBufferedRequestMB,
			MaxConnections:       DefaultMaxConnections,
			AllowedOrigins:       []string{"https://app.example.com", "*"},
		},
		Providers: map[string]*Provider{
			"openai": {
				Name: "openai",
				Keys: []Key{
					{Name: "primary", Value: "sk-openai-test", Models: []string{"gpt-4o", "gpt-4o-mini"}, Weight: 0.7},
					{ID: "k2", Value: "sk-literal-é/x😀", Weight: 0.3},
				},
				Network: network(func(n *Network) {
					n.BaseURL = "https://api.openai.com"
					n.ExtraHeaders = map[string]string{"OpenAI-Organization": "org-test", "X-Trace": "on"}
					n.DefaultRequestTimeout = 60 * time.Second
					n.MaxRetries = 3
					n.RetryBackoffInitial = 250 * time.Millisecond
					n.RetryBackoffMax = 10 * time.Second
					n.StreamIdleTimeout = 120 * time.Second
					n.MaxConnsPerHost = 200
					n.CACertPEM = string(cert)
				}),
				Concurrency: ConcurrencyAndBuffer{Concurrency: 200, BufferSize: 2000},
				Proxy: &Proxy{
					Type:     ProxyHTTP,
					URL:      "http://proxy.internal:3128",
					Username: "bifrost",
					Password: "proxy-password-test",
				},
				SendBackRawResponse: true,
			},
			"anthropic": {
				Name: "anthropic",
				Keys: []Key{{
					Value:  "sk-ant-test",
					Models: []string{"claude-3-5-sonnet-20241022", "claude-3-5-haiku-20241022"},
					Weight: 1,
				}},
				Network:     network(nil),
				Concurrency: ConcurrencyAndBuffer{Concurrency: 50, BufferSize: 500},
			},
			"groq": {
				Name: "groq",
				Keys: []Key{{Value: "gsk-test", Weight: 1}},
				Network: network(func(n *Network) {
					n.MaxRetries = 2
					n.RetryBackoffInitial = 100 * time.Millisecond
					n.RetryBackoffMax = 2 * time.Second
				}),
				Concurrency: ConcurrencyAndBuffer{Concurrency: 50, BufferSize: 500},
			},
			"azure": {
				Name: "azure",
				Keys: []Key{{
					Value:  "azure-test",
					Models: []string{"gpt-4o"},
					Weight: 1,
					Settings: &azure.KeyConfig{
						Endpoint:    "https://my-resource.openai.azure.com",
						Deployments: map[string]string{"gpt-4o": "gpt4o-prod"},
						APIVersion:  "2024-08-01-preview",
					},
				}},
				Network:     network(nil),
				Concurrency: defaultConcurrency,
			},
			"bedrock": {
				Name: "bedrock",
				Keys: []Key{{
					Models: []string{"anthropic.claude-3-5-sonnet-20241022-v2:0"},
					Weight: 1,
					Settings: &bedrock.KeyConfig{
						AccessKey:   "AKIATEST",
						SecretKey:   "aws-secret-test",
						Region:      "us-east-1",
						Deployments: map[string]string{"claude-3-5-sonnet": "us.anthropic.claude-3-5-sonnet-20241022-v2:0"},
					},
				}},
				Network:     network(nil),
				Concurrency: defaultConcurrency,
			},
			"vertex": {
				Name: "vertex",
				Keys: []Key{{
					Weight: 1,
					Settings: &vertex.KeyConfig{
						ProjectID:       "my-project",
						Region:          "us-central1",
						AuthCredentials: `{"type":"service_account"}`,
					},
				}},
				Network:     network(nil),
				Concurrency: defaultConcurrency,
			},
			"openrouter": {
				Name:        "openrouter",
				Keys:        []Key{{Value: "sk-or-test", Models: []string{"*"}, Weight: 1}},
				Network:     network(nil),
				Concurrency: defaultConcurrency,
			},
			"ollama": {
				Name:        "ollama",
				Network:     network(func(n *Network) { n.BaseURL = "http://localhost:11434" }),
				Concurrency: defaultConcurrency,
			},
			"my-llm": {
				Name: "my-llm",
				Custom: &CustomProvider{
					BaseProviderType:     "openai",
					IsKeyless:            true,
					AllowedRequests:      map[string]bool{"chat_completion": true, "chat_completion_stream": true, "embedding": false},
					RequestPathOverrides: map[string]string{"chat_completion": "/v2/chat"},
				},
				Network:     network(func(n *Network) { n.BaseURL = "https://llm.internal.example.com/v1" }),
				Concurrency: defaultConcurrency,
				Proxy:       &Proxy{Type: ProxySOCKS5, URL: "socks5h://proxy.internal:1080"},
			},
		},
		Aliases: map[string][]string{
			"gpt-4o":            {"openai/gpt-4o", "azure/gpt-4o"},
			"fast":              {"groq/llama-3.1-8b-instant"},
			"claude-3.5-sonnet": {"anthropic/claude-3-5-sonnet-20241022", "openrouter/anthropic/claude-3.5-sonnet"},
		},
	}
}

// diffConfig reports the differences between got and want, one provider at a time, so that
// a failure says where to look.
func diffConfig(t *testing.T, name string, got, want *Config) {
	t.Helper()
	if !reflect.DeepEqual(got.Client, want.Client) {
		t.Errorf("%s: Client =\n%+v\nwant\n%+v", name, got.Client, want.Client)
	}
	if !reflect.DeepEqual(got.Aliases, want.Aliases) {
		t.Errorf("%s: Aliases =\n%v\nwant\n%v", name, got.Aliases, want.Aliases)
	}
	for pn, wp := range want.Providers {
		gp := got.Providers[pn]
		switch {
		case gp == nil:
			t.Errorf("%s: provider %s missing", name, pn)
		case !reflect.DeepEqual(gp, wp):
			t.Errorf("%s: provider %s =\n%s\nwant\n%s", name, pn, dump(gp), dump(wp))
		}
	}
	for pn := range got.Providers {
		if want.Providers[pn] == nil {
			t.Errorf("%s: unexpected provider %s", name, pn)
		}
	}
}

// dump prints p with the structs behind its pointers.
func dump(p *Provider) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%+v", *p)
	if p.Proxy != nil {
		fmt.Fprintf(&b, "\n  proxy: %+v", *p.Proxy)
	}
	if p.Custom != nil {
		fmt.Fprintf(&b, "\n  custom: %+v", *p.Custom)
	}
	for i, k := range p.Keys {
		if k.Settings != nil {
			fmt.Fprintf(&b, "\n  keys[%d].%s: %+v", i, k.Settings.Member(), k.Settings)
		}
	}
	return b.String()
}

func TestParseExample(t *testing.T) {
	want := wantExample(t)
	var parsed []*Config
	for _, name := range []string{"config.json", "config.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := Parse(name, data, getenv(testEnv), withAdapters)
		if err != nil {
			t.Fatalf("Parse(%s): %v", name, err)
		}
		diffConfig(t, name, cfg, want)
		parsed = append(parsed, cfg)
	}
	if !reflect.DeepEqual(parsed[0], parsed[1]) {
		t.Error("config.json and config.yaml give different Configs")
	}
}

func TestLoad(t *testing.T) {
	for k, v := range testEnv {
		t.Setenv(k, v)
	}
	want := wantExample(t)
	for _, name := range []string{"config.json", "config.yaml"} {
		cfg, err := Load(filepath.Join("testdata", name), withAdapters)
		if err != nil {
			t.Fatalf("Load(%s): %v", name, err)
		}
		diffConfig(t, name, cfg, want)
	}

	_, err := Load(filepath.Join("testdata", "missing.json"))
	if err == nil || !os.IsNotExist(unwrapAll(err)) || !strings.HasPrefix(err.Error(), "config: open testdata/missing.json") {
		t.Errorf("Load(missing) = %v, want a wrapped not-exist error", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

func TestDefaults(t *testing.T) {
	const doc = "providers:\n  openai:\n    keys:\n      - value: sk-x\n"
	cfg, err := Parse("min.yaml", []byte(doc), getenv(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Client: Client{InitialPoolSize: 300, MaxRequestBodyMB: 100, MaxBufferedRequestMB: DefaultMaxBufferedRequestMB,
			MaxConnections: DefaultMaxConnections},
		Providers: map[string]*Provider{"openai": {
			Name:        "openai",
			Keys:        []Key{{Value: "sk-x", Weight: 1.0}},
			Network:     network(nil),
			Concurrency: ConcurrencyAndBuffer{Concurrency: 1000, BufferSize: 5000},
		}},
	}
	diffConfig(t, "min.yaml", cfg, want)
	n := cfg.Providers["openai"].Network
	if n.DefaultRequestTimeout != 30*time.Second || n.MaxRetries != 0 ||
		n.RetryBackoffInitial != 500*time.Millisecond || n.RetryBackoffMax != 5*time.Second {
		t.Errorf("network defaults = %+v", n)
	}
}

func TestZeroSelectsDefault(t *testing.T) {
	const doc = `{"client": {"initial_pool_size": 0, "max_request_body_size_mb": 0},
"providers": {"openai": {"keys": [{"value": "sk-x", "weight": 0}, {"value": "sk-y"}],
  "network_config": {"default_request_timeout_in_seconds": 0, "retry_backoff_initial": 0,
    "retry_backoff_max": "0s", "stream_idle_timeout_in_seconds": 0, "max_conns_per_host": 0,
    "max_response_body_mb": 0, "max_stream_event_kb": 0},
  "concurrency_and_buffer_size": {"concurrency": 0, "buffer_size": 0},
  "proxy_config": null, "custom_provider_config": null}}}`
	cfg, err := Parse("zero.json", []byte(doc), getenv(nil))
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Providers["openai"]
	if cfg.Client.InitialPoolSize != 300 || cfg.Client.MaxRequestBodyMB != 100 {
		t.Errorf("client = %+v", cfg.Client)
	}
	if !reflect.DeepEqual(p.Network, network(nil)) || p.Concurrency != defaultConcurrency {
		t.Errorf("network = %+v, concurrency = %+v", p.Network, p.Concurrency)
	}
	if p.Keys[0].Weight != 0 || p.Keys[1].Weight != 1 {
		t.Errorf("weights = %v, %v; want 0 (explicit) and 1 (default)", p.Keys[0].Weight, p.Keys[1].Weight)
	}
	if p.Proxy != nil || p.Custom != nil {
		t.Errorf("null objects should be absent: proxy %v, custom %v", p.Proxy, p.Custom)
	}
}

// TestResponseLimits checks that max_response_body_mb, max_stream_event_kb and
// client.stream_write_timeout_in_seconds are read in their units and out-of-range values are
// refused with the field's path.
func TestResponseLimits(t *testing.T) {
	const doc = `{"providers": {"openai": {"keys": [{"value": "sk-x"}],
  "network_config": {"max_response_body_mb": 3, "max_stream_event_kb": 5}}}}`
	cfg, err := Parse("limits.json", []byte(doc), getenv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if n := cfg.Providers["openai"].Network; n.MaxResponseBodyBytes != 3<<20 || n.MaxStreamEventBytes != 5<<10 {
		t.Errorf("limits = %d, %d bytes; want 3 MiB and 5 KiB", n.MaxResponseBodyBytes, n.MaxStreamEventBytes)
	}
	cfg, err = Parse("client.json", []byte(`{"client": {"stream_write_timeout_in_seconds": 7}, "providers": {"openai": {"keys": [{"value": "sk-x"}]}}}`), getenv(nil))
	if err != nil || cfg.Client.StreamWriteTimeout != 7*time.Second {
		t.Errorf("stream_write_timeout_in_seconds 7: %v, %v", err, cfg)
	}
	if _, err := Parse("client.json", []byte(`{"client": {"stream_write_timeout_in_seconds": 4000}, "providers": {"openai": {"keys": [{"value": "sk-x"}]}}}`), getenv(nil)); err == nil ||
		!strings.Contains(err.Error(), "client.stream_write_timeout_in_seconds") {
		t.Errorf("stream_write_timeout_in_seconds 4000: error %v, want one naming the field", err)
	}
	for _, bad := range []string{`"max_response_body_mb": 20000`, `"max_stream_event_kb": -1`} {
		doc := `{"providers": {"openai": {"keys": [{"value": "sk-x"}], "network_config": {` + bad + `}}}}`
		if _, err := Parse("limits.json", []byte(doc), getenv(nil)); err == nil || !strings.Contains(err.Error(), "network_config.max_") {
			t.Errorf("%s: error %v, want one naming the field", bad, err)
		}
	}
}

func TestEnvResolution(t *testing.T) {
	env := map[string]string{"KEY": "sk-from-env", "HDR": "hdr-from-env", "URL": "https://env.example.com/"}
	const doc = `
providers:
  openai:
    keys:
      - value: env.KEY
        name: "env_KEY"     # not a reference: only the "env." prefix is
    network_config:
      base_url: env.URL
      extra_headers:
        env.HDR: env.HDR    # header names are keys, never resolved
aliases:
  env.KEY: [openai/env.KEY] # alias names are keys; targets are values
`
	cfg, err := Parse("env.yaml", []byte(doc), getenv(env))
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Providers["openai"]
	if got := p.Keys[0].Value; got != "sk-from-env" {
		t.Errorf("value = %q", got)
	}
	if got := p.Keys[0].Name; got != "env_KEY" {
		t.Errorf("name = %q", got)
	}
	if got := p.Network.BaseURL; got != "https://env.example.com" {
		t.Errorf("base_url = %q (resolved values are checked and trimmed too)", got)
	}
	if got := p.Network.ExtraHeaders; !reflect.DeepEqual(got, map[string]string{"env.HDR": "hdr-from-env"}) {
		t.Errorf("extra_headers = %v", got)
	}
	if got := cfg.Aliases; !reflect.DeepEqual(got, map[string][]string{"env.KEY": {"openai/env.KEY"}}) {
		t.Errorf("aliases = %v", got)
	}

	// A nil getenv reads the process environment.
	t.Setenv("BIFROST_CONFIG_TEST_KEY", "sk-process-env")
	cfg, err = Parse("env.yaml", []byte("providers: {openai: {keys: [{value: env.BIFROST_CONFIG_TEST_KEY}]}}"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Providers["openai"].Keys[0].Value; got != "sk-process-env" {
		t.Errorf("value with nil getenv = %q", got)
	}
}

func TestYAMLAnchorsAndMerge(t *testing.T) {
	const doc = `
providers:
  openai:
    keys: &keys
      - value: sk-x
    network_config: &net
      max_retries: 3
      default_request_timeout_in_seconds: 10
  groq:
    keys: *keys
    network_config:
      <<: *net
      max_retries: 5        # written keys win over merged ones
  mistral:
    keys: *keys
    network_config:
      <<: [{max_retries: 1}, *net]   # earlier merged mappings win
`
	cfg, err := Parse("merge.yaml", []byte(doc), getenv(nil))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int{"openai": 3, "groq": 5, "mistral": 1} {
		n := cfg.Providers[name].Network
		if n.MaxRetries != want || n.DefaultRequestTimeout != 10*time.Second {
			t.Errorf("%s: max_retries %d, timeout %v; want %d, 10s", name, n.MaxRetries, n.DefaultRequestTimeout, want)
		}
	}
}

func TestHelpers(t *testing.T) {
	k := Key{Models: []string{"gpt-4o"}}
	if !k.AllowsModel("gpt-4o") || k.AllowsModel("gpt-4") {
		t.Error("AllowsModel with a list")
	}
	for _, k := range []Key{{}, {Models: []string{"*"}}} {
		if !k.AllowsModel("anything") {
			t.Errorf("AllowsModel(%v) should allow every model", k.Models)
		}
	}

	var nilCustom *CustomProvider
	c := &CustomProvider{AllowedRequests: map[string]bool{"chat_completion": true}}
	if !nilCustom.Allows("embedding") || !(&CustomProvider{}).Allows("embedding") ||
		!c.Allows("chat_completion") || c.Allows("embedding") {
		t.Error("CustomProvider.Allows")
	}

	for _, tc := range []struct {
		p       Provider
		base    string
		keyless bool
	}{
		{Provider{Name: "openai"}, "openai", false},
		// Keyless is the custom provider's is_key_less only; a type's spec may make keys
		// optional besides (TestSpecDrivenProviderRules).
		{Provider{Name: "ollama"}, "ollama", false},
		{Provider{Name: "local", Custom: &CustomProvider{BaseProviderType: "ollama"}}, "ollama", false},
		{Provider{Name: "mine", Custom: &CustomProvider{BaseProviderType: "openai", IsKeyless: true}}, "openai", true},
		{Provider{Name: "mine", Custom: &CustomProvider{BaseProviderType: "openai"}}, "openai", false},
	} {
		if got := tc.p.BaseType(); got != tc.base {
			t.Errorf("%s: BaseType = %q, want %q", tc.p.Name, got, tc.base)
		}
		if got := tc.p.Keyless(); got != tc.keyless {
			t.Errorf("%s: Keyless = %v, want %v", tc.p.Name, got, tc.keyless)
		}
	}
}
