package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/adapters/azure"
	"github.com/bifrost-gw/bifrost/adapters/bedrock"
	"github.com/bifrost-gw/bifrost/runtime/provider"
)

// withAdapters tells Parse the built-in adapters, as bifrost-http does.
var withAdapters = WithAdapters(adapters.All())

const keyConfigDoc = `providers:
  azure:
    keys:
      - value: env.AZ
        azure_key_config:
          endpoint: https://r.openai.azure.com/
          deployments: {gpt-4o: prod}
  bedrock:
    keys:
      - bedrock_key_config: {access_key: AKID, secret_key: env.AWS_SECRET, region: us-east-1}
`

var keyConfigEnv = map[string]string{"AZ": "az-key", "AWS_SECRET": "aws-secret"}

// TestKeyConfigDeclared checks that with the declarations Parse decodes each key's member
// into its provider's settings type, with env. values resolved.
func TestKeyConfigDeclared(t *testing.T) {
	cfg, err := Parse("k.yaml", []byte(keyConfigDoc), getenv(keyConfigEnv), withAdapters)
	if err != nil {
		t.Fatal(err)
	}
	az := cfg.Providers["azure"].Keys[0]
	want := &azure.KeyConfig{Endpoint: "https://r.openai.azure.com", Deployments: map[string]string{"gpt-4o": "prod"}}
	if !reflect.DeepEqual(az.Settings, want) || az.Value != "az-key" {
		t.Errorf("azure key: %q %+v, want %+v", az.Value, az.Settings, want)
	}
	br := cfg.Providers["bedrock"].Keys[0]
	if got, ok := br.Settings.(*bedrock.KeyConfig); !ok || got.SecretKey != "aws-secret" || got.Region != "us-east-1" {
		t.Errorf("bedrock key settings: %+v", br.Settings)
	}
	if s, err := az.KeyConfig(&azure.KeyConfigSpec); err != nil || s != az.Settings {
		t.Errorf("KeyConfig of a decoded key: %v, %v", s, err)
	}
}

// TestKeyConfigDeferred checks Parse without declarations: the member is kept and decoded by
// Key.KeyConfig with the provider's declaration, with the same values, and with errors at
// the member's lines.
func TestKeyConfigDeferred(t *testing.T) {
	cfg, err := Parse("k.yaml", []byte(keyConfigDoc), getenv(keyConfigEnv))
	if err != nil {
		t.Fatal(err)
	}
	az := cfg.Providers["azure"].Keys[0]
	if az.Settings != nil {
		t.Fatalf("settings decoded without declarations: %+v", az.Settings)
	}
	s, err := az.KeyConfig(&azure.KeyConfigSpec)
	want := &azure.KeyConfig{Endpoint: "https://r.openai.azure.com", Deployments: map[string]string{"gpt-4o": "prod"}}
	if err != nil || !reflect.DeepEqual(s, want) {
		t.Errorf("deferred azure settings: %+v, %v; want %+v", s, err, want)
	}
	if _, err := az.KeyConfig(&bedrock.KeyConfigSpec); err == nil ||
		err.Error() != "k.yaml:5: providers.azure.keys[0].azure_key_config: not a setting of this provider type's keys" {
		t.Errorf("member of another provider type: %v", err)
	}
	if _, err := az.KeyConfig(nil); err == nil {
		t.Error("member for a provider without a declaration: no error")
	}

	two := strings.Replace(keyConfigDoc, "      - bedrock_key_config:", "      - vertex_key_config: {project_id: p, region: r}\n        bedrock_key_config:", 1)
	if _, err := Parse("k.yaml", []byte(two), getenv(keyConfigEnv)); err == nil ||
		err.Error() != "k.yaml:11: providers.bedrock.keys[0].bedrock_key_config: a key has one provider's settings: vertex_key_config is set too" {
		t.Errorf("two members: %v", err)
	}

	bad := strings.Replace(keyConfigDoc, "region: us-east-1", "region: \"\"", 1)
	cfg, err = Parse("k.yaml", []byte(bad), getenv(keyConfigEnv))
	if err != nil {
		t.Fatal(err)
	}
	_, err = cfg.Providers["bedrock"].Keys[0].KeyConfig(&bedrock.KeyConfigSpec)
	var list ErrorList
	if !errors.As(err, &list) || err.Error() != "k.yaml:10: providers.bedrock.keys[0].bedrock_key_config.region: must not be empty" {
		t.Errorf("deferred error: %v", err)
	}
	if strings.Contains(err.Error(), "aws-secret") {
		t.Errorf("error shows the secret: %v", err)
	}
}

