package config

import (
	"reflect"
	"strings"
	"testing"
)

// launchPostConfig is the config.json of the launch post, as written there.
const launchPostConfig = `{
"openai": {
"keys": [{
"value": "env.OPENAI_API_KEY",
"models": ["gpt-4o-mini"],
"weight": 1.0
}]
}
}
`

// TestLaunchPostConfig checks that the post's shape (providers at the top level) gives the
// same Config as the "providers" shape.
func TestLaunchPostConfig(t *testing.T) {
	env := func(k string) string {
		if k == "OPENAI_API_KEY" {
			return "sk-post"
		}
		return ""
	}
	top, err := Parse("config.json", []byte(launchPostConfig), env, withAdapters)
	if err != nil {
		t.Fatalf("the post's config: %v", err)
	}
	if untold, err := Parse("config.json", []byte(launchPostConfig), env); err != nil || !reflect.DeepEqual(top, untold) {
		t.Errorf("the post's config without the adapters: %v", err)
	}
	nested, err := Parse("config.json", []byte(`{"providers":`+launchPostConfig+`}`), env)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(top, nested) {
		t.Errorf("top-level shape gives\n%+v\nwant the providers shape's\n%+v", top.Providers["openai"], nested.Providers["openai"])
	}
	k := top.Providers["openai"].Keys[0]
	if k.Value != "sk-post" || k.Weight != 1 || !reflect.DeepEqual(k.Models, []string{"gpt-4o-mini"}) {
		t.Errorf("key = %+v", k)
	}
}

// TestTopLevelShapeErrors checks the errors of the top-level shape: mixing, bad fields with
// their paths, and upstream sections that this gateway refuses with a reason.
func TestTopLevelShapeErrors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"mixed.json", `{
  "providers": {"openai": {"keys": [{"value": "sk-secret-1"}]}},
  "anthropic": {"keys": [{"value": "sk-secret-1"}]}
}`, `mixed.json:3: anthropic: a provider at the top level cannot be mixed with the "providers" object (line 2): move it under "providers", or move every provider to the top level`},
		{"badweight.json", `{
  "openai": {"keys": [{"value": "sk-secret-1", "weight": -1}]}
}`, `badweight.json:2: openai.keys[0].weight: must be >= 0`},
		{"nokeys.json", `{"groq": {}}`,
			`nokeys.json:1: groq.keys: at least one key is required (only ollama, vllm and custom providers with is_key_less may have none)`},
		{"custom.json", `{"mine": {"keys": [{"value": "sk-secret-1"}]}}`, `custom.json:1: mine: unknown field: not a provider type that may be written at the top level; a custom provider goes under "providers"
custom.json:1: providers: at least one provider is required`},
		{"store.json", `{"openai": {"keys": [{"value": "sk-secret-1"}]}, "config_store": {"enabled": true}}`,
			`store.json:1: config_store: not supported: this gateway keeps no database; its configuration is this file`},
		{"network.json", `{"openai": {"keys": [{"value": "sk-secret-1"}], "network_config": {"beta_header_overrides": {}}}}`,
			`network.json:1: openai.network_config.beta_header_overrides: not supported: send extra headers with extra_headers`},
		{"client.json", `{"openai": {"keys": [{"value": "sk-secret-1"}]}, "client": {"enable_litellm_fallbacks": true}}`,
			`client.json:1: client.enable_litellm_fallbacks: not supported: fallbacks are given per request or by aliases`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.name, []byte(tt.doc), func(string) string { return "" }, withAdapters)
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", err, tt.want)
			}
		})
	}
}

// TestTopLevelNameUntold checks that, when Parse is not told the adapters and so takes any
// top-level object with "keys" for a provider, the provider's name is still checked (a
// FuzzParse finding: "A" was accepted).
func TestTopLevelNameUntold(t *testing.T) {
	doc := `{"A": {"keys": [{"value": "sk-secret-1"}]}}`
	want := `upper.json:1: A: provider names must be 1 to 64 lowercase letters, digits, '-' or '_'`
	_, err := Parse("upper.json", []byte(doc), func(string) string { return "" })
	if err == nil || err.Error() != want {
		t.Fatalf("error:\n%v\nwant:\n%s", err, want)
	}
}

// TestTopLevelAliases checks that aliases see the providers written at the top level.
func TestTopLevelAliases(t *testing.T) {
	cfg, err := Parse("c.json", []byte(`{"openai": {"keys": [{"value": "k"}]}, "aliases": {"fast": "openai/gpt-4o-mini"}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Aliases["fast"]; !reflect.DeepEqual(got, []string{"openai/gpt-4o-mini"}) {
		t.Errorf("aliases = %v", got)
	}
}

// TestApplyBaseURLEnv checks the BIFROST_BASE_URL_<PROVIDER> overrides.
func TestApplyBaseURLEnv(t *testing.T) {
	tests := []struct {
		name, env, want, wantErr string
	}{
		{name: "unset", want: ""},
		{name: "set", env: "http://127.0.0.1:9/", want: "http://127.0.0.1:9"},
		{name: "not a URL", env: "localhost:9", wantErr: "environment variable BIFROST_BASE_URL_OPENAI: must be an absolute http or https URL"},
		{name: "credentials", env: "http://u:secret@h", wantErr: "BIFROST_BASE_URL_OPENAI"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("c.json", []byte(`{"openai": {"keys": [{"value": "k"}]}}`), nil)
			if err != nil {
				t.Fatal(err)
			}
			err = ApplyBaseURLEnv(cfg, func(k string) string {
				if k == "BIFROST_BASE_URL_OPENAI" {
					return tt.env
				}
				return ""
			})
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "secret") {
					t.Fatalf("error %v, want one with %q and no value", err, tt.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case cfg.Providers["openai"].Network.BaseURL != tt.want:
				t.Errorf("base_url = %q, want %q", cfg.Providers["openai"].Network.BaseURL, tt.want)
			}
		})
	}
}

// TestAdminKeys covers client.admin_keys.
func TestAdminKeys(t *testing.T) {
	tests := []struct {
		name, client string
		want         []string
		wantErr      string
	}{
		{name: "none"},
		{name: "keys", client: `{"admin_keys": ["admin-0123456789ab", "env.ADMIN"]}`, want: []string{"admin-0123456789ab", "admin-from-env-0123"}},
		{name: "short", client: `{"admin_keys": ["short"]}`, wantErr: "c.json:1: client.admin_keys[0]: must be at least 16 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := `{"openai": {"keys": [{"value": "k"}]}`
			if tt.client != "" {
				doc += `, "client": ` + tt.client
			}
			cfg, err := Parse("c.json", []byte(doc+"}"), func(k string) string {
				if k == "ADMIN" {
					return "admin-from-env-0123"
				}
				return ""
			})
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cfg.Client.AdminKeys, tt.want) {
				t.Errorf("admin keys %v, want %v", cfg.Client.AdminKeys, tt.want)
			}
		})
	}
}