// TestKeyConfigSpecs checks the declarations the adapters make: each field that gives a URL
// placeholder gives it back through the settings' Var, secrets through Secrets, and Member
// matches.
func TestKeyConfigSpecs(t *testing.T) {
	for _, a := range adapters.All() {
		typ, spec := a.Info().Name, a.Info().KeyConfig
		if spec == nil {
			continue
		}
		vals := provider.KeyValues{Strings: map[string]string{}, Maps: map[string]map[string]string{}}
		for _, f := range spec.Fields {
			if f.Type == provider.KeyMap {
				vals.Maps[f.Name] = map[string]string{"m": f.Name}
			} else {
				vals.Strings[f.Name] = "v-" + f.Name
			}
			if f.With != "" && !slicesHasField(spec.Fields, f.With) {
				t.Errorf("%s: %s.with names no field %q", typ, f.Name, f.With)
			}
		}
		kc := spec.Make(vals)
		if kc.Member() != spec.Member || !strings.HasPrefix(spec.Member, typ) || !strings.HasSuffix(spec.Member, keyConfigSuffix) {
			t.Errorf("%s: member %q, settings say %q", typ, spec.Member, kc.Member())
		}
		for _, f := range spec.Fields {
			if f.Var != "" && kc.Var(f.Var) != "v-"+f.Name {
				t.Errorf("%s: Var(%q) = %q, want field %s's value", typ, f.Var, kc.Var(f.Var), f.Name)
			}
		}
		for _, s := range kc.Secrets() {
			if !strings.HasPrefix(s, "v-") {
				t.Errorf("%s: secret %q is not a field's value", typ, s)
			}
		}
	}
}

func slicesHasField(fields []provider.KeyField, name string) bool {
	for _, f := range fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

// TestSpecDrivenProviderRules checks the rules that come from the adapters' specs, not from
// names in this package: which provider types may have no keys (key_optional) and which
// need network_config.base_url (base_url_required), for custom providers by their base type.
// Without the adapters Parse leaves both to the engine.
func TestSpecDrivenProviderRules(t *testing.T) {
	for _, c := range []struct {
		doc, want string // want "" means accepted
	}{
		{`{"providers": {"ollama": {}}}`, ""}, // keys optional, and a default URL (localhost)
		{`{"providers": {"vllm": {"network_config": {"base_url": "http://127.0.0.1:8000"}}}}`, ""},
		{`{"providers": {"vllm": {}}}`, "c.json:1: providers.vllm.network_config.base_url: required for self-hosted provider types (vllm)"},
		{`{"providers": {"local": {"custom_provider_config": {"base_provider_type": "vllm"}}}}`,
			"c.json:1: providers.local.network_config.base_url: required for self-hosted provider types (vllm)"},
		{`{"providers": {"groq": {}}}`,
			"c.json:1: providers.groq.keys: at least one key is required (only ollama, vllm and custom providers with is_key_less may have none)"},
		{`{"providers": {"mine": {"custom_provider_config": {"base_provider_type": "openai", "is_key_less": true}, "network_config": {"base_url": "http://127.0.0.1:9"}}}}`, ""},
	} {
		_, err := Parse("c.json", []byte(c.doc), getenv(nil), withAdapters)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.doc, err)
		case c.want != "" && (err == nil || err.Error() != c.want):
			t.Errorf("%s: error %v, want %s", c.doc, err, c.want)
		}
		if _, err := Parse("c.json", []byte(c.doc), getenv(nil)); err != nil {
			t.Errorf("%s without the adapters: %v", c.doc, err)
		}
	}
}
